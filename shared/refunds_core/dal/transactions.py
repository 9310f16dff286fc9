"""Conditional transactions, and the one place that turns their cancellation into an answer.

Every write that enforces a business rule is a ``TransactWriteItems`` whose
conditions encode the rule. When DynamoDB cancels it, each guarded item's
``explain`` looks at the item as it was (``ReturnValuesOnConditionCheckFailure
=ALL_OLD``) and names the rule it broke. A cancellation that no rule explains
(a lost race on a version, a transaction conflict, throttling) is never passed
off as a business error: it is ``StaleRead`` (the caller may re-read and try
again) or ``RetryableError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import ClientError

from refunds_core.aws import dynamodb
from refunds_core.dal.codec import from_item
from refunds_core.errors import ApiError, RetryableError
from refunds_core.observability import logger

Explain = Callable[[dict | None], ApiError | None]


class StaleRead(RetryableError):
    """A condition failed only because the item changed since it was read."""


@dataclass(frozen=True)
class Guarded:
    """One item of a transaction: the operation (``{"Update": {...}}``...) and,
    when it carries a condition, how to explain that condition failing."""

    operation: dict
    explain: Explain | None = None


def transact_write(items: list[Guarded]) -> None:
    operations = []
    for guarded in items:
        (kind, body), = guarded.operation.items()
        if guarded.explain is not None:
            body = {**body, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        operations.append({kind: body})
    try:
        dynamodb().transact_write_items(TransactItems=operations)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        raise explain_cancellation(exc.response.get("CancellationReasons", []), items) from exc


def explain_cancellation(reasons: list[dict], items: list[Guarded]) -> Exception:
    codes = [reason.get("Code", "None") for reason in reasons]
    for reason, guarded in zip(reasons, items, strict=False):
        if reason.get("Code") == "ConditionalCheckFailed" and guarded.explain is not None:
            error = guarded.explain(from_item(reason.get("Item")))
            if error is not None:
                return error
    logger.warning("transaction cancelled without a business reason", extra={"reasons": codes})
    if "ConditionalCheckFailed" in codes:
        return StaleRead(f"transaction cancelled: {codes}")
    return RetryableError(f"transaction cancelled: {codes}")
