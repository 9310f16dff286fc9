"""Seed 002's refund API (``/api/v2/refunds``), spoken around our core.

Its requests are parsed here into the core's terms (our field names, order
ids as strings, money as a decimal string, our statuses), and the core's
answers presented in its own (its ``Refund`` entity: integer ids, money as a
JSON number, its six statuses). Its document gives no errors body: errors
are ours, with our codes. The mapping, and every point where we differ from
its document, is docs/dialects.md.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, WithJsonSchema
from typing_extensions import TypeAliasType, TypedDict

from refunds_core import refund_ids, shapes, statuses
from refunds_core.dialects import Dialect
from refunds_core.errors import FieldErrors
from refunds_core.listing_query import Flag
from refunds_core.logic.listing import MAX_WINDOW_DEPTH, Filters
from refunds_core.models import ShipmentText, Strict
from refunds_core.shapes import Doc
from refunds_core.validation import field_errors, parse

DIALECT = Dialect(
    name="seed002", tag="seed 002 (/api/v2)",
    description="Seed 002's refund API as its document describes it, for clients written against it: integer "
                "ids, money as a JSON number, its statuses and its roles (SELLER is a merchant, CUSTOMER a "
                "merchant's customer). Errors are ours. docs/dialects.md maps it onto the rest of this API.",
    path_parameters={"id": shapes.RefundNumber},
)

# Our statuses as seed 002 names them. FAILED (support could not pay a refund
# out) is not one of its six: a 002 client sees DENIED, the final status in
# which no money moved and ``responseReason`` says why (docs/dialects.md).
STATUS = {statuses.REQUESTED: "REQUESTED", statuses.WAITING: "WAITING", statuses.PROCESSING: "PROCESSING",
          statuses.ISSUED: "ISSUED", statuses.DENIED: "DENIED", statuses.CANCELLED: "CANCELLED",
          statuses.FAILED: "DENIED"}
STATUSES = ("PROCESSING", "DENIED", "ISSUED", "CANCELLED", "REQUESTED", "WAITING")  # in its document's order
# What a status filter keeps: each of its statuses is ours with that name, and DENIED is also FAILED.
OURS = {name: frozenset(ours for ours, theirs in STATUS.items() if theirs == name) for name in STATUSES}

# An order id as an integer: decimal digits as written, with no sign and no leading zero, at most 2^53 - 1.
_INTEGER = re.compile(r"0|[1-9][0-9]{0,15}")
# Money as a JSON number: at most 12 digits before the point and 4 after, trailing zeros aside.
_MAX_WHOLE_DIGITS, _MAX_DECIMALS = 12, 4


def order_number(order_id: str) -> int | None:
    """The order's id as seed 002's integer ``order``; None when it is not one."""
    if not _INTEGER.fullmatch(order_id):
        return None
    number = int(order_id)
    return number if number <= refund_ids.LARGEST else None


# ------------------------------------------------------------------ requests

def _json_number(value: object) -> Decimal:
    """A JSON number (the body's parser made it an int or a Decimal, never a
    float), as the value it means: ``500.0`` is 500, ``22.50`` is 22.5."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("a JSON number")
    number = Decimal(value)
    if not number.is_finite() or number.adjusted() >= _MAX_WHOLE_DIGITS:
        raise ValueError("out of range")
    number = number.normalize()
    if -number.as_tuple().exponent > _MAX_DECIMALS:
        raise ValueError("too many decimals")
    return number


def _query_integer(value: object) -> object:
    """``"42"`` -> 42; anything else stays as it is and fails the strict int."""
    return int(value) if isinstance(value, str) and _INTEGER.fullmatch(value) else value


Amount = Annotated[Decimal, BeforeValidator(_json_number), WithJsonSchema({
    "type": "number", "exclusiveMinimum": 0,
    "description": "Exact to the order currency's minor unit (22.50 in USD, 1500 in JPY, 0.125 in KWD); "
                   "trailing zeros do not count."})]
OrderId = Annotated[int, Field(ge=0, le=refund_ids.LARGEST)]


class Seed002CreateRefund(Strict):
    """POST /api/v2/refunds's body: all four are required."""

    orderId: Annotated[OrderId, Field(description="The order's id, an integer.")]
    reason: Annotated[str, StringConstraints(max_length=500)]
    amount: Amount
    refundOnly: Annotated[bool, Field(description="false: the goods come back; the customer sends the "
                                                  "shipment (PATCH, SHIP_INIT) later.")]


class Seed002ShipInit(Strict):
    """PATCH /api/v2/refunds/{id}'s body: the return shipment the customer sent."""

    action: Literal["SHIP_INIT"]
    trackingId: ShipmentText
    carrierName: ShipmentText


class Seed002ListQuery(BaseModel):
    """GET /api/v2/refunds's query string. Absent means no filter."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    page: Annotated[int, Field(ge=0, le=MAX_WINDOW_DEPTH - 1, description="The page index, from 0; "
                               "(page + 1) x size is at most 10 000."), BeforeValidator(_query_integer)] = 0
    size: Annotated[int, Field(ge=1, le=100, description="The page size."), BeforeValidator(_query_integer)] = 20
    orderId: Annotated[OrderId, Field(description="One of your orders, by its integer id."),  # type: ignore[assignment]
                       BeforeValidator(_query_integer)] = None
    status: Literal[STATUSES] = None  # type: ignore[valid-type, assignment]
    valid: Flag = None  # type: ignore[assignment]


def creation(body: dict) -> tuple[str, dict]:
    """The order id and the core's request (POST /v1/order/{orderId}/refund's
    body less the email: the merchant's contact email on file is used)."""
    request = parse(Seed002CreateRefund, body)
    return str(request.orderId), {"description": request.reason, "amount": format(request.amount, "f"),
                                  "refundOnly": request.refundOnly}


def shipment(body: dict) -> dict:
    """The core's SHIP_INIT action (its only one here: any other is 15010 ``action``)."""
    return parse(Seed002ShipInit, body).model_dump()


def list_request(params: dict[str, str]) -> tuple[Filters, int, int]:
    """The filters, page and size of GET /api/v2/refunds (15010 per bad or unknown parameter)."""
    try:
        query = Seed002ListQuery.model_validate(params)
    except ValidationError as exc:
        raise FieldErrors(field_errors(exc)) from None
    filters = Filters(orderId=None if query.orderId is None else str(query.orderId),
                      statuses=None if query.status is None else OURS[query.status], valid=query.valid)
    return filters, query.page, query.size


def no_query(params: dict[str, str]) -> None:
    """A route that reads no query string: each parameter is 15010."""
    if params:
        raise FieldErrors(list(params))


def refund_id(path_value: str) -> str:
    """Our id of the refund a path's integer names; "" (found nowhere, as the
    core answers an id that is not one of ours: 15070) for anything else."""
    number = refund_ids.parse_number(path_value)
    return refund_ids.refund_id(number) if number is not None else ""


# -------------------------------------------------------------------- answers

Seed002Status = TypeAliasType("Seed002RefundStatus", Literal[STATUSES])  # type: ignore[valid-type]


class Seed002Refund(TypedDict):
    """A refund as seed 002's document types it, then three fields of ours."""

    id: Annotated[shapes.RefundNumber | None, Doc(
        "The refund's id (`numericId` on /v1); null only for a refund stored before refunds had numbers.")]
    order: Annotated[int | None, Doc("The order's id when it is an integer (at most 2^53 - 1); null for any "
                                     "other order id (then `orderId` has it).", minimum=0,
                                     maximum=refund_ids.LARGEST)]
    createdAt: shapes.Timestamp
    updatedAt: shapes.Timestamp
    requester: Annotated[str, Doc("The login that opened it (`apikey:<key id>` for an API key, "
                                  "`customer:<id>` for a customer).")]
    requestReason: str | None
    responseReason: str | None
    confirmedAt: shapes.Timestamp | None
    issuedAt: shapes.Timestamp | None
    amount: Annotated[Decimal, shapes.Schema(type="number", minimum=0, examples=[22.5], description=(
        "Exact to the currency's minor unit, written with its decimals (22.50 in USD, 1500 in JPY)."))]
    status: Annotated[Seed002Status, Doc("FAILED (a payout that failed) is DENIED here.")]
    trackingId: str | None
    carrierName: str | None
    refundOnly: bool
    valid: Annotated[bool, Doc("Open or ISSUED.")]
    refundId: Annotated[shapes.RefundId, Doc("Ours: the id /v1 shows.")]
    orderId: Annotated[shapes.Identifier, Doc("Ours: the order's id as a string, whatever it is.")]
    currency: Annotated[shapes.Currency, Doc("Ours: the currency of `amount`.")]


def present(refund: shapes.Refund) -> Seed002Refund:
    """The core's refund as seed 002's entity."""
    return Seed002Refund(
        id=refund["numericId"], order=order_number(refund["orderId"]), createdAt=refund["createdAt"],
        updatedAt=refund["updatedAt"], requester=refund["requester"], requestReason=refund["description"],
        responseReason=refund["responseReason"], confirmedAt=refund["confirmedAt"], issuedAt=refund["issuedAt"],
        # The core's amount is a decimal string with the currency's decimals: the same digits, as a number.
        amount=Decimal(refund["amount"]), status=STATUS[refund["status"]], trackingId=refund["trackingId"],
        carrierName=refund["carrierName"], refundOnly=refund["refundOnly"], valid=refund["valid"],
        refundId=refund["id"], orderId=refund["orderId"], currency=refund["currency"],
    )


def present_all(refunds: list[shapes.Refund]) -> list[Seed002Refund]:
    return [present(refund) for refund in refunds]
