"""Refund requests: the primary contract's POST /v1/order/{orderId}/refund, and
the refund entity as every route shows it (seed 002's fields)."""

from __future__ import annotations

import random
import time

from aws_lambda_powertools.metrics import MetricUnit
from ulid import ULID

from refunds_core import errors, statuses
from refunds_core.auth import Caller, require_active_account
from refunds_core.clock import now_iso
from refunds_core.dal import orders, refunds
from refunds_core.dal.transactions import AlreadyApplied, Contention, transact_write
from refunds_core.errors import ApiError, RetryableError
from refunds_core.logic.orders import visible_order
from refunds_core.models import CreateRefundRequest
from refunds_core.money import ZERO, fmt
from refunds_core.observability import metrics
from refunds_core.validation import parse

# Attempts when the order changed between our read and our write for a reason
# that breaks no rule, or another transaction held it (TransactionConflict).
_ATTEMPTS = 5


def refusal(order: dict | None, merchant_id: str | None) -> ApiError | None:
    """Why this merchant may not open a request on this order, in the
    contract's order of checks; None when it may. Used on the order as read,
    and on the order as DynamoDB saw it when the transaction was cancelled."""
    if order is None or order.get("merchantId") != merchant_id:
        return ApiError(errors.ORDER_NOT_FOUND)
    if order.get("status") != "paid":
        return ApiError(errors.ORDER_NOT_PAID)
    if order["totals"]["total"] <= ZERO:
        return ApiError(errors.ORDER_AMOUNT_ZERO)
    if order.get("openRefundId"):
        return ApiError(errors.REFUND_ALREADY_OPEN)
    return None


def create(caller: Caller, order_id: str, body: dict) -> dict:
    require_active_account(caller)
    order = _refundable_order(caller, order_id)
    request = parse(CreateRefundRequest, body)
    refund = _new_refund(caller, order, request)
    for attempt in range(_ATTEMPTS):
        try:
            transact_write([
                orders.take_refund_lock(order, refund["id"], lambda old: _lock_refused(old, caller, refund["id"])),
                refunds.put_new(refund),
            # One token per attempt: botocore's retry of this call is idempotent,
            # and a new attempt (other order version) is not a "mismatch".
            ], idempotency_token=f"{refund['id']}-{attempt}")
        except AlreadyApplied:
            pass
        except Contention:
            # Lost a race that broke no rule (another transaction on the order,
            # or the order system updated it): back off, re-read, re-check.
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 - jitter, not crypto
            order = _refundable_order(caller, order_id)
            continue
        metrics.add_metric(name="RefundRequested", unit=MetricUnit.Count, value=1)
        return present(refund)
    raise RetryableError("order kept changing under the request")


def _lock_refused(order_as_stored: dict | None, caller: Caller, refund_id: str) -> Exception | None:
    if order_as_stored is not None and order_as_stored.get("openRefundId") == refund_id:
        return AlreadyApplied()  # our own transaction committed; its answer was lost
    return refusal(order_as_stored, caller.merchant_id)


def _refundable_order(caller: Caller, order_id: str) -> dict:
    order = visible_order(caller, order_id)
    if (error := refusal(order, caller.merchant_id)) is not None:
        raise error
    return order


def _new_refund(caller: Caller, order: dict, request: CreateRefundRequest) -> dict:
    now = now_iso()
    return {
        "id": f"rf_{ULID()}", "orderId": order["id"], "merchantId": order["merchantId"],
        "customerId": order.get("customerId"), "status": statuses.REQUESTED,
        "description": request.description, "email": request.email, "refundOnly": request.refundOnly,
        "amount": order["totals"]["total"], "currency": order["currency"],
        "requester": caller.login, "createdAt": now, "updatedAt": now, "version": 1,
        "history": [history_entry(statuses.REQUESTED, "CREATE", caller, now, None)],
    }


def history_entry(status: str, action: str, caller: Caller, at: str, reason: str | None,
                  entry_id: str | None = None) -> dict:
    """One line of a refund's history: the status it reached, by which action,
    who (login and role), when and why. ``entry_id`` (stored, never shown)
    names the write that appended it, so a retry can recognise its own write."""
    entry = {"status": status, "action": action, "actor": caller.login, "role": caller.role.value, "at": at,
             "reason": reason}
    return entry | ({"id": entry_id} if entry_id else {})


def present(refund: dict) -> dict:
    """The refund as the API shows it (seed 002's entity, plus our fields)."""
    return {
        "id": refund["id"], "orderId": refund["orderId"], "merchantId": refund["merchantId"],
        "customerId": refund.get("customerId"), "status": refund["status"],
        "valid": statuses.is_valid(refund["status"]), "refundOnly": refund.get("refundOnly", True),
        "description": refund.get("description"), "email": refund["email"],
        "amount": fmt(refund["amount"], refund["currency"]), "currency": refund["currency"],
        "requester": refund["requester"], "responseReason": refund.get("responseReason"),
        "trackingId": refund.get("trackingId"), "carrierName": refund.get("carrierName"),
        "confirmedAt": refund.get("confirmedAt"), "issuedAt": refund.get("issuedAt"),
        "createdAt": refund["createdAt"], "updatedAt": refund["updatedAt"],
        "history": [{k: entry.get(k) for k in ("status", "action", "actor", "role", "at", "reason")}
                    for entry in refund.get("history", [])],
    }
