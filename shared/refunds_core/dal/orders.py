"""Orders: one item per order, keyed by the order id the order system gives us.

The item also carries the order's open-request lock (``openRefundId``) and a
``version`` that every write bumps, so a transaction can insist the order is
still the one that was read.
"""

from __future__ import annotations

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, values
from refunds_core.dal.transactions import Explain, Guarded, transact_write
from refunds_core.settings import settings

# The order's status once ISSUED refunds returned all of it (ours: PUT
# /v1/orders cannot set it, and cannot change an order that has it).
REFUNDED = "refunded"
# Written by PUT /v1/orders; everything else on the item is ours. ``details``:
# what the order system says beside the money (never in the refund math).
ORDER_FIELDS = ("merchantId", "number", "status", "currency", "customerId", "lineItems", "shipping", "totals",
                "details")
# What refunds are computed from: fixed while a request is open (its amounts
# were computed from them) and once one was ISSUED (``refunded`` exists).
MONEY_FIELDS = ("currency", "lineItems", "shipping")


def get(order_id: str) -> dict | None:
    # Strongly consistent: the version read here is what the next write is conditioned on.
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.order(order_id), ConsistentRead=True)
    return from_item(response.get("Item"))


def upsert(order_id: str, fields: dict, *, now: str, idempotency_token: str, guards: list[Guarded],
           no_merchant: Explain, refused: Explain) -> None:
    """Create or replace the order's own fields, keeping our state (lock,
    version, createdAt). Refused (``no_merchant``) when the merchant does not
    exist, or (``refused``, given the order as stored) when the id already
    belongs to another merchant, the order was refunded by us, or the request
    changes its currency, lines or shipping while a request is open or after
    one was ISSUED, or its customer once it has refunds; ``guards`` join the
    transaction (the caller's account checks). Otherwise an order
    with refunds can be updated: it is the order system's data (ISSUE checks
    the refund against the order as it is then)."""
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
                                + ("#customerId = :customerId)" if fields.get("customerId") is not None
                                   else "attribute_not_exists(#customerId))")
                                # Equality of lists and maps: the very lines the refunds were computed from.
                                + " AND ((attribute_not_exists(refunded) AND attribute_not_exists(openRefundId)) OR ("
                                + " AND ".join(f"#{name} = :{name}" for name in MONEY_FIELDS) + ")))"),
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
        Guarded({"ConditionCheck": merchant_exists}, no_merchant),
        Guarded({"Update": order_update}, refused),
        *guards,
    ], idempotency_token=idempotency_token)


def take_refund_lock(order: dict, refund_id: str, explain: Explain) -> Guarded:
    """The transaction item that opens a request on the order: it takes the
    order's open-request lock and counts the request (its ``number``),
    conditioned on every rule a new request depends on and on the order being
    the version that was read (so the refund's amounts, computed from that
    version's counters, are still right)."""
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.order(order["id"]),
        # hasRefunds: from now on the order's customer is fixed (see upsert).
        "UpdateExpression": ("SET openRefundId = :refundId, hasRefunds = :yes, version = version + :one, "
                             "refundCount = if_not_exists(refundCount, :zero) + :one"),
        "ConditionExpression": ("merchantId = :merchantId AND #status = :paid AND totals.#total > :zero "
                                "AND attribute_not_exists(openRefundId) AND version = :version"),
        "ExpressionAttributeNames": {"#status": "status", "#total": "total"},
        "ExpressionAttributeValues": values(
            refundId=refund_id, one=1, merchantId=order["merchantId"], paid="paid", zero=0,
            version=order["version"], yes=True),
    }}, explain)


def record_issue(order: dict, refund_id: str, refunded: dict, *, fully_refunded: bool, now: str,
                 explain: Explain) -> Guarded:
    """The order's side of ISSUE: the new counters (``refunded``, computed from
    the order as read), the lock released, and the status ``refunded`` when
    nothing is left; conditioned on the lock being this refund's, the order
    still paid, and the order being the version that was read, so no unit or
    cent is counted against counters that changed meanwhile."""
    expression = "SET refunded = :refunded, updatedAt = :now, version = version + :one"
    extra = {}
    if fully_refunded:
        expression += ", #status = :fully"
        extra = {"fully": REFUNDED}
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.order(order["id"]),
        "UpdateExpression": expression + " REMOVE openRefundId",
        # Still paid: a cancelled order's money may already be back with the customer.
        "ConditionExpression": "openRefundId = :refundId AND version = :version AND #status = :paid",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values(refundId=refund_id, refunded=refunded, now=now, one=1,
                                            version=order["version"], paid="paid", **extra),
    }}, explain)


def release_refund_lock(order_id: str, refund_id: str, explain: Explain) -> Guarded:
    """The transaction item that releases the order's open-request lock when
    its refund ends without money moving (DENIED, CANCELLED, FAILED),
    conditioned on the lock being that refund's."""
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.order(order_id),
        "UpdateExpression": "REMOVE openRefundId SET version = version + :one",
        "ConditionExpression": "openRefundId = :refundId",
        "ExpressionAttributeValues": values(refundId=refund_id, one=1),
    }}, explain)
