"""Refund requests: the primary contract's POST /v1/order/{orderId}/refund, its
preview, and the refund entity as every route shows it (seed 002's fields, with
seed 003's items and seed 004's number)."""

from __future__ import annotations

from refunds_core import errors, events, modes, refund_ids, shapes, statuses
from refunds_core.auth import account_guards, require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.clock import iso_of_ms
from refunds_core.dal import events as kept_events
from refunds_core.dal import orders, refunds
from refunds_core.dal.transactions import AlreadyApplied, Contention, retry_on_contention, transact_write
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic import refund_math
from refunds_core.logic.accounts import contact_email_on_file
from refunds_core.logic.orders import present as present_order
from refunds_core.logic.orders import visible_order
from refunds_core.models import CreateRefundRequest
from refunds_core.money import ZERO, fmt, parse_amount
from refunds_core.observability import count
from refunds_core.validation import parse


def refusal(order: dict | None, merchant_id: str | None, *, open_request_blocks: bool = True) -> ApiError | None:
    """Why this merchant may not open a request on this order, in the
    contract's order of checks; None when it may. Used on the order as read,
    and on the order as DynamoDB saw it when the transaction was cancelled.
    A preview is not a request: an open one does not block it."""
    if order is None or order.get("merchantId") != merchant_id:
        return ApiError(errors.ORDER_NOT_FOUND)
    if order.get("status") != "paid":
        return ApiError(errors.ORDER_NOT_PAID)
    if order["totals"]["total"] <= ZERO:
        return ApiError(errors.ORDER_AMOUNT_ZERO)
    if open_request_blocks and order.get("openRefundId"):
        return ApiError(errors.REFUND_ALREADY_OPEN)
    return None


class NumberTaken(Contention):
    """Another refund drew the same number (the same millisecond, 1 in 4096):
    nothing was written; draw another and write again."""


def create(caller: Caller, order_id: str, body: dict, *, email_on_file: bool = False) -> shapes.Refund:
    """Open a request on the order. With ``email_on_file`` the body carries no
    ``email``: the caller's merchant's contact email is the request's (15010
    ``email`` when it has none), after the order's checks, as a field's."""
    require_active_account(caller)
    order = _refundable_order(caller, order_id)
    if email_on_file:
        body = {**body, "email": contact_email_on_file(caller)}
    request = parse(CreateRefundRequest, body)
    if request.metadata is not None and caller.role is not Role.MERCHANT:
        raise FieldErrors(["metadata"])  # the merchant's own data: its customers do not write it
    # Each attempt draws its number (its id); an attempt answered "in progress"
    # may still have committed, and is recognised by its id on the order's lock.
    attempted: list[str] = []

    def attempt(n: int) -> dict:
        current = order
        if n:
            # Lost a race that broke no rule (another transaction on the order,
            # the order system updated it, or the number was taken): re-read, re-check.
            current = visible_order(caller, order_id)
            if current.get("openRefundId") in attempted:  # an earlier attempt had committed
                return present(refunds.get(current["openRefundId"]))
            if (error := refusal(current, caller.merchant_id)) is not None:
                raise error
        number = refund_ids.draw()
        refund_id = refund_ids.refund_id(number)
        attempted.append(refund_id)
        # The amounts come from the order's counters as read; the lock is
        # conditioned on that very version of the order.
        refund = _new_refund(caller, current, request, refund_id, number)
        created = present(refund)
        event = event_of(refund, created)
        refund |= names_its_event(refund, event)
        try:
            transact_write([
                orders.take_refund_lock(current, refund_id, lambda old: _lock_refused(old, caller, attempted)),
                refunds.put_new(refund, explain=lambda _taken: NumberTaken(f"refund number {number} is taken")),
                kept_events.keep(event),  # its refund.created, kept with it
                *account_guards(caller),
            # One token per attempt: botocore's retry of this call is idempotent,
            # and a new attempt (other order version) is not a "mismatch".
            ], idempotency_token=f"{refund_id}-{n}")
        except AlreadyApplied as applied:  # committed, its answer lost: answer with what was stored
            return present(refunds.get(applied.args[0]))
        count("RefundRequested")
        return created

    return retry_on_contention(attempt, gave_up="order kept changing under the request")


def create_with_order(caller: Caller, order_id: str, body: dict, *,
                      email_on_file: bool = False) -> shapes.RefundWithOrder:
    """``create``, answered with its order beside it as it is once the request
    is open (seed 004's answer): one more strongly consistent read."""
    refund = create(caller, order_id, body, email_on_file=email_on_file)
    return shapes.RefundWithOrder(**refund, order=present_order(orders.get(refund["orderId"])))


def _lock_refused(order_as_stored: dict | None, caller: Caller, attempted: list[str]) -> Exception | None:
    if order_as_stored is not None and order_as_stored.get("openRefundId") in attempted:
        return AlreadyApplied(order_as_stored["openRefundId"])  # our own transaction committed; its answer was lost
    return refusal(order_as_stored, caller.merchant_id)


def _refundable_order(caller: Caller, order_id: str) -> dict:
    order = visible_order(caller, order_id)
    if (error := refusal(order, caller.merchant_id)) is not None:
        raise error
    return order


def preview(caller: Caller, order_id: str, body: dict) -> shapes.RefundPreview:
    """What create would compute for this body, and what the order has left
    before and after it. Writes nothing; the same checks but an open request."""
    require_active_account(caller)
    order = visible_order(caller, order_id)
    if (error := refusal(order, caller.merchant_id, open_request_blocks=False)) is not None:
        raise error
    consumed = refund_math.consumed(order)
    breakdown = _breakdown(order, consumed, parse(CreateRefundRequest, body))
    after = refund_math.apply(consumed, breakdown)
    return shapes.RefundPreview(**present_parts(breakdown),
                                remaining=present_remaining(refund_math.remaining(order, consumed)),
                                remainingAfter=present_remaining(refund_math.remaining(order, after)))


def _breakdown(order: dict, consumed: dict, request: CreateRefundRequest) -> dict:
    """The refund's parts, computed from the order (never from client prices): 15010, 15090, 15100."""
    amount = None
    if request.amount is not None:
        try:
            amount = parse_amount(request.amount, order["currency"])
        except ValueError:
            raise FieldErrors(["amount"]) from None
    items = [item.model_dump() for item in request.items] if request.items is not None else None
    return refund_math.compute_refund(order, consumed, items=items, amount=amount,
                                      refund_shipping=request.refundShipping)


def _new_refund(caller: Caller, order: dict, request: CreateRefundRequest, refund_id: str, number: int) -> dict:
    # createdAt is the id's own millisecond: a time range read on the indexes'
    # sort key (the id) holds exactly the refunds whose createdAt is in it.
    now = iso_of_ms(refund_ids.created_ms(number))
    parts = _breakdown(order, refund_math.consumed(order), request)
    return {
        "id": refund_id, "numericId": number, "orderId": order["id"], "merchantId": order["merchantId"],
        # n counts the order's requests from 1; the lock's write is conditioned on this count.
        "number": f"{order['number']}-R{int(order.get('refundCount', 0)) + 1}",
        "customerId": order.get("customerId"), "status": statuses.REQUESTED,
        "description": request.description, "email": request.email, "refundOnly": request.refundOnly,
        "batchId": request.batchId, "reason": request.reason, "metadata": request.metadata, **parts,
        "requester": caller.login, "createdAt": now, "updatedAt": now, "version": 1, "livemode": modes.livemode(),
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


# What ``present`` reads of a stored refund: a list asks DynamoDB for these
# only (its keys and index attributes are a third of an item's values).
PRESENTED_ATTRIBUTES = (
    "id", "numericId", "number", "orderId", "merchantId", "customerId", "status", "refundOnly", "description", "email",
    "batchId", "kind", "items", "shipping", "tax", "amount", "currency", "requester", "responseReason",
    "trackingId", "carrierName", "confirmedAt", "issuedAt", "createdAt", "updatedAt", "history",
    "reason", "declineReason", "metadata", "livemode",
)


def present(refund: dict) -> shapes.Refund:
    """The refund as the API shows it (seed 002's entity, plus our fields)."""
    return shapes.Refund(
        id=refund["id"], numericId=refund_number(refund), number=refund.get("number"), orderId=refund["orderId"],
        merchantId=refund["merchantId"], customerId=refund.get("customerId"), status=refund["status"],
        valid=statuses.is_valid(refund["status"]), refundOnly=refund.get("refundOnly", True),
        description=refund.get("description"), reason=refund.get("reason"), email=refund["email"],
        batchId=refund.get("batchId"), metadata=dict(refund.get("metadata") or {}),
        **present_parts(refund), requester=refund["requester"], responseReason=refund.get("responseReason"),
        declineReason=refund.get("declineReason"),
        trackingId=refund.get("trackingId"), carrierName=refund.get("carrierName"),
        confirmedAt=refund.get("confirmedAt"), issuedAt=refund.get("issuedAt"),
        createdAt=refund["createdAt"], updatedAt=refund["updatedAt"],
        history=[{k: entry.get(k) for k in ("status", "action", "actor", "role", "at", "reason")}
                 for entry in refund.get("history", [])],
        livemode=modes.livemode(modes.of_item(refund)),
    )


def event_of(refund: dict, data: shapes.Refund | None = None) -> dict:
    """The event of ``refund``'s latest change (its last history entry and its
    version), as ``dal/events.keep`` keeps it; ``data``: the refund as presented,
    when the caller has it already.

    Creating a refund and each transition write the refund and this event in
    one transaction: the change and its event are kept or lost together, and
    the body, made once here, is what the publisher sends, every delivery
    signs, a replay delivers again and ``GET /v1/events`` answers. The refund
    item names its latest event (``names_its_event``): the publisher builds
    no event from the stream for such a change."""
    last = refund["history"][-1]
    version = int(refund["version"])
    event_id = events.event_id(refund["id"], version, last["at"])
    event_type = events.TYPE_OF_ACTION[last["action"]]
    # RefundEvent's fields, in its order (the model documents and parses the body).
    body = {"id": event_id, "type": event_type, "createdAt": last["at"], "merchantId": refund["merchantId"],
            "livemode": modes.livemode(modes.of_item(refund)), "sequence": version,
            "data": data if data is not None else present(refund)}
    return {"eventId": event_id, "eventType": event_type, "merchantId": refund["merchantId"],
            "refundId": refund["id"], "createdAt": last["at"], "livemode": body["livemode"], "body": events.body(body)}


def names_its_event(refund: dict, event: dict) -> dict:
    """The attributes that name the event kept with ``refund``'s change: its id,
    and the version it tells of (``eventVersion``). A version that did not keep
    events moves ``version`` and leaves both stale: the publisher tells that
    change by ``eventVersion != version`` (``logic/publishing.kept_with_its_change``)."""
    return {"eventId": event["eventId"], "eventVersion": int(refund["version"])}


def refund_number(refund: dict) -> int | None:
    """The refund's number (its id as an integer); None only for a refund
    stored before refunds had numbers, which the stream may still carry (a
    publisher that failed on it would retry it for ever)."""
    number = refund.get("numericId")
    return int(number) if number is not None else None


def present_parts(parts: dict) -> shapes.RefundParts:
    """A refund's money: what kind of refund, its items, shipping, tax and amount."""
    currency = parts["currency"]
    shipping = parts.get("shipping") or {"amount": ZERO, "tax": ZERO}
    return shapes.RefundParts(
        kind=parts.get("kind", "full"),
        items=[{"itemId": item["itemId"], "quantity": int(item["quantity"]), "amount": fmt(item["amount"], currency),
                "tax": fmt(item["tax"], currency)} for item in parts.get("items", [])],
        shipping={"amount": fmt(shipping["amount"], currency), "tax": fmt(shipping["tax"], currency)},
        tax=fmt(parts.get("tax", ZERO), currency), amount=fmt(parts["amount"], currency), currency=currency,
    )


def present_remaining(left: dict) -> shapes.Remaining:
    """What an order has left to refund, per line, for shipping and in total."""
    currency = left["currency"]
    return shapes.Remaining(
        lines=[{"itemId": line["itemId"], "quantity": line["quantity"], "amount": fmt(line["amount"], currency),
                "tax": fmt(line["tax"], currency)} for line in left["lines"]],
        shipping={"amount": fmt(left["shipping"]["amount"], currency), "tax": fmt(left["shipping"]["tax"], currency)},
        total=fmt(left["total"], currency),
    )
