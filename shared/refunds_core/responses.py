"""Response bodies, as pydantic models: what the ``present`` functions of
``logic/`` build, field for field. Nothing validates answers with them at run
time; scripts/openapi.py turns them into docs/openapi.json's response schemas,
and the contract tests hold every real answer to those schemas
(tests/contract/). A field added to a ``present`` function and not here fails
them: ``extra="forbid"`` makes each schema ``additionalProperties: false``.

A field typed ``X | None`` with no default is always present and may be null.

Every enumeration is a named type (a ``TypeAliasType`` or an enum class), so
the document has one named schema for it rather than a copy inlined in each
model: client generators name inline enums after the model and field, and two
of them collided (``OrderRefund.status`` and ``Order.refundStatus`` both became
``OrderRefundStatus``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from refunds_core import events, statuses
from refunds_core.callers import Role
from refunds_core.logic.transitions import TRANSITIONS
from refunds_core.models import IDENTIFIER
from refunds_core.money import CURRENCIES

ULID = "[0-9A-HJKMNP-TV-Z]{26}"

# Money is a decimal string exact to the currency's minor unit ("59.50", "100" in JPY, "1.250" in KWD).
Money = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]*)(\.[0-9]{1,4})?$", examples=["59.50"])]
# Every time the API writes: ISO 8601, UTC, milliseconds, "Z" (clock.now_iso); an RFC 3339
# date-time, so generated clients parse it.
Timestamp = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$",
                                 examples=["2026-11-22T10:00:00.000Z"], json_schema_extra={"format": "date-time"})]
Identifier = Annotated[str, Field(pattern=rf"^{IDENTIFIER.pattern}$")]
RefundId = Annotated[str, Field(pattern=rf"^rf_{ULID}$")]
WebhookId = Annotated[str, Field(pattern=rf"^whk_{ULID}$")]
EventId = Annotated[str, Field(pattern=rf"^evt_{ULID}$")]
ApiKeyId = Annotated[str, Field(pattern=rf"^key_{ULID}$")]
# An enum class rather than a Literal: one named schema, not 180 codes inlined wherever money is.
Currency = StrEnum("Currency", {code: code for code in sorted(CURRENCIES)})
RefundStatus = TypeAliasType("RefundStatus", Literal[statuses.ALL])  # type: ignore[valid-type]
HistoryAction = TypeAliasType("HistoryAction", Literal[("CREATE", *TRANSITIONS)])  # type: ignore[valid-type]
RoleName = TypeAliasType("Role", Literal[tuple(role.value for role in Role)])  # type: ignore[valid-type]
EventType = TypeAliasType("EventType", Literal[events.TYPES])  # type: ignore[valid-type]
RefundKind = TypeAliasType("RefundKind", Literal["items", "amount", "full"])
OrderStatus = TypeAliasType("OrderStatus", Literal["pending", "paid", "cancelled", "refunded"])
OrderRefundStatus = TypeAliasType("OrderRefundStatus", Literal["none", "partially_refunded", "refunded"])
DeliveryOutcome = TypeAliasType("DeliveryOutcome", Literal["delivered", "retrying", "failed"])
# whsec_ + base64 of 24 random bytes (logic/webhooks.new_secret).
WebhookSecret = Annotated[str, Field(pattern=r"^whsec_[A-Za-z0-9+/]{32}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# ------------------------------------------------------------------ errors

class ErrorEntry(Body):
    error: int = Field(description="The code: see the error catalogue (README, Errors).")
    message: str


class ErrorBody(Body):
    """Every error of every route, the API Gateway's own included."""

    errors: list[ErrorEntry] = Field(min_length=1)


# ------------------------------------------------------------------ tokens

class TokenResponse(Body):
    token: str = Field(description="A JWT (HS256): send it as `Authorization: Bearer <token>`.")
    tokenType: Literal["Bearer"]
    expiresIn: int = Field(ge=1, description="Seconds until the token expires.")


# ------------------------------------------------------------------- money

class AmountAndTax(Body):
    amount: Money
    tax: Money


class RefundedItem(Body):
    itemId: Identifier
    quantity: int = Field(ge=1)
    amount: Money = Field(description="Before tax.")
    tax: Money


class RemainingLine(Body):
    itemId: Identifier
    quantity: int = Field(ge=0, description="Units not yet refunded by ISSUED refunds.")
    amount: Money
    tax: Money


class Remaining(Body):
    """What an order has left to refund (logic/refunds.present_remaining)."""

    lines: list[RemainingLine]
    shipping: AmountAndTax
    total: Money


# ----------------------------------------------------------------- refunds

class HistoryEntry(Body):
    status: RefundStatus = Field(description="The status the action reached.")
    action: HistoryAction
    actor: str
    role: RoleName
    at: Timestamp
    reason: str | None


class Refund(Body):
    """A refund as every route shows it (logic/refunds.present)."""

    id: RefundId
    number: str | None = Field(description="`<order number>-R<n>`, counting the order's requests from 1.")
    orderId: Identifier
    merchantId: Identifier
    customerId: Identifier | None
    status: RefundStatus
    valid: bool = Field(description="Open or ISSUED.")
    refundOnly: bool
    description: str | None
    email: str
    batchId: Identifier | None
    kind: RefundKind
    items: list[RefundedItem]
    shipping: AmountAndTax
    tax: Money
    amount: Money = Field(description="All of it, tax included.")
    currency: Currency
    requester: str
    responseReason: str | None
    trackingId: str | None
    carrierName: str | None
    confirmedAt: Timestamp | None
    issuedAt: Timestamp | None
    createdAt: Timestamp
    updatedAt: Timestamp
    history: list[HistoryEntry] = Field(min_length=1, description="Every status change, oldest first.")


class RefundPreview(Body):
    """What a request with this body would refund, and what the order has left before and after it."""

    kind: RefundKind
    items: list[RefundedItem]
    shipping: AmountAndTax
    tax: Money
    amount: Money
    currency: Currency
    remaining: Remaining
    remainingAfter: Remaining


# ------------------------------------------------------------------ orders

class OrderLine(Body):
    itemId: Identifier
    name: str
    quantity: int = Field(ge=1)
    unitPrice: Money
    discount: Money
    tax: Money
    amount: Money = Field(description="unitPrice × quantity − discount.")
    refundedQuantity: int = Field(ge=0)


class OrderShipping(Body):
    price: Money
    tax: Money


class OrderTotals(Body):
    items: Money
    shipping: Money
    tax: Money
    total: Money


class Order(Body):
    """An order (logic/orders.present)."""

    id: Identifier
    merchantId: Identifier
    number: str
    status: OrderStatus
    currency: Currency
    customerId: Identifier | None
    lineItems: list[OrderLine] = Field(min_length=1)
    shipping: OrderShipping
    totals: OrderTotals
    refundedAmount: Money = Field(description="What ISSUED refunds returned.")
    refundableAmount: Money
    refundStatus: OrderRefundStatus
    createdAt: Timestamp
    updatedAt: Timestamp


class OrderRefund(Body):
    id: RefundId
    status: RefundStatus
    amount: Money
    createdAt: Timestamp


class OrderWithRefunds(Order):
    """GET /v1/orders/{orderId}: the order and its refunds, newest first, at most 50."""

    refunds: list[OrderRefund] = Field(max_length=50)


class RefundWithOrder(Refund):
    """GET /v1/refunds/{refundId}?expand=order."""

    order: Order


# ---------------------------------------------------------------- webhooks

class Webhook(Body):
    id: WebhookId
    url: str
    events: list[EventType] = Field(min_length=1)
    createdAt: Timestamp


class WebhookCreated(Webhook):
    secret: WebhookSecret | None = Field(
        description="Shown here and after a rotation only; null in a replay of the request (Idempotency-Key).")


class RotatedSecret(Body):
    id: WebhookId
    secret: WebhookSecret | None = Field(description="null in a replay of the request (Idempotency-Key).")
    previousSecretExpiresAt: Timestamp


class Delivery(Body):
    eventId: EventId
    eventType: EventType
    statusCode: int | None = Field(description="The endpoint's answer; null when it could not be reached.")
    outcome: DeliveryOutcome
    attempt: int = Field(ge=1)
    at: Timestamp
    replay: bool
    error: str | None


class RefundEvent(Body):
    """What a webhook delivery POSTs: one change of a refund (refunds_core/events.py)."""

    id: EventId = Field(description="The same for every delivery of this change (retries, replays): it is the "
                                    "`webhook-id` header. De-duplicate on it.")
    type: EventType
    sequence: int = Field(ge=1, description="The refund's version after the change: 1 for its `refund.created`, "
                                            "then one more for each later event of the same refund. Events of one "
                                            "refund may arrive out of order (after a retry): order them by it, and "
                                            "ignore one whose sequence you already applied.")
    createdAt: Timestamp = Field(description="When the change was written (its history entry's `at`).")
    merchantId: Identifier
    data: Refund = Field(description="The refund after the change, as `GET /v1/refunds/{refundId}` shows it.")


class ReplayQueued(Body):
    queued: int = Field(ge=0)
    nextSince: Timestamp | None = Field(description="Send it as `since` for the rest; null when nothing remains.")


# ---------------------------------------------------------------- API keys

class ApiKey(Body):
    id: ApiKeyId
    name: str | None = Field(description="The label given at creation; null when none was.")
    prefix: str = Field(description="The key's first characters, to recognise it.")
    createdAt: Timestamp


class ApiKeyCreated(ApiKey):
    key: str | None = Field(description="Send it as `X-API-KEY`. Shown here only: it is stored hashed "
                                        "(null in a replay of the request: Idempotency-Key).")


# --------------------------------------------------------------- envelopes

class RefundResponse(Body):
    data: Refund


class RefundOrExpandedResponse(Body):
    data: RefundWithOrder | Refund


class RefundPreviewResponse(Body):
    data: RefundPreview


class RefundPage(Body):
    data: list[Refund]
    nextCursor: str | None = Field(description="Send it as `cursor` with the same parameters; null on the last page.")


class OrderResponse(Body):
    data: Order


class OrderWithRefundsResponse(Body):
    data: OrderWithRefunds


class WebhookResponse(Body):
    data: Webhook


class WebhookCreatedResponse(Body):
    data: WebhookCreated


class WebhookList(Body):
    data: list[Webhook]


class RotatedSecretResponse(Body):
    data: RotatedSecret


class DeliveryPage(Body):
    data: list[Delivery]
    nextCursor: str | None


class ReplayQueuedResponse(Body):
    data: ReplayQueued


class ApiKeyCreatedResponse(Body):
    data: ApiKeyCreated


class ApiKeyList(Body):
    data: list[ApiKey]
