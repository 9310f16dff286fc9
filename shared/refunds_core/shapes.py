"""What the API answers, written once: each answer's shape as a ``TypedDict``.

The ``present`` functions of ``logic/`` build these (a ``TypedDict`` called is
a plain dict: nothing is validated or copied at run time), and
scripts/openapi.py turns them into docs/openapi.json's response schemas (with
pydantic, which only the generator and the tests load for them), each object
``additionalProperties: false``. The contract tests hold every real answer to
those schemas, so a field that ``present`` adds and the shape lacks fails them.

Every key is always present; ``X | None`` may be null. ``Doc`` adds what a
type cannot say (a description, a pattern, a bound) to the document. Every
enumeration is a named type (a ``TypeAliasType`` or an enum class), so the
document has one named schema for it: client generators name inline enums
after the model and field, and two of them collided.

Envelopes (``{"data": ...}``, pages) are not shapes: a route declares how its
answer is wrapped (``routes.route``), and the wrapping happens in one place.
The webhook body is ``events.RefundEvent``, the model the publisher builds and
the dispatcher parses; the document shows its ``data`` as a ``Refund``.
"""

from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple

from typing_extensions import TypeAliasType, TypedDict

from refunds_core import events, reasons, refund_ids, statuses
from refunds_core.callers import Role, Scope
from refunds_core.modes import Mode
from refunds_core.money import CURRENCIES


class Doc:
    """JSON Schema keywords for the document (``description``, ``pattern``,
    ``minimum``...): pydantic applies them when the generator reads the shape."""

    __slots__ = ("keywords",)

    def __init__(self, description: str | None = None, **keywords: Any):
        self.keywords = {**({"description": description} if description else {}), **keywords}

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.update(self.keywords)  # beside a "$ref" too: JSON Schema 2020-12 allows it
        return schema


class Schema(Doc):
    """The whole JSON Schema of a value, where its type's own would say
    another thing (a ``Decimal`` written as a JSON number, not a string)."""

    __slots__ = ()

    def __get_pydantic_json_schema__(self, core_schema, handler):
        return dict(self.keywords)


ULID = "[0-9A-HJKMNP-TV-Z]{26}"
IDENTIFIER = "[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"

# Money is a decimal string exact to the currency's minor unit ("59.50", "100" in JPY, "1.250" in KWD).
Money = Annotated[str, Doc(pattern=r"^(0|[1-9][0-9]*)(\.[0-9]{1,4})?$", examples=["59.50"])]
# Every time the API writes: ISO 8601, UTC, milliseconds, "Z" (clock.now_iso); an RFC 3339
# date-time, so generated clients parse it.
Timestamp = Annotated[str, Doc(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$",
                               examples=["2026-11-22T10:00:00.000Z"], format="date-time")]
Identifier = Annotated[str, Doc(pattern=rf"^{IDENTIFIER}$")]
RefundId = Annotated[str, Doc(pattern=rf"^rf_{ULID}$")]
# The refund's id as a number (refund_ids.py): what seed 002's API calls its `id`.
RefundNumber = Annotated[int, Doc(minimum=1, maximum=refund_ids.LARGEST)]
WebhookId = Annotated[str, Doc(pattern=rf"^whk_{ULID}$")]
EventId = Annotated[str, Doc(pattern=rf"^evt_{ULID}$")]
ApiKeyId = Annotated[str, Doc(pattern=rf"^key_{ULID}$")]
Count = Annotated[int, Doc(minimum=0)]
Positive = Annotated[int, Doc(minimum=1)]
# An enum class rather than a Literal: one named schema, not 180 codes inlined wherever money is.
Currency = StrEnum("Currency", {code: code for code in sorted(CURRENCIES)})
RefundStatus = TypeAliasType("RefundStatus", Literal[statuses.ALL])  # type: ignore[valid-type]
HistoryAction = TypeAliasType("HistoryAction", Literal[tuple(events.TYPE_OF_ACTION)])  # type: ignore[valid-type]
# What a caller may do to a refund: a PATCH action, or CANCEL (DELETE). Every history action but CREATE.
# ("RefundAction" names the PATCH body in the document.)
RefundActionName = TypeAliasType("RefundActionName", Literal[tuple(  # type: ignore[valid-type]
    action for action in events.TYPE_OF_ACTION if action != "CREATE")])
RoleName = TypeAliasType("Role", Literal[tuple(role.value for role in Role)])  # type: ignore[valid-type]
ScopeName = TypeAliasType("Scope", Literal[tuple(scope.value for scope in Scope)])  # type: ignore[valid-type]
ModeName = TypeAliasType("Mode", Literal[tuple(mode.value for mode in Mode)])  # type: ignore[valid-type]
EventType = TypeAliasType("EventType", Literal[events.TYPES])  # type: ignore[valid-type]
RefundReason = TypeAliasType("RefundReason", Literal[reasons.REFUND_REASONS])  # type: ignore[valid-type]
DeclineReason = TypeAliasType("DeclineReason", Literal[reasons.DECLINE_REASONS])  # type: ignore[valid-type]
# The merchant's own keys and values (models.Metadata's limits), shown as stored; {} when none.
Metadata = Annotated[dict[str, Annotated[str, Doc(maxLength=500)]], Doc(
    "The merchant's own keys and string values, set at creation and changed with `PATCH "
    "/v1/refunds/{refundId}` `{\"metadata\": {...}}`; `{}` when none. Never used by any rule.",
    maxProperties=20, propertyNames={"minLength": 1, "maxLength": 40})]
RefundKind = TypeAliasType("RefundKind", Literal["items", "amount", "full"])
OrderStatus = TypeAliasType("OrderStatus", Literal["pending", "paid", "cancelled", "refunded"])
OrderRefundStatus = TypeAliasType("OrderRefundStatus", Literal["none", "partially_refunded", "refunded"])
DeliveryOutcome = TypeAliasType("DeliveryOutcome", Literal["delivered", "retrying", "failed"])
# Why an endpoint is disabled: its deliveries all failed for 5 days, or the merchant turned it off.
DisabledReason = TypeAliasType("WebhookDisabledReason", Literal["failing", "merchant"])
# whsec_ + base64 of 24 random bytes (logic/webhooks.new_secret).
WebhookSecret = Annotated[str, Doc(pattern=r"^whsec_[A-Za-z0-9+/]{32}$")]


# GET /v1/refunds/export's answer: CSV text (logic/export.py's columns).
RefundsCsv = Annotated[str, Doc("RFC 4180 CSV, UTF-8: a header row, then one row per refund.")]


class Attachment(NamedTuple):
    """What logic hands back for an answer that is a file, not JSON (a route
    declaring ``media_type``): its text, and the name a browser saves it under."""

    body: str
    filename: str | None = None


class Page(NamedTuple):
    """What logic hands back for a page of a list: the items, and the cursor
    of the next page (None on the last); the route wraps it."""

    items: list
    next_cursor: str | None


# ------------------------------------------------------------------ errors

class ErrorEntry(TypedDict):
    error: Annotated[int, Doc("The code: see the error catalogue (docs/errors.md).")]
    message: str


class ErrorBody(TypedDict):
    """Every error of every route, the API Gateway's own included."""

    errors: Annotated[list[ErrorEntry], Doc(minItems=1)]


# ------------------------------------------------------------------ tokens

class TokenResponse(TypedDict):
    token: Annotated[str, Doc("A JWT (HS256): send it as `Authorization: Bearer <token>`.")]
    tokenType: Literal["Bearer"]
    expiresIn: Annotated[int, Doc("Seconds until the token expires.", minimum=1)]
    role: Annotated[RoleName, Doc("Whom the token acts as: what a client shows (a support queue, a merchant's "
                                  "requests). The API checks it on every request all the same.")]
    merchantId: Annotated[Identifier | None, Doc("The merchant a merchant or customer token acts for; null "
                                                 "for support and the order system.")]
    mode: Annotated[ModeName, Doc("Live or test (docs/test-mode.md): the token reads and writes that mode's "
                                  "data only.")]


# ------------------------------------------------------------------- money

class AmountAndTax(TypedDict):
    amount: Money
    tax: Money


class RefundedItem(TypedDict):
    itemId: Identifier
    quantity: Positive
    amount: Annotated[Money, Doc("Before tax.")]
    tax: Money


class RemainingLine(TypedDict):
    itemId: Identifier
    quantity: Annotated[int, Doc("Units not yet refunded by ISSUED refunds.", minimum=0)]
    amount: Money
    tax: Money


class Remaining(TypedDict):
    """What an order has left to refund."""

    lines: list[RemainingLine]
    shipping: AmountAndTax
    total: Money


class RefundParts(TypedDict):
    """A refund's money: what kind of refund, its items, shipping, tax and amount."""

    kind: RefundKind
    items: list[RefundedItem]
    shipping: AmountAndTax
    tax: Money
    amount: Annotated[Money, Doc("All of it, tax included.")]
    currency: Currency


# ----------------------------------------------------------------- refunds

class HistoryEntry(TypedDict):
    status: Annotated[RefundStatus, Doc("The status the action reached.")]
    action: HistoryAction
    actor: str
    role: RoleName
    at: Timestamp
    reason: str | None


class Refund(RefundParts):
    """A refund as every route shows it."""

    id: RefundId
    numericId: Annotated[RefundNumber | None, Doc(
        "The refund's id as an integer, unique in the deployment and at most 2^53 - 1: seed 002's `id` "
        "(`/api/v2/refunds/{id}`). null only for a refund stored before refunds had numbers.")]
    number: Annotated[str | None, Doc("`<order number>-R<n>`, counting the order's requests from 1.")]
    orderId: Identifier
    merchantId: Identifier
    customerId: Identifier | None
    status: RefundStatus
    valid: Annotated[bool, Doc("Open or ISSUED.")]
    refundOnly: bool
    description: str | None
    reason: Annotated[RefundReason | None, Doc("Why the refund was requested, as a code; null when none was given.")]
    email: str
    batchId: Identifier | None
    metadata: Metadata
    requester: str
    responseReason: str | None
    declineReason: Annotated[DeclineReason | None, Doc("Why support denied it, as a code (DENIED refunds); "
                                                       "else null.")]
    trackingId: str | None
    carrierName: str | None
    confirmedAt: Timestamp | None
    issuedAt: Timestamp | None
    createdAt: Timestamp
    updatedAt: Timestamp
    history: Annotated[list[HistoryEntry], Doc("Every status change, oldest first.", minItems=1)]
    livemode: Annotated[bool, Doc("false for a test-mode refund (docs/test-mode.md): it exists only for "
                                  "test-mode callers.")]


class StatusCount(TypedDict):
    count: Annotated[int, Doc("Refunds in the status, up to the cap (1000).", minimum=0, maximum=1000)]
    capped: Annotated[bool, Doc("true when there are more than `count` (show it as `1000+`): counting stops "
                                "at the cap.")]


class OpenCounts(TypedDict):
    """How many refunds wait in each open status."""

    REQUESTED: StatusCount
    WAITING: StatusCount
    PROCESSING: StatusCount


class RefundPreview(RefundParts):
    """What a request with this body would refund, and what the order has left before and after it."""

    remaining: Remaining
    remainingAfter: Remaining


# ------------------------------------------------------------------ orders

class OrderLine(TypedDict):
    itemId: Identifier
    name: str
    quantity: Positive
    unitPrice: Money
    discount: Money
    tax: Money
    amount: Annotated[Money, Doc("unitPrice × quantity − discount.")]
    refundedQuantity: Count


class OrderShipping(TypedDict):
    price: Money
    tax: Money


class OrderTotals(TypedDict):
    items: Money
    shipping: Money
    tax: Money
    total: Money


class AddressRecord(TypedDict):
    firstName: str | None
    lastName: str | None
    company: str | None
    address1: str | None
    address2: str | None
    city: str | None
    province: str | None
    zip: str | None
    country: str | None
    countryCode: str | None
    phone: str | None


class CustomerRecord(TypedDict):
    firstName: str | None
    lastName: str | None
    email: str | None
    phone: str | None


class ShippingMethodRecord(TypedDict):
    name: str | None
    description: str | None


class OrderDetailsRecord(TypedDict):
    """What the order system sent of the order beside its money (``details``), as it sent it: null where
    it sent nothing. Never used in the refund math."""

    note: str | None
    customerNote: str | None
    tags: str | None
    paymentMethod: str | None
    fulfillmentStatus: str | None
    discountCode: str | None
    salesPlatform: str | None
    source: str | None
    landingSite: str | None
    checkoutUrl: str | None
    logisticsCode: str | None
    buyerAcceptsMarketing: bool | None
    cancelReason: str | None
    canceledAt: Annotated[str, Doc("As the order system sent it (its offset kept).", format="date-time")] | None
    browserIp: str | None
    customer: CustomerRecord | None
    shippingAddress: AddressRecord | None
    billingAddress: AddressRecord | None
    shippingLine: ShippingMethodRecord | None


class Order(TypedDict):
    """An order."""

    id: Identifier
    merchantId: Identifier
    number: str
    status: OrderStatus
    currency: Currency
    customerId: Identifier | None
    lineItems: Annotated[list[OrderLine], Doc(minItems=1)]
    shipping: OrderShipping
    totals: OrderTotals
    refundedAmount: Annotated[Money, Doc("What ISSUED refunds returned.")]
    refundableAmount: Money
    refundStatus: OrderRefundStatus
    createdAt: Timestamp
    updatedAt: Timestamp
    details: Annotated[OrderDetailsRecord | None, Doc("PUT's `details`; null when the order system sent none.")]


class OrderRefund(TypedDict):
    id: RefundId
    status: RefundStatus
    amount: Money
    createdAt: Timestamp


class OrderWithRefunds(Order):
    """An order and its refunds, newest first, at most 50."""

    refunds: Annotated[list[OrderRefund], Doc(maxItems=50)]


class RefundView(Refund):
    """A refund as `GET /v1/refunds/{refundId}` shows it: with what the caller may do to it now."""

    actions: Annotated[list[RefundActionName], Doc(
        "The actions the caller's role may take on the refund in its current status (and, for SHIP_INIT, "
        "only when goods come back), as the lifecycle allows them: a PATCH `action`, or CANCEL for DELETE. "
        "Empty when none. Another request may act first: the action then answers 409, 15080.")]
    simulations: Annotated[list[RefundActionName], Doc(
        "Test mode only (docs/test-mode.md): support's actions `POST /v1/test/refunds/{refundId}/simulate` "
        "may take on the refund now, for its merchant. Empty in live mode, and for any other caller.")]


class RefundWithOrder(RefundView):
    """A refund with its order beside it (`?expand=order`)."""

    order: Order


RefundOrExpanded = TypeAliasType("RefundOrExpanded", RefundWithOrder | RefundView)


# ---------------------------------------------------------------- webhooks

class Webhook(TypedDict):
    id: WebhookId
    url: str
    events: Annotated[list[EventType], Doc(minItems=1)]
    description: Annotated[str | None, Doc("The merchant's own note; null when none was given.")]
    enabled: Annotated[bool, Doc("False: nothing is delivered to it (a test ping still is) until it is enabled "
                                 "again; its events stay in `GET /v1/events` and can be replayed then.")]
    disabledReason: Annotated[DisabledReason | None, Doc(
        "`failing`: every delivery failed for 5 days, so it was disabled; `merchant`: turned off with PATCH. "
        "null while enabled.")]
    failingSince: Annotated[Timestamp | None, Doc(
        "The first failed delivery since the last one that succeeded (null when the last delivery succeeded): "
        "the endpoint is disabled at the first failure 5 days after it.")]
    createdAt: Timestamp
    updatedAt: Timestamp


class WebhookCreated(Webhook):
    secret: Annotated[WebhookSecret | None, Doc(
        "Shown here and after a rotation only; null in a replay of the request (Idempotency-Key).")]


class RotatedSecret(TypedDict):
    id: WebhookId
    secret: Annotated[WebhookSecret | None, Doc("null in a replay of the request (Idempotency-Key).")]
    previousSecretExpiresAt: Timestamp


class Delivery(TypedDict):
    eventId: EventId
    eventType: EventType
    statusCode: Annotated[int | None, Doc("The endpoint's answer; null when it could not be reached.")]
    outcome: DeliveryOutcome
    attempt: Positive
    at: Timestamp
    replay: bool
    error: str | None


class RefundDelivery(Delivery):
    """A delivery attempt of one of a refund's events, on whichever of the merchant's endpoints."""

    webhookId: WebhookId


# Why a POST got no answer, as a merchant's own answer says it: a class of
# failure, never an address, a port or an exception's text (logic/delivery._problem).
PingProblem = Literal["refused", "timeout", "connection refused", "connection reset", "TLS error", "invalid answer",
                      "unreachable", "unexpected error"]


class WebhookTestResult(TypedDict):
    """What the endpoint did with a `webhook.test` event, sent at once and signed like every delivery."""

    eventId: Annotated[EventId, Doc("The test event's id (its `webhook-id`); it is not kept.")]
    delivered: Annotated[bool, Doc("The endpoint answered a 2xx within 15 seconds.")]
    statusCode: Annotated[int | None, Doc("The endpoint's answer; null when it could not be reached.")]
    latencyMs: Annotated[int, Doc("From the attempt's start to its end, in milliseconds.", minimum=0)]
    error: Annotated[PingProblem | None, Doc(
        "Why there was no answer: `refused` (the URL may not be called: its host does not resolve, or not to "
        "public addresses only), `timeout` (no complete answer within 15 seconds), `connection refused`, "
        "`connection reset`, `TLS error`, `invalid answer` (not HTTP), `unreachable` or `unexpected error`; "
        "null when it answered.")]


class ReplayQueued(TypedDict):
    queued: Count
    nextSince: Annotated[Timestamp | None, Doc("Send it as `since` for the rest; null when nothing remains.")]


# ------------------------------------------------------------------ events

class DisabledEndpoint(TypedDict):
    """Which endpoint was disabled and why; not its URL or description, which only
    `GET /v1/webhooks/{webhookId}` shows (scope `manage_webhooks`), while the events API
    is read with `read_order`."""

    id: WebhookId
    enabled: Literal[False]
    disabledReason: Annotated[DisabledReason, Doc("`failing`: every delivery failed for 5 days.")]
    failingSince: Annotated[Timestamp, Doc(
        "The first failed delivery of the streak: `POST /v1/webhooks/{webhookId}/replay` `since` it "
        "delivers what the endpoint missed, once it is enabled again.")]


class WebhookEndpointEvent(TypedDict):
    """An endpoint's own event, listed by the events API only (never delivered)."""

    id: EventId
    type: Literal["webhook_endpoint.disabled"]
    createdAt: Timestamp
    merchantId: Identifier
    data: DisabledEndpoint


# What GET /v1/events answers: each event's body as it was kept (and, for a refund's, delivered).
Event = TypeAliasType("Event", events.RefundEvent | WebhookEndpointEvent)


# ---------------------------------------------------------------- API keys

class ApiKey(TypedDict):
    id: ApiKeyId
    name: Annotated[str | None, Doc("The label given at creation; null when none was.")]
    prefix: Annotated[str, Doc("The key's first characters, to recognise it.")]
    scopes: Annotated[list[ScopeName], Doc("What the key may do (docs/api-keys.md): each route needs one.",
                                           minItems=1)]
    mode: Annotated[ModeName, Doc("Live or test (docs/test-mode.md): a test key starts `rrk_test_` and reads "
                                  "and writes test data only.")]
    createdAt: Timestamp


class ApiKeyCreated(ApiKey):
    key: Annotated[str | None, Doc("Send it as `X-API-KEY`. Shown here only: it is stored hashed (null in a "
                                   "replay of the request: Idempotency-Key).")]


# ------------------------------------------------------------- connections

# A store connection's id: a UUID in lower case (logic/connections.py), seed 003's `connectionId`.
CONNECTION_ID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ConnectionId = Annotated[str, Doc(pattern=f"^{CONNECTION_ID}$", minLength=36, maxLength=36,
                                  examples=["0b7f9c52-4a8e-4d1b-9a57-3c2e8f6d1a90"])]


class Connection(TypedDict):
    """One of the merchant's store connections (seed 003 names it in its path)."""

    id: ConnectionId
    name: Annotated[str | None, Doc("The label its administrator gave it; null when none was.")]
    createdAt: Timestamp
