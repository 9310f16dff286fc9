"""Orders: one item per order, keyed by the order id the order system gives us.

The item also carries the order's open-request lock (``openRefundId``) and a
``version`` that every write bumps, so a transaction can insist the order is
still the one that was read.
"""

from __future__ import annotations

from refunds_core import errors
from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, values
from refunds_core.dal.transactions import Explain, Guarded, transact_write
from refunds_core.errors import ApiError
from refunds_core.settings import settings

# The order's status once a refund of it is ISSUED (ours: PUT /v1/orders cannot
# set it, and cannot change an order that has it).
REFUNDED = "refunded"
# Written by PUT /v1/orders; everything else on the item is ours.
ORDER_FIELDS = ("merchantId", "number", "status", "currency", "customerId", "lineItems", "shipping", "totals")


def get(order_id: str) -> dict | None:
    # Strongly consistent: the version read here is what the next write is conditioned on.
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.order(order_id), ConsistentRead=True)
    return from_item(response.get("Item"))


def upsert(order_id: str, fields: dict, *, now: str, idempotency_token: str) -> None:
    """Create or replace the order's own fields, keeping our state (lock,
    version, createdAt). Refused when the merchant does not exist (15010
    merchantId), or the id already belongs to another merchant or the order
    was refunded by us (409). An order with an open request can be updated:
    it is the order system's data (the request's rules are checked on it)."""
    names = {f"#{name}": name for name in ORDER_FIELDS if fields.get(name) is not None}
    assignments = ", ".join(f"#{name} = :{name}" for name in ORDER_FIELDS if fields.get(name) is not None)
    removals = [f"#{name}" for name in ORDER_FIELDS if fields.get(name) is None]
    expression = (f"SET {assignments}, #type = :type, #id = :id, createdAt = if_not_exists(createdAt, :now), "
                  "updatedAt = :now, version = if_not_exists(version, :zero) + :one")
    if removals:
        names.update({r: r[1:] for r in removals})
        expression += " REMOVE " + ", ".join(removals)
    order_update = {
        "TableName": settings().TABLE_NAME, "Key": keys.order(order_id),
        "UpdateExpression": expression,
        # A refund keeps the customer of its order: once an order has had one,
        # its customer cannot change, or a customer would keep (or gain)
        # another's refunds.
        "ConditionExpression": ("attribute_not_exists(PK) OR (#merchantId = :merchantId AND #status <> :refunded "
                                "AND (attribute_not_exists(hasRefunds) OR "
                                + ("#customerId = :customerId))" if fields.get("customerId") is not None
                                   else "attribute_not_exists(#customerId)))")),
        "ExpressionAttributeNames": {**names, "#type": "type", "#id": "id", "#merchantId": "merchantId",
                                     "#status": "status"},
        "ExpressionAttributeValues": values(
            **{k: v for k, v in fields.items() if v is not None}, type="Order", id=order_id, now=now, zero=0, one=1,
            refunded=REFUNDED),
    }
    merchant_exists = {
        "TableName": settings().TABLE_NAME, "Key": keys.merchant(fields["merchantId"]),
        "ConditionExpression": "attribute_exists(PK)",
    }
    transact_write([
        Guarded({"ConditionCheck": merchant_exists}, lambda _old: errors.FieldErrors(["merchantId"])),
        Guarded({"Update": order_update}, lambda old: _upsert_refused(old, fields)),
    ], idempotency_token=idempotency_token)


def _upsert_refused(old: dict | None, fields: dict) -> ApiError:
    if old and old.get("merchantId") == fields["merchantId"] and old.get("status") != REFUNDED:
        return ApiError(errors.CONFLICT, message="The order's customer cannot change once it has refund requests.")
    return ApiError(errors.CONFLICT)


def take_refund_lock(order: dict, refund_id: str, explain: Explain) -> Guarded:
    """The transaction item that opens a request on the order: it takes the
    order's open-request lock, conditioned on every rule a new request depends
    on and on the order being the version that was read."""
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.order(order["id"]),
        # hasRefunds: from now on the order's customer is fixed (see upsert).
        "UpdateExpression": "SET openRefundId = :refundId, hasRefunds = :yes, version = version + :one",
        "ConditionExpression": ("merchantId = :merchantId AND #status = :paid AND totals.#total > :zero "
                                "AND attribute_not_exists(openRefundId) AND version = :version"),
        "ExpressionAttributeNames": {"#status": "status", "#total": "total"},
        "ExpressionAttributeValues": values(
            refundId=refund_id, one=1, merchantId=order["merchantId"], paid="paid", zero=0,
            version=order["version"], yes=True),
    }}, explain)


def release_refund_lock(order_id: str, refund_id: str, *, refunded: bool, now: str, explain: Explain) -> Guarded:
    """The transaction item that releases the order's open-request lock when
    its refund reaches a final status, conditioned on the lock being that
    refund's. ``refunded`` (the refund was ISSUED; in this issue a refund is
    the order's whole total) also marks the order refunded, so no further
    request can be opened on it (15030) and the order system cannot change it
    (409)."""
    expression = "REMOVE openRefundId SET version = version + :one"
    names, extra = {}, {}
    if refunded:
        expression += ", #status = :refunded, updatedAt = :now"
        names, extra = {"#status": "status"}, {"refunded": REFUNDED, "now": now}
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.order(order_id),
        "UpdateExpression": expression,
        "ConditionExpression": "openRefundId = :refundId",
        **({"ExpressionAttributeNames": names} if names else {}),
        "ExpressionAttributeValues": values(refundId=refund_id, one=1, **extra),
    }}, explain)
