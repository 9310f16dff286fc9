"""Seed 003's refund API (``POST /v1/connections/{connectionId}/orders/{orderId}/refunds``),
spoken around our core.

Its request (``batchId``, ``items`` of ``{itemId, quantity}``, ``returnedDate``)
is parsed here into the core's (``POST /v1/order/{orderId}/refund``'s body: items,
or nothing for everything that remains), and the core's refund presented as
its answer: the fields at the top level, with the amounts we computed. Prices
and taxes are never read from the client: they are not fields of its request
(15010). Errors are ours, with our codes; what the order cannot do (not paid,
nothing left, more units than remain, a request already open) is 422, as its
document lists it. The mapping, and every point where we differ from its
document, is docs/dialects.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

from pydantic import AfterValidator, Field
from typing_extensions import TypedDict

from refunds_core import errors, shapes
from refunds_core.dialects import Dialect
from refunds_core.models import AwareTime, Identifier, RefundItem, Strict
from refunds_core.shapes import Doc
from refunds_core.validation import parse

# What the order cannot do, well-formed as the request is: its document's 422.
_UNPROCESSABLE = (errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO, errors.REFUND_ALREADY_OPEN,
                  errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING)

DIALECT = Dialect(
    name="seed003", tag="seed 003 (connections)", envelope=None,
    description="Seed 003's refund API as its document describes it, for clients written against it: a refund "
                "of items (or of the whole order) under one of the merchant's store connections, its prices and "
                "taxes computed from the order, 201 with the refund at the top level of the body. Errors are "
                "ours; what the order cannot do is 422. docs/dialects.md maps it onto the rest of this API.",
    statuses={code.code: HTTPStatus.UNPROCESSABLE_ENTITY for code in _UNPROCESSABLE},
    path_parameters={"connectionId": shapes.ConnectionId},
)


# ------------------------------------------------------------------ requests

def _as_utc(value: str) -> str:
    """The instant sent, written as every time we write (UTC, milliseconds, ``Z``)."""
    try:
        instant = datetime.fromisoformat(value).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00: before year 1 in UTC
        raise ValueError("out of range") from None
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


ReturnedDate = Annotated[AwareTime, AfterValidator(_as_utc)]


class Seed003CreateRefund(Strict):
    """The request's body, every field optional (no body at all is `{}`).
    No price or tax anywhere: the server computes them (15010 for any)."""

    batchId: Annotated[Identifier, Field(  # type: ignore[assignment]
        description="Groups refunds: `GET /v1/refunds?batchId=` lists a batch.")] = None
    items: Annotated[list[RefundItem], Field(max_length=250, description=(
        "The units to refund, by line; absent or empty: everything that remains of the order, "
        "its shipping included."))] = None  # type: ignore[assignment]
    returnedDate: Annotated[ReturnedDate | None, Field(description=(
        "When the goods came back, or null: answered as sent (in UTC), not stored."))] = None


def creation(body: dict) -> tuple[dict, str | None]:
    """The core's request (POST /v1/order/{orderId}/refund's body less the
    email: the merchant's contact email on file is used) and the returnedDate
    sent (None: none). No item at all is a full refund of what remains."""
    request = parse(Seed003CreateRefund, body)
    core: dict = {"refundOnly": True}  # 003 has no return shipment to wait for
    if request.items:
        core["items"] = [item.model_dump() for item in request.items]
    if request.batchId is not None:
        core["batchId"] = request.batchId
    return core, request.returnedDate


# -------------------------------------------------------------------- answers

class Seed003Refund(TypedDict):
    """The refund as seed 003's document answers it, then fields of ours."""

    connectionId: shapes.ConnectionId
    items: Annotated[list[shapes.RefundedItem], Doc(
        "Each line refunded: its units, and what they cost the customer (their share of the line after its "
        "discount, before tax) and their tax, computed by us. A whole-order refund lists every line that had "
        "units left.")]
    batchId: Annotated[shapes.Identifier | None, Doc("As sent; null when none was.")]
    createdDate: shapes.Timestamp
    returnedDate: Annotated[shapes.Timestamp | None, Doc(
        "The `returnedDate` sent, in UTC; if none was, when the refund took effect (paid out: `issuedAt` on "
        "/v1), which a refund just created has not: null.")]
    id: Annotated[shapes.RefundId, Doc("Ours: the refund's id (`GET /v1/refunds/{refundId}`).")]
    orderId: Annotated[shapes.Identifier, Doc("Ours: the order's id.")]
    status: Annotated[shapes.RefundStatus, Doc("Ours: REQUESTED until our support decides.")]
    shipping: Annotated[shapes.AmountAndTax, Doc("Ours: the shipping refunded (a whole-order refund's).")]
    tax: Annotated[shapes.Money, Doc("Ours: all the tax refunded.")]
    amount: Annotated[shapes.Money, Doc("Ours: all of it, tax included.")]
    currency: Annotated[shapes.Currency, Doc("Ours: the currency of the amounts.")]


def present(refund: shapes.Refund, connection_id: str, returned_date: str | None) -> Seed003Refund:
    """The core's refund as seed 003's answer, under the connection the request named."""
    return Seed003Refund(
        connectionId=connection_id, items=refund["items"], batchId=refund["batchId"],
        createdDate=refund["createdAt"],
        returnedDate=returned_date if returned_date is not None else refund["issuedAt"],
        id=refund["id"], orderId=refund["orderId"], status=refund["status"], shipping=refund["shipping"],
        tax=refund["tax"], amount=refund["amount"], currency=refund["currency"],
    )
