"""Orders: the order system upserts them, merchants and support read them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from refunds_core import errors, shapes
from refunds_core.auth import account_guards, require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.clock import now_iso
from refunds_core.dal import keys, orders, refund_queries
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic.refund_math import consumed, line_paid, refunded_total, remaining
from refunds_core.models import IDENTIFIER, OrderRequest
from refunds_core.modes import Mode
from refunds_core.money import ZERO, fmt, parse_amount
from refunds_core.validation import parse

# GET /v1/orders/{id} shows at most this many of the order's refunds, newest
# first (one Query on ByOrder); GET /v1/refunds?orderId= pages through them all.
ORDER_REFUNDS_SHOWN = 50


def is_order_id(order_id: str) -> bool:
    return bool(IDENTIFIER.fullmatch(order_id))


def put(caller: Caller, order_id: str, body: dict) -> shapes.Order:
    require_active_account(caller)
    # In live mode orders come from the order system only; in test mode a
    # merchant may write its own, so it can build an integration without one
    # (docs/test-mode.md). Refused before the body: a caller that may never write learns no more.
    if caller.role is Role.MERCHANT and caller.mode is not Mode.TEST:
        raise ApiError(errors.FORBIDDEN)
    if not is_order_id(order_id):
        raise FieldErrors(["orderId"])
    fields = _stored_fields(parse(OrderRequest, body))
    if caller.role is Role.MERCHANT and fields["merchantId"] != caller.merchant_id:
        raise FieldErrors(["merchantId"])
    # A fresh token per request: botocore's retry of this same call is
    # idempotent, a later PUT with the same body is a new write.
    orders.upsert(order_id, fields, now=now_iso(), idempotency_token=str(uuid.uuid4()), guards=account_guards(caller),
                  no_merchant=lambda _merchant: FieldErrors(["merchantId"]),
                  refused=lambda stored: _upsert_refused(stored, fields))
    return present(orders.get(order_id))


def _upsert_refused(stored: dict | None, fields: dict) -> ApiError:
    """Why PUT may not write this order, from the order as DynamoDB saw it."""
    if not stored or stored.get("merchantId") != fields["merchantId"] or stored.get("status") == orders.REFUNDED:
        return ApiError(errors.CONFLICT)
    if (stored.get("refunded") or stored.get("openRefundId")) and any(
            stored.get(name) != fields.get(name) for name in orders.MONEY_FIELDS):
        return ApiError(errors.ORDER_MONEY_FIXED)
    return ApiError(errors.ORDER_CUSTOMER_FIXED)


# What an order shows of each refund, and what `sees` needs of it.
_ORDER_REFUND_ATTRIBUTES = ("id", "status", "amount", "currency", "createdAt", "merchantId", "customerId")


def get(caller: Caller, order_id: str) -> shapes.OrderWithRefunds:
    """The order, with its refunds (id, status, amount, createdAt), newest first."""
    require_active_account(caller)
    order = visible_order(caller, order_id)
    refunds, _ = refund_queries.page("ByOrder", keys.by_order(order["id"]), limit=ORDER_REFUNDS_SHOWN,
                                     attributes=_ORDER_REFUND_ATTRIBUTES)
    return shapes.OrderWithRefunds(**present(order), refunds=[
        {"id": refund["id"], "status": refund["status"], "amount": fmt(refund["amount"], refund["currency"]),
         "createdAt": refund["createdAt"]}
        for refund in refunds if sees(caller, refund)])


def visible_order(caller: Caller, order_id: str) -> dict:
    """The order, or 15060 when it does not exist for this caller: another
    merchant's (or customer's) order is indistinguishable from a missing one."""
    order = orders.get(order_id) if is_order_id(order_id) else None
    if order is None or not sees(caller, order):
        raise ApiError(errors.ORDER_NOT_FOUND)
    return order


def sees(caller: Caller, record: dict) -> bool:
    """Whether an order or refund exists for this caller (tenant isolation)."""
    if caller.role is Role.SUPPORT:
        return True
    if record.get("merchantId") != caller.merchant_id:
        return False
    return caller.role is not Role.CUSTOMER or record.get("customerId") == caller.customer_id


def _stored_fields(request: OrderRequest) -> dict:
    """The order as stored: money as Decimal, checked against the currency's
    minor unit, with the totals the server computes. 15010 per bad field."""
    currency, bad = request.currency, []

    def money(text: str, field: str) -> Decimal:
        try:
            return parse_amount(text, currency)
        except ValueError:
            bad.append(field)
            return ZERO

    lines, seen = [], set()
    for i, line in enumerate(request.lineItems):
        unit_price = money(line.unitPrice, f"lineItems[{i}].unitPrice")
        discount = money(line.discount, f"lineItems[{i}].discount")
        tax = money(line.tax, f"lineItems[{i}].tax")
        if line.itemId in seen:
            bad.append(f"lineItems[{i}].itemId")
        seen.add(line.itemId)
        if discount > unit_price * line.quantity:
            bad.append(f"lineItems[{i}].discount")
        lines.append({"itemId": line.itemId, "name": line.name, "quantity": line.quantity,
                      "unitPrice": unit_price, "discount": discount, "tax": tax})
    shipping = {"price": money(request.shipping.price, "shipping.price"),
                "tax": money(request.shipping.tax, "shipping.tax")}
    if bad:
        raise FieldErrors(bad)
    items = sum((line_paid(line) for line in lines), ZERO)
    tax = sum((line["tax"] for line in lines), ZERO) + shipping["tax"]
    totals = {"items": items, "shipping": shipping["price"], "tax": tax,
              "total": items + shipping["price"] + tax}
    return {"merchantId": request.merchantId, "number": request.number, "status": request.status,
            "currency": currency, "customerId": request.customerId, "lineItems": lines,
            "shipping": shipping, "totals": totals,
            # As sent, what was sent only: a PUT without details removes those stored.
            "details": request.details.model_dump(exclude_none=True) if request.details else None}



def _refund_status(order: dict) -> str:
    if order["status"] == orders.REFUNDED:
        return "refunded"
    return "partially_refunded" if order.get("refunded") else "none"


def present(order: dict) -> shapes.Order:
    currency = order["currency"]
    taken = consumed(order)
    left = remaining(order, taken)
    return shapes.Order(
        id=order["id"], merchantId=order["merchantId"], number=order["number"],
        status=order["status"], currency=currency, customerId=order.get("customerId"),
        lineItems=[
            {"itemId": line["itemId"], "name": line["name"], "quantity": int(line["quantity"]),
             "unitPrice": fmt(line["unitPrice"], currency), "discount": fmt(line["discount"], currency),
             "tax": fmt(line["tax"], currency), "amount": fmt(line_paid(line), currency),
             "refundedQuantity": int(taken["lines"].get(line["itemId"], {}).get("quantity", 0))}
            for line in order["lineItems"]
        ],
        shipping={k: fmt(order["shipping"][k], currency) for k in ("price", "tax")},
        totals={k: fmt(order["totals"][k], currency) for k in ("items", "shipping", "tax", "total")},
        # What ISSUED refunds returned; requests still open count for nothing yet.
        refundedAmount=fmt(refunded_total(taken), currency),
        refundableAmount=fmt(max(left["total"], ZERO), currency),
        refundStatus=_refund_status(order),
        createdAt=order["createdAt"], updatedAt=order["updatedAt"], details=present_details(order.get("details")),
    )


# The parts of ``details`` that are objects, and their shapes.
_DETAIL_OBJECTS = {"customer": shapes.CustomerRecord, "shippingAddress": shapes.AddressRecord,
                   "billingAddress": shapes.AddressRecord, "shippingLine": shapes.ShippingMethodRecord}


def present_details(stored: dict | None) -> shapes.OrderDetailsRecord | None:
    """The order system's details as sent, every field present (null where it sent none)."""
    if not stored:
        return None
    shown = {name: stored.get(name) for name in shapes.OrderDetailsRecord.__annotations__}
    for name, shape in _DETAIL_OBJECTS.items():
        if shown[name] is not None:
            shown[name] = {field: shown[name].get(field) for field in shape.__annotations__}
    return shapes.OrderDetailsRecord(**shown)
