"""Refund requests: the primary contract's POST /v1/order/{orderId}/refund."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from ulid import ULID

from refunds_core import errors
from refunds_core.auth import Caller, require_active_account
from refunds_core.clock import now_iso
from refunds_core.dal import orders, refunds
from refunds_core.dal.transactions import StaleRead, transact_write
from refunds_core.errors import ApiError, RetryableError
from refunds_core.logic.orders import visible_order
from refunds_core.models import CreateRefundRequest
from refunds_core.money import ZERO, fmt
from refunds_core.observability import metrics
from refunds_core.validation import parse

OPEN_STATUSES = frozenset({"REQUESTED", "WAITING", "PROCESSING"})
# Re-reads allowed when the order changed between our read and our write for
# a reason that breaks no rule (say, the order system updated its name).
_ATTEMPTS = 3


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
    for _ in range(_ATTEMPTS):
        refund = _new_refund(caller, order, request)
        try:
            transact_write([
                orders.take_refund_lock(order, refund["id"], lambda old: refusal(old, caller.merchant_id)),
                refunds.put_new(refund),
            ])
        except StaleRead:
            order = _refundable_order(caller, order_id)
            continue
        metrics.add_metric(name="RefundRequested", unit=MetricUnit.Count, value=1)
        return present(refund)
    raise RetryableError("order kept changing under the request")


def _refundable_order(caller: Caller, order_id: str) -> dict:
    order = visible_order(caller, order_id)
    if (error := refusal(order, caller.merchant_id)) is not None:
        raise error
    return order


def _new_refund(caller: Caller, order: dict, request: CreateRefundRequest) -> dict:
    now = now_iso()
    return {
        "id": f"rf_{ULID()}", "orderId": order["id"], "merchantId": order["merchantId"],
        "customerId": order.get("customerId"), "status": "REQUESTED",
        "description": request.description, "email": request.email,
        "amount": order["totals"]["total"], "currency": order["currency"],
        "requester": caller.login, "createdAt": now, "updatedAt": now, "version": 1,
    }


def present(refund: dict) -> dict:
    return {
        "id": refund["id"], "orderId": refund["orderId"], "status": refund["status"],
        "description": refund.get("description"), "email": refund["email"],
        "amount": fmt(refund["amount"], refund["currency"]), "currency": refund["currency"],
        "requester": refund["requester"], "createdAt": refund["createdAt"], "updatedAt": refund["updatedAt"],
    }
