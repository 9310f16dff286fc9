"""Conditional writes, and the one place that turns their failure into an answer.

Every write that enforces a business rule is a ``TransactWriteItems`` whose
conditions encode the rule. When DynamoDB cancels it, each guarded item's
``explain`` looks at the item as it was (``ReturnValuesOnConditionCheckFailure
=ALL_OLD``) and names the rule it broke, or recognises our own earlier write
(``AlreadyApplied``: a retry of a transaction whose first answer was lost).
A cancellation that no rule explains is never passed off as a business error:
it is ``Contention`` (the item changed since it was read, or another
transaction held it: read again and retry) or ``RetryableError``.

Every write a caller makes is a transaction, even of one item: it carries
the caller's account checks (``auth.account_guards``), so a revoked key or a
disabled login writes nothing, whatever a function's cache still believes.
A ``ConditionCheck`` on an item the transaction also writes (the caller's
merchant, say, whose counter the write bumps) is folded into that write's
own condition: DynamoDB refuses two operations on one item in a transaction.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import ClientError

from refunds_core.aws import dynamodb
from refunds_core.dal.codec import from_item
from refunds_core.errors import RetryableError
from refunds_core.observability import logger

Explain = Callable[[dict | None], Exception | None]
T = TypeVar("T")

# Cancellation codes that mean "someone else is writing this item right now".
_CONTENTION = {"ConditionalCheckFailed", "TransactionConflict"}
# Errors of the call itself (not a cancellation) that are worth a retry.
_RETRYABLE_CALL_ERRORS = {"TransactionInProgressException", "TransactionConflictException",
                          "IdempotentParameterMismatchException"}


class Contention(RetryableError):
    """The transaction lost a race that broke no rule: read again and retry."""


class AlreadyApplied(Exception):  # noqa: N818 - an outcome, not a failure
    """The condition failed because this very transaction had already committed."""


@dataclass(frozen=True)
class Guarded:
    """One item of a transaction: the operation (``{"Update": {...}}``...) and,
    when it carries a condition, how to explain that condition failing."""

    operation: dict
    explain: Explain | None = None


def transact_write(items: list[Guarded], *, idempotency_token: str) -> None:
    """Run the transaction. ``idempotency_token`` (at most 36 characters) makes
    botocore's own retries of a committed transaction succeed instead of failing
    their conditions (DynamoDB honours it for 10 minutes)."""
    items = _folded(items)
    operations = []
    for guarded in items:
        (kind, body), = guarded.operation.items()
        if guarded.explain is not None:
            body = {**body, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        operations.append({kind: body})
    try:
        dynamodb().transact_write_items(TransactItems=operations, ClientRequestToken=idempotency_token)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "TransactionCanceledException":
            raise explain_cancellation(exc.response.get("CancellationReasons", []), items) from exc
        if code in _RETRYABLE_CALL_ERRORS:
            raise Contention(code) from exc
        raise


def _item_of(guarded: Guarded) -> tuple[str, str, str]:
    """Which item an operation is on (a Put names it by its item's keys; every
    table we write in a transaction is keyed PK, SK)."""
    (_, body), = guarded.operation.items()
    key = body.get("Key") or body["Item"]
    return body["TableName"], key["PK"]["S"], key["SK"]["S"]


def _folded(items: list[Guarded]) -> list[Guarded]:
    """The writes, then the checks; a check of an item that is written (or
    checked) already is merged into that operation: both conditions must
    hold, and a failure is explained by the check first (its refusal, such as
    a disabled account, is the one the caller must see)."""
    folded = [guarded for guarded in items if "ConditionCheck" not in guarded.operation]
    position = {_item_of(guarded): i for i, guarded in enumerate(folded)}
    for check in (guarded for guarded in items if "ConditionCheck" in guarded.operation):
        index = position.setdefault(_item_of(check), len(folded))
        if index == len(folded):
            folded.append(check)
        else:
            folded[index] = _merged(folded[index], check)
    return folded


def _merged(write: Guarded, check: Guarded) -> Guarded:
    (kind, body), = write.operation.items()
    checked = check.operation["ConditionCheck"]
    condition = checked["ConditionExpression"]
    if body.get("ConditionExpression"):
        condition = f"({body['ConditionExpression']}) AND ({condition})"
    merged = {**body, "ConditionExpression": condition}
    for part in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if checked.get(part):
            clash = set(body.get(part, {})) & set(checked[part])
            if clash:
                raise ValueError(f"placeholders {sorted(clash)} used by both a write and a check of its item")
            merged[part] = {**body.get(part, {}), **checked[part]}
    first, then = check.explain, write.explain

    def explain(old: dict | None) -> Exception | None:
        return (first(old) if first else None) or (then(old) if then else None)

    return Guarded({kind: merged}, explain)


def retry_on_contention(action: Callable[[int], T], *, gave_up: str, attempts: int = 5) -> T:
    """``action(attempt)``, again after a short jittered back-off while it loses
    races that break no rule (``Contention``: read again and write again);
    ``RetryableError(gave_up)`` after ``attempts``."""
    for attempt in range(attempts):
        try:
            return action(attempt)
        except Contention:
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 - jitter, not crypto
    raise RetryableError(gave_up)


def explain_cancellation(reasons: list[dict], items: list[Guarded]) -> Exception:
    codes = [reason.get("Code", "None") for reason in reasons]
    for reason, guarded in zip(reasons, items, strict=False):
        if reason.get("Code") == "ConditionalCheckFailed" and guarded.explain is not None:
            outcome = guarded.explain(from_item(reason.get("Item")))
            if outcome is not None:
                return outcome
    logger.warning("conditional write refused without a business reason", extra={"reasons": codes})
    failed = {code for code in codes if code != "None"}
    if failed and failed <= _CONTENTION:
        return Contention(f"transaction cancelled: {codes}")
    return RetryableError(f"transaction cancelled: {codes}")
