"""The events API: ``GET /v1/events`` (a page of the merchant's events of the
last 30 days, newest first) and ``GET /v1/events/{eventId}``. Each event is
answered as its body was kept with the change it tells of: byte for byte what
its webhooks carried, so a merchant whose endpoint was down reconciles from
here without a replay (docs/events.md).

Every page is one Query, its time range a key condition on the event id (a
ULID: by time): the merchant's partition, its type's partition of
``DeliveriesByRefund``, or its refund's partition of ``ByOrder`` (``dal/events.py``).
``createdFrom`` is inclusive and ``createdTo`` exclusive (consecutive ranges
never share an event), parsed and refused as every list's range is
(``listing_query.validated``: inverted, 15010 for both; empty, an empty
page); a range reaching back further than 30 days starts 30 days ago, where
events are gone. Merchants read their own events; support
names the merchant (``merchantId``, required), as on ``GET /v1/refunds``. A
cursor is sealed like ``GET /v1/refunds``' and opens only for the same caller,
filters and limit.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from refunds_core import clock, errors, events
from refunds_core.auth import derived_key, require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.dal import events as kept_events
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.listing_query import (
    DEFAULT_LIMIT,
    RANGE_RULE,
    CreatedRange,
    CursorText,
    Limit,
    ceil_ms,
    created_range,
    cursor_owner,
    open_cursor,
    seal_cursor,
    validated,
)
from refunds_core.models import EVENT_ID, AwareTime, Identifier
from refunds_core.shapes import Page

CURSOR_KEY_PURPOSE = "list-events-cursor"
EventType = Literal[events.KEPT_TYPES]  # type: ignore[valid-type]
RefundIdText = Annotated[str, StringConstraints(pattern=r"^rf_[0-9A-HJKMNP-TV-Z]{26}$")]


class EventsQuery(BaseModel):
    """GET /v1/events's query string."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    type: EventType = None  # type: ignore[assignment]
    refundId: RefundIdText = None  # type: ignore[assignment]
    createdFrom: AwareTime = Field(None, description=(  # type: ignore[assignment]
        "Events made at this time or later (ISO 8601 with an offset); at most 30 days back. " + RANGE_RULE))
    createdTo: AwareTime = Field(None, description=(  # type: ignore[assignment]
        "Events made before this time (exclusive: consecutive ranges share no event)."))
    limit: Limit = DEFAULT_LIMIT
    cursor: CursorText = None  # type: ignore[assignment]
    merchantId: Identifier = None  # type: ignore[assignment]  # support only, and required of support


class EventQuery(BaseModel):
    """GET /v1/events/{eventId}'s query string."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    merchantId: Identifier = None  # type: ignore[assignment]  # support only, and required of support


def page(caller: Caller, params: dict[str, str]) -> Page:
    require_active_account(caller)
    query = parse_query(EventsQuery, params, caller)
    merchant_id = _merchant_of(caller, query.merchantId)
    context = {"caller": cursor_owner(caller),
               "merchantId": merchant_id, "type": query.type, "refundId": query.refundId,
               "createdFrom": query.createdFrom, "createdTo": query.createdTo, "limit": query.limit}
    key = derived_key(CURSOR_KEY_PURPOSE)
    start_key = None
    if query.cursor is not None:
        start_key = open_cursor(query.cursor, context, key)
        if set(start_key) != kept_events.key_attributes(event_type=query.type, refund_id=query.refundId):
            raise FieldErrors(["cursor"])  # never issued for this query
    ids = id_range(query.createdFrom, query.createdTo, clock.now())
    if ids is None:
        return Page([], None)
    first_id, last_id = ids
    items, last_key = kept_events.newest_first(merchant_id, first_id=first_id, last_id=last_id, limit=query.limit,
                                               start_key=start_key, event_type=query.type,
                                               refund_id=query.refundId)
    return Page([present(item) for item in items], seal_cursor(last_key, context, key) if last_key else None)


def get(caller: Caller, event_id: str, params: dict[str, str]) -> dict:
    """One of the caller's events of the last 30 days, or 404 (15170): a malformed
    id, a missing, expired or another merchant's event answer the same."""
    require_active_account(caller)
    merchant_id = _merchant_of(caller, parse_query(EventQuery, params, caller).merchantId)
    item = kept_events.get(merchant_id, event_id) if EVENT_ID.fullmatch(event_id) else None
    # DynamoDB deletes an expired event some time after its expiresAt.
    if item is None or int(item["expiresAt"]) <= clock.now().timestamp():
        raise ApiError(errors.EVENT_NOT_FOUND)
    return present(item)


def present(item: dict) -> dict:
    """An event as the API answers it: its body, as kept and delivered."""
    return json.loads(item["body"])


def id_range(created_from: str | None, created_to: str | None, now: datetime) -> tuple[str, str] | None:
    """The first and last event id of ``[createdFrom, createdTo)`` within the last
    30 days (``listing_query.created_range``: an event of millisecond t is in it
    when from <= t < to); None when no millisecond is."""
    span = (created_range(created_from, created_to) or CreatedRange(None, None)).not_before(
        ceil_ms((now - kept_events.RETENTION).isoformat()))
    if span.empty:
        return None
    return (kept_events.first_id_at(span.first_ms),
            kept_events.LAST_ID if span.last_ms is None else kept_events.last_id_at(span.last_ms))


def parse_query(model: type[BaseModel], params: dict[str, str], caller: Caller):
    """The query string, or FieldErrors naming every bad parameter
    (``listing_query.validated``'s, and ``merchantId`` sent by a merchant, or
    missing from support's)."""
    query, bad = validated(model, params)
    supporting = caller.role is Role.SUPPORT
    if "merchantId" not in bad and ("merchantId" in params) != supporting:
        bad.append("merchantId")
    if bad or query is None:
        raise FieldErrors(bad)
    return query


def _merchant_of(caller: Caller, merchant_id: str | None) -> str:
    return merchant_id if caller.role is Role.SUPPORT else caller.merchant_id
