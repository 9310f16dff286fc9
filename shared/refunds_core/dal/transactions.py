"""Conditional writes, and the one place that turns their failure into an answer.

Every write that enforces a business rule is a ``TransactWriteItems`` whose
conditions encode the rule. When DynamoDB cancels it, each guarded item's
``explain`` looks at the item as it was (``ReturnValuesOnConditionCheckFailure
=ALL_OLD``) and names the rule it broke, or recognises our own earlier write
(``AlreadyApplied``: a retry of a transaction whose first answer was lost).
A cancellation that no rule explains is never passed off as a business error:
it is ``Contention`` (the item changed since it was read, or another
transaction held it: read again and retry) or ``RetryableError``.

A write of one item that needs no transaction (``update_item``) is a plain
conditional ``UpdateItem``; its ``ConditionalCheckFailedException`` (with the
item as it was) goes through the very same explanation.
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


def update_item(guarded: Guarded) -> None:
    """One conditional ``UpdateItem`` (``guarded.operation`` is ``{"Update": {...}}``,
    as in a transaction). Its condition failing is explained like a cancelled
    transaction's item; a write that conflicts with a running transaction is
    ``Contention``. Unlike a transaction it has no idempotency token: a
    botocore retry of an update that had been applied fails its condition,
    and ``explain`` must recognise our own write (``AlreadyApplied``)."""
    (kind, body), = guarded.operation.items()
    if kind != "Update":
        raise ValueError(f"update_item runs an Update, not a {kind}")
    if guarded.explain is not None:
        body = {**body, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    try:
        dynamodb().update_item(**body)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "ConditionalCheckFailedException":
            # Exactly what a cancelled transaction reports for this one item.
            reason = {"Code": "ConditionalCheckFailed", **({"Item": exc.response["Item"]} if "Item" in exc.response
                                                           else {})}
            raise explain_cancellation([reason], [guarded]) from exc
        if code in _RETRYABLE_CALL_ERRORS:
            raise Contention(code) from exc
        raise


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
