"""Events, as words: their types, their body, their ids.

Every transition appends one history entry and bumps the refund's version, so
each change of a refund item (seen on the table's stream) is exactly one event,
named after the action that made it (``TYPE_OF_ACTION``). The event id is
derived from the refund id and version (and the change's time, so ids sort by
time): a replayed stream record, a retried publish and every webhook
redelivery carry the same id. The version itself is the event's ``sequence``:
receivers order a refund's events by it. A refund's event is written in the
same transaction as the change it tells of (``logic/refunds.event_of``, ``dal/events.keep``), and
published from there (``logic/publishing.py``).

Besides refund events, the events API keeps ``webhook_endpoint.disabled`` (an
endpoint that failed every delivery for 5 days was turned off); it is not
delivered to endpoints. ``webhook.test`` is what ``POST
/v1/webhooks/{id}/test`` sends; it is never kept.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from ulid import ULID

# The action that made the change -> the event's type.
TYPE_OF_ACTION = {
    "CREATE": "refund.created", "APPROVE": "refund.approved", "SHIP_INIT": "refund.shipment_provided",
    "ISSUE": "refund.issued", "DENY": "refund.denied", "CANCEL": "refund.cancelled", "FAIL": "refund.failed",
}
# Every event type, in the lifecycle's order: what a webhook endpoint may subscribe to.
TYPES = tuple(TYPE_OF_ACTION.values())
ENDPOINT_DISABLED = "webhook_endpoint.disabled"
TEST = "webhook.test"
# What the events API lists (GET /v1/events): the refund events and the endpoints' own.
KEPT_TYPES = (*TYPES, ENDPOINT_DISABLED)


class RefundEvent(BaseModel):
    """What a webhook delivery POSTs (and SNS carries): one change of a refund."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str = Field(pattern=r"^evt_[0-9A-HJKMNP-TV-Z]{26}$", description=(
        "The same for every delivery of this change (retries, replays): it is the `webhook-id` header. "
        "De-duplicate on it."))
    type: Literal[TYPES]  # type: ignore[valid-type]
    createdAt: str = Field(description="When the change was written (its history entry's `at`).",
                           json_schema_extra={"format": "date-time"})
    merchantId: str
    # An event queued before test mode existed has none: it is live.
    livemode: bool = Field(True, description=(
        "false for a test-mode refund's event (docs/test-mode.md): only the merchant's test-mode endpoints "
        "receive it."))
    # Deliveries run concurrently, so a refund's events may arrive in any order.
    sequence: int = Field(ge=1, description=(
        "The refund's version after the change: 1 for its `refund.created`, then one more for each later event "
        "of the same refund. Events of one refund may arrive in any order: order them by it, and ignore one "
        "whose sequence you already applied."))
    data: dict = Field(description="The refund after the change, as `GET /v1/refunds/{refundId}` shows it "
                                   "but its `actions` (they depend on who asks).")

    @model_validator(mode="before")
    @classmethod
    def _sequence_of_earlier_events(cls, body: object) -> object:
        """An event published before ``sequence`` existed, still queued for the
        dispatcher, parses too: its refund's history has one entry per version."""
        data = body.get("data") if isinstance(body, dict) else None
        history = data.get("history") if isinstance(data, dict) else None
        if isinstance(body, dict) and "sequence" not in body and isinstance(history, list) and history:
            return {**body, "sequence": len(history)}
        return body


def event_id(refund_id: str, version: int, at: str) -> str:
    """``evt_`` + a ULID: the change's time in milliseconds, then 80 bits of a hash of
    (refund id, version). The same change always gets the same id."""
    millis = int(datetime.fromisoformat(at).timestamp() * 1000)
    digest = hashlib.sha256(f"{refund_id}:{version}".encode()).digest()
    return f"evt_{ULID.from_bytes(millis.to_bytes(6, 'big') + digest[:10])}"


def new_event_id(at: str) -> str:
    """``evt_`` + a ULID of ``at``'s millisecond and random bits: an event that no retry makes again."""
    return f"evt_{ULID.from_timestamp(datetime.fromisoformat(at).timestamp())}"


def body(event: dict) -> str:
    """An event's JSON text, exactly what is kept, signed, delivered and listed: compact,
    its fields in the order given (``RefundEvent``'s for a refund event), UTF-8 as is."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
