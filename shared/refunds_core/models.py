"""Request bodies, as pydantic models. Strict: a number is not a string, null is
not a value unless a field says so, and an unknown field is an error."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from refunds_core import events, reasons
from refunds_core.callers import Scope
from refunds_core.modes import Mode
from refunds_core.money import CURRENCIES

# The HTML living standard's "valid e-mail address" (what browsers accept),
# with a dot required in the domain: refunds are answered by real mailboxes.
# A regex rather than email-validator: that package pulls dnspython into every
# cold start for a check we do not need (deliverability).
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("not an e-mail address")
    return value


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError("not an ISO 4217 currency code")
    return value


# WithJsonSchema: what the validator checks, said in the OpenAPI document (docs/openapi.json).
Email = Annotated[str, StringConstraints(max_length=80), AfterValidator(_email),
                  WithJsonSchema({"type": "string", "format": "email", "maxLength": 80})]
# Order, merchant and item ids: what fits in a URL path segment and a key.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
Identifier = Annotated[str, StringConstraints(pattern=rf"^{IDENTIFIER.pattern}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Money is a decimal string in major units; its decimals are checked against
# the order's currency in logic (it depends on a sibling field).
MoneyText = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,4})?$")]
Currency = Annotated[str, AfterValidator(_currency), WithJsonSchema({"type": "string", "enum": sorted(CURRENCIES)})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


# ------------------------------------------------------------- metadata

# A refund's metadata: the merchant's own keys and string values (its order
# reference, its ERP's id), Stripe's limits. Stored and shown, never read by a rule.
MAX_METADATA_KEYS = 20
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500


def _key_text(value: str) -> str:
    if not value.isprintable() or not value.strip():
        raise ValueError("printable characters, not only spaces")
    return value


MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_METADATA_KEY_LENGTH),
                        AfterValidator(_key_text)]
MetadataValue = Annotated[str, StringConstraints(max_length=MAX_METADATA_VALUE_LENGTH)]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=MAX_METADATA_KEYS)]
ModeName = Literal[tuple(mode.value for mode in Mode)]  # type: ignore[valid-type]
RefundReason = Literal[reasons.REFUND_REASONS]  # type: ignore[valid-type]
DeclineReason = Literal[reasons.DECLINE_REASONS]  # type: ignore[valid-type]


class MetadataUpdate(Strict):
    """PATCH /v1/refunds/{refundId} without an action: keys to set (a string), and keys to remove (null). Keys
    not named keep their values. The refund holds at most 20 keys after the change. Keys: 1 to 40 printable
    characters; values: at most 500 characters."""

    # At most a full set of new keys and a full set of removals in one request.
    metadata: Annotated[dict[MetadataKey, MetadataValue | None], Field(max_length=2 * MAX_METADATA_KEYS)]


class TokenRequest(Strict):
    login: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    # Optional: a token in test mode reads and writes test data only, for every role (docs/test-mode.md).
    mode: ModeName = "live"


class RefundItem(Strict):
    itemId: Identifier
    # No upper bound here: more units than the line has left is 15090, not a bad field.
    quantity: int = Field(ge=1)


class CreateRefundRequest(Strict):
    email: Email
    # Optional, but not nullable: the contract makes null a 15010 unless a field
    # allows it. pydantic does not validate defaults, so absent stays None.
    description: Annotated[str, StringConstraints(max_length=500)] = None  # type: ignore[assignment]
    # False: the goods come back, and shipment info (SHIP_INIT) is expected.
    refundOnly: bool = True
    # What is refunded (logic/refund_math.py): items, or an amount, or neither (a
    # full refund). Unknown and duplicate itemIds, items with an amount, and an
    # amount finer than the currency are checked against the order in logic.
    items: Annotated[list[RefundItem], Field(max_length=250)] = None  # type: ignore[assignment]
    amount: MoneyText = None  # type: ignore[assignment]
    refundShipping: bool = False
    batchId: Identifier = None  # type: ignore[assignment]
    # Why, as a code (reasons.py), beside the free-text description.
    reason: RefundReason = None  # type: ignore[assignment]
    # The merchant's only: a customer sending it is a 15010 (logic).
    metadata: Metadata = None  # type: ignore[assignment]


class ContactEmail(Strict):
    """A merchant's contact email for refund requests, where a request carries none (scripts/admin.py sets it)."""

    email: Email


class RefundQuery(Strict):
    """GET /v1/refunds/{id}'s query string."""

    expand: Literal["order"] = None  # type: ignore[assignment]


class CustomerTokenRequest(Strict):
    # The order system's customer id, as orders carry it (OrderRequest.customerId).
    customerId: Identifier


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value


ShipmentText = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_not_blank)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_not_blank)]


# The fields of each PATCH /v1/refunds/{id} action besides "action" itself
# (logic/transitions.py names which model an action reads). Every field is
# required; anything else in the body, status or amount included, is a 15010.

class NoFields(Strict):
    """APPROVE and ISSUE: the action alone."""


class ShipmentFields(Strict):
    """SHIP_INIT: the return shipment the customer sent."""

    trackingId: ShipmentText
    carrierName: ShipmentText


class ResponseReasonFields(Strict):
    """DENY and FAIL: why, as the merchant and customer will read it."""

    responseReason: Reason


class DenyFields(ResponseReasonFields):
    """DENY: why in words, and why as a code (reasons.py) that lists and exports filter by."""

    declineReason: DeclineReason


class LineItem(Strict):
    itemId: Identifier
    name: Text
    quantity: int = Field(ge=1, le=1_000_000)
    unitPrice: MoneyText
    discount: MoneyText = "0"
    tax: MoneyText = "0"


class Shipping(Strict):
    price: MoneyText = "0"
    tax: MoneyText = "0"


class OrderRequest(Strict):
    merchantId: Identifier
    number: Text
    status: Literal["pending", "paid", "cancelled"]
    currency: Currency
    customerId: Identifier = None  # type: ignore[assignment]
    lineItems: list[LineItem] = Field(min_length=1, max_length=250)
    shipping: Shipping = Shipping()
    # What else the order system knows of the order (below): shown, never counted.
    details: OrderDetails = None  # type: ignore[assignment]


# ------------------------------------------------------------- webhooks

# The event types a webhook endpoint subscribes to (refunds_core/events.py names them).
EventType = Literal[events.TYPES]  # type: ignore[valid-type]
_EVENT_TYPE_COUNT = len(events.TYPES)  # a field below is named "events" too
EVENT_ID = re.compile(r"evt_[0-9A-HJKMNP-TV-Z]{26}")


def _aware_time(value: str) -> str:
    """An ISO 8601 time with its offset: ``2026-11-22T10:00:00Z``, ``2026-11-22T12:00:00.5+02:00``."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError("a date and time with an offset (Z or +hh:mm)")
    return value


AwareTime = Annotated[str, StringConstraints(max_length=64), AfterValidator(_aware_time),
                      WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 64})]


# Only the length here: whether the URL may be delivered to (https, public
# addresses) is checked in logic, which resolves its host.
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
# A repeated type is a 15010 for its second occurrence (checked in logic).
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=_EVENT_TYPE_COUNT)]
# The merchant's own note on an endpoint ("ERP production").
WebhookDescription = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_not_blank)]


class CreateWebhookRequest(Strict):
    url: WebhookUrl
    events: EventTypes
    description: WebhookDescription = None  # type: ignore[assignment]


class UpdateWebhookRequest(Strict):
    """PATCH /v1/webhooks/{id}: the fields to change, each checked as at registration."""

    url: WebhookUrl = None  # type: ignore[assignment]
    events: EventTypes = None  # type: ignore[assignment]
    # null removes it.
    description: WebhookDescription | None = None
    # true: deliveries start again (a failure streak starts afresh); false: none until it is true again.
    enabled: bool = None  # type: ignore[assignment]


# How long the secrets a rotation replaces keep signing beside the new one.
SECRET_OVERLAP_SECONDS = 86_400
MAX_SECRET_OVERLAP_SECONDS = 604_800  # a week


class RotateSecretRequest(Strict):
    """The rotation's body, optional: without one the previous secrets sign for 24 hours more."""

    # 0: they stop signing now (a leaked secret).
    previousSecretExpiresIn: int = Field(default=SECRET_OVERLAP_SECONDS, ge=0, le=MAX_SECRET_OVERLAP_SECONDS)


class ReplayRequest(Strict):
    """One of the two: an event, or every event since a time (both or neither: 15010, in logic)."""

    eventId: Annotated[str, StringConstraints(pattern=rf"^{EVENT_ID.pattern}$")] = None  # type: ignore[assignment]
    since: AwareTime = None  # type: ignore[assignment]


# ------------------------------------------------------------- API keys

def _printable(value: str) -> str:
    if not value.isprintable() or not value.strip():
        raise ValueError("printable characters, not only spaces")
    return value


ScopeName = Literal[tuple(scope.value for scope in Scope)]  # type: ignore[valid-type]


def _no_repeats(values: list) -> list:
    if len(set(values)) != len(values):
        raise ValueError("a scope is named twice")
    return values


class CreateApiKeyRequest(Strict):
    # Optional: a label for the merchant's own list ("checkout server"); null when absent.
    name: Annotated[str, StringConstraints(min_length=1, max_length=100),  # type: ignore[assignment]
                    AfterValidator(_printable)] = None
    # Optional: what the key may do (callers.Scope); absent, every scope. A key
    # with none could do nothing: at least one.
    scopes: Annotated[list[ScopeName], Field(min_length=1, max_length=len(Scope)),  # type: ignore[assignment]
                      AfterValidator(_no_repeats)] = None
    # Optional: a test-mode key (``rrk_test_``) reads and writes test data only (docs/test-mode.md);
    # absent, the key is of the token's mode (live for a live token).
    mode: ModeName = None  # type: ignore[assignment]


# ------------------------------------------------------- orders' details
#
# What the order system says of an order beside its money (seed 004's order
# record): stored and shown as it was sent, never used in the refund math.
# Each field optional and bounded (the body's 16 KB bound them all). Names,
# addresses, emails, phones and the buyer's IP are personal data: never logged.

def _ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address") from None
    return value


# Text as the order system wrote it, up to a length (the bound is all a description needs).
Short = Annotated[str, StringConstraints(max_length=100)]
Line = Annotated[str, StringConstraints(max_length=200)]
Long = Annotated[str, StringConstraints(max_length=500)]
Note = Annotated[str, StringConstraints(max_length=1000)]
Url = Annotated[str, StringConstraints(max_length=2048)]
Phone = Annotated[str, StringConstraints(max_length=32)]

IpAddress = Annotated[str, StringConstraints(max_length=45), AfterValidator(_ip_address),
                      WithJsonSchema({"type": "string", "maxLength": 45, "description": "IPv4 or IPv6."})]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class PostalAddress(Strict):
    firstName: Short = None  # type: ignore[assignment]
    lastName: Short = None  # type: ignore[assignment]
    company: Line = None  # type: ignore[assignment]
    address1: Line = None  # type: ignore[assignment]
    address2: Line = None  # type: ignore[assignment]
    city: Short = None  # type: ignore[assignment]
    province: Short = None  # type: ignore[assignment]
    zip: Annotated[str, StringConstraints(max_length=20)] = None  # type: ignore[assignment]
    country: Short = None  # type: ignore[assignment]
    countryCode: Annotated[CountryCode, Field(description="ISO 3166-1 alpha-2.")] = None  # type: ignore[assignment]
    phone: Phone = None  # type: ignore[assignment]


class OrderCustomer(Strict):
    """The buyer as the order system knows them (its id is the order's ``customerId``)."""

    firstName: Short = None  # type: ignore[assignment]
    lastName: Short = None  # type: ignore[assignment]
    email: Email = None  # type: ignore[assignment]
    phone: Phone = None  # type: ignore[assignment]


class ShippingMethod(Strict):
    """How the order ships (its price is ``shipping.price``)."""

    name: Line = None  # type: ignore[assignment]
    description: Long = None  # type: ignore[assignment]


class OrderDetails(Strict):
    note: Note = None  # type: ignore[assignment]
    customerNote: Note = None  # type: ignore[assignment]
    tags: Annotated[str, StringConstraints(max_length=500),  # type: ignore[assignment]
                    Field(description="As the order system writes them (comma-separated).")] = None
    paymentMethod: Short = None  # type: ignore[assignment]
    fulfillmentStatus: Annotated[str, StringConstraints(max_length=50)] = None  # type: ignore[assignment]
    discountCode: Short = None  # type: ignore[assignment]
    salesPlatform: Short = None  # type: ignore[assignment]
    source: Line = None  # type: ignore[assignment]
    landingSite: Url = None  # type: ignore[assignment]
    checkoutUrl: Url = None  # type: ignore[assignment]
    logisticsCode: Short = None  # type: ignore[assignment]
    buyerAcceptsMarketing: bool = None  # type: ignore[assignment]
    cancelReason: Long = None  # type: ignore[assignment]
    canceledAt: AwareTime = None  # type: ignore[assignment]
    browserIp: IpAddress = None  # type: ignore[assignment]
    customer: OrderCustomer = None  # type: ignore[assignment]
    shippingAddress: PostalAddress = None  # type: ignore[assignment]
    billingAddress: PostalAddress = None  # type: ignore[assignment]
    shippingLine: ShippingMethod = None  # type: ignore[assignment]
