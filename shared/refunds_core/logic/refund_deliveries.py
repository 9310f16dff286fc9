"""GET /v1/refunds/{id}/deliveries: the webhook delivery attempts a refund's
events caused, on every endpoint of its merchant, newest first.

The refund's merchant and support read them; another merchant's refund is
404 (15070), exactly like a missing one. The deliverer records each attempt
with the refund its event is about (the event's ``data.id``), which puts it
in the sparse ``DeliveriesByRefund`` index: a page is one Query of it.
Attempts recorded before attempts carried their refund are not in the index
(``GET /v1/webhooks/{id}/deliveries`` still lists them, by endpoint).
"""

from __future__ import annotations

from refunds_core import shapes
from refunds_core.auth import derived_key, require_active_account
from refunds_core.callers import Caller
from refunds_core.dal import webhooks
from refunds_core.listing_query import cursor_owner, cursor_page
from refunds_core.logic.lifecycle import visible_refund
from refunds_core.logic.webhooks import DeliveriesQuery, present_attempt
from refunds_core.validation import parse

CURSOR_KEY_PURPOSE = "list-refund-deliveries-cursor"


def page(caller: Caller, refund_id: str, params: dict[str, str]) -> shapes.Page:
    """One Query once the refund is found to be the caller's, with sealed
    cursors bound to the caller, the refund and the limit (as GET /v1/refunds')."""
    require_active_account(caller)
    refund = visible_refund(caller, refund_id)
    query = parse(DeliveriesQuery, params)
    context = {"caller": cursor_owner(caller), "refundId": refund["id"], "limit": query.limit}
    items, next_cursor = cursor_page(
        query.cursor, context, derived_key(CURSOR_KEY_PURPOSE),
        fits=lambda start_key: webhooks.is_refund_attempts_key(refund["id"], start_key),
        read=lambda start_key: webhooks.refund_attempts_page(refund["id"], query.limit, start_key))
    return shapes.Page([present(item) for item in items], next_cursor)


def present(attempt: dict) -> shapes.RefundDelivery:
    return shapes.RefundDelivery(**present_attempt(attempt), webhookId=attempt["webhookId"])
