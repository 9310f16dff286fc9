"""Seed 004's full-order refund API, spoken around our core.

``POST /v1/orders/{orderId}/full-refund`` opens a full refund of what remains
of the order (items, shipping and tax: the core's full refund) with the
merchant's contact email on file, and answers the document's refund order at
the top level of the body, its fields in the document's names and casing,
with the order record and our refund beside it;
``GET /v1/orders/{orderId}/full-refund/{refundId}`` answers the same later.
Errors are in one of the document's two bodies, ``{"errors": [...]}``, with
our code beside the messages, and its statuses and messages where it gives
them (404 ``Order not found``, 406 ``After-sales is not included in current
order.``, 422 ``Invalid ID``). The mapping, and every point where we differ
from its document, is docs/dialects.md.
"""

from __future__ import annotations

import re
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Literal

from pydantic import StringConstraints
from typing_extensions import TypeAliasType, TypedDict

from refunds_core import errors, shapes, statuses
from refunds_core.dialects import Dialect
from refunds_core.errors import ApiError
from refunds_core.logic.orders import is_order_id
from refunds_core.models import Strict
from refunds_core.money import ZERO, fmt
from refunds_core.shapes import Doc
from refunds_core.validation import parse

# What the document says where the order cannot be refunded: not paid, nothing
# left, zero, another request open (each of ours is one of these).
NOT_REFUNDABLE = "After-sales is not included in current order."
_NOT_REFUNDABLE_CODES = (errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO, errors.REFUND_ALREADY_OPEN,
                         errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING)
MESSAGES = {errors.ORDER_NOT_FOUND.code: "Order not found", errors.INVALID_ID.code: "Invalid ID",
            **{code.code: NOT_REFUNDABLE for code in _NOT_REFUNDABLE_CODES}}


class Seed004Errors(TypedDict):
    """Seed 004's errors body (the first of its two: a list of messages), with our code."""

    errors: Annotated[list[str], Doc("The messages, the document's where it words them (`Order not found`).",
                                     minItems=1)]
    code: Annotated[int, Doc("Our error code (docs/errors.md): what logs and support know it by.")]


def error_body(error: ApiError) -> Seed004Errors:
    """Each entry's message in the document's words where it has them (the dialect's ``messages``), and our
    code: an answer's entries share one (a 15010's, one per bad field)."""
    return Seed004Errors(errors=[DIALECT.message_of(code, message) for code, message in error.entries],
                         code=error.entries[0][0])


DIALECT = Dialect(
    name="seed004", tag="seed 004 (full-order refund)", envelope=None,
    description="Seed 004's full-order refund as its document describes it, for clients written against it: "
                "its refund order at the top level of the body, in its field names and casing, with the order "
                "record; its errors body (`{\"errors\": [...]}`, our code beside) and statuses (404, 406, 422). "
                "docs/dialects.md maps it onto the rest of this API.",
    error_body=error_body, error_shape=Seed004Errors, messages=MESSAGES,
    statuses={code.code: HTTPStatus.NOT_ACCEPTABLE for code in _NOT_REFUNDABLE_CODES},
    path_parameters={
        "orderId": Annotated[str, Doc("The order's id (`PUT /v1/orders/{orderId}`). Blank or malformed: 422 "
                                      "`Invalid ID`.")],
        "refundId": Annotated[str, Doc("The refund's `Id`. Malformed: 422 `Invalid ID`.")],
    },
)

# Our statuses as seed 004's ``Status`` (the refund order) and ``RefundStatus``
# (its money) name them: the document lists pending, finished, failed "etc.".
# DENIED is final and no money moved, like FAILED: a 004 client that waits for
# finished or failed stops on it, and RefundFailReason says why (docs/dialects.md).
STATUS = {statuses.REQUESTED: "pending", statuses.WAITING: "pending", statuses.PROCESSING: "processing",
          statuses.ISSUED: "finished", statuses.DENIED: "failed", statuses.FAILED: "failed",
          statuses.CANCELLED: "cancelled"}
REFUND_STATUS = {**STATUS, statuses.PROCESSING: "pending"}
STATUSES = ("pending", "processing", "finished", "failed", "cancelled")
# The order's financial status, from ours and what was refunded.
FINANCIAL_STATUS = {"pending": "pending", "paid": "paid", "refunded": "refunded", "cancelled": "voided"}
FINANCIAL_STATUSES = ("pending", "paid", "partially_refunded", "refunded", "voided")

_REFUND_ID = re.compile(rf"rf_{shapes.ULID}")


# ------------------------------------------------------------------ requests

class Seed004FullRefund(Strict):
    """The body, optional (none, or ``{}``, is no note)."""

    note: Annotated[str, StringConstraints(max_length=500)] | None = None


def order_id(path_value: str) -> str:
    """The path's order id, or 422 ``Invalid ID`` when it is blank or could be no order's."""
    if not path_value.strip() or not is_order_id(path_value):
        raise ApiError(errors.INVALID_ID)
    return path_value


def refund_id(path_value: str) -> str:
    """The path's refund id, or 422 ``Invalid ID`` when it could be no refund's."""
    if not _REFUND_ID.fullmatch(path_value):
        raise ApiError(errors.INVALID_ID)
    return path_value


def full_refund(body: dict) -> dict:
    """The core's request: a full refund (no items, no amount), its note our ``description``."""
    note = parse(Seed004FullRefund, body).note
    return {"description": note} if note else {}


# -------------------------------------------------------------------- answers

Seed004Status = TypeAliasType("Seed004Status", Literal[STATUSES])  # type: ignore[valid-type]
Seed004FinancialStatus = TypeAliasType("Seed004FinancialStatus", Literal[FINANCIAL_STATUSES])  # type: ignore[valid-type]
Text = Annotated[str, Doc("What the order system sent; \"\" when it sent none.")]


class Seed004ShippingLine(TypedDict):
    Name: Text
    Desc: Text
    ShippingPrice: Annotated[shapes.Money, Doc("The shipping's price, before its tax.")]


class Seed004Customer(TypedDict):
    UserId: Annotated[str, Doc("The order's `customerId`; \"\" when it has none.")]
    FirstName: Text
    LastName: Text
    Email: Text
    Phone: Text


class Seed004Address(TypedDict):
    FirstName: Text
    LastName: Text
    Company: Text
    Address1: Text
    Address2: Text
    City: Text
    Province: Text
    Zip: Text
    Country: Text
    CountryCode: Text
    Phone: Text


class Seed004LineItem(TypedDict):
    """Ours: the document names its order's LineItems without their fields."""

    Id: shapes.Identifier
    Name: str
    Quantity: shapes.Positive
    Price: Annotated[shapes.Money, Doc("The unit price.")]
    Discount: Annotated[shapes.Money, Doc("The line's discount.")]
    Tax: Annotated[shapes.Money, Doc("The line's tax.")]
    Total: Annotated[shapes.Money, Doc("Price x Quantity - Discount, before tax.")]
    RefundedQuantity: Annotated[shapes.Count, Doc("Units returned by issued refunds.")]


class Seed004Order(TypedDict):
    """The order record, in the document's names and order: what we compute (totals, statuses) and what the
    order system sent (`PUT /v1/orders`' `details`)."""

    Id: shapes.Identifier
    Note: Text
    Number: str
    FinancialStatus: Annotated[Seed004FinancialStatus, Doc("From `Status` and what issued refunds returned; a "
                                                           "cancelled order is `voided`.")]
    Status: shapes.OrderStatus
    CancelReason: Text
    PaymentMethod: Text
    FulfillmentStatus: Text
    DiscountCode: Text
    CustomerNote: Text
    SalesPlatform: Text
    LandingSite: Text
    BuyerAcceptsMarketing: Annotated[bool, Doc("false when the order system sent none.")]
    Currency: shapes.Currency
    TotalPrice: Annotated[shapes.Money, Doc("Items after discounts, shipping and tax.")]
    TotalDiscount: shapes.Money
    TotalTax: shapes.Money
    TotalShipping: Annotated[shapes.Money, Doc("Before its tax (in TotalTax).")]
    SubTotal: Annotated[shapes.Money, Doc("The items after their discounts, before tax and shipping.")]
    LineItemDiscountTotal: shapes.Money
    Tags: Text
    CreatedAt: shapes.Timestamp
    UpdatedAt: shapes.Timestamp
    CanceledAt: Annotated[str, Doc("As the order system sent it (its offset kept).", format="date-time")] | None
    TotalRefundPrice: Annotated[shapes.Money, Doc("What issued refunds returned, tax included.")]
    RefundStatus: shapes.OrderRefundStatus
    BrowserIP: Text
    Source: Text
    ShippingLine: Seed004ShippingLine
    Customer: Annotated[Seed004Customer | None, Doc("null when the order has no customer.")]
    ShippingAddress: Annotated[Seed004Address | None, Doc("null when the order system sent none.")]
    BillingAddress: Annotated[Seed004Address | None, Doc("null when the order system sent none.")]
    LineItems: Annotated[list[Seed004LineItem], Doc(minItems=1)]
    ProductTaxIncluded: Annotated[bool, Doc("Always false: our prices are before tax, which is apart.")]
    LogisticsCode: Text
    CheckoutUrl: Text


class Seed004RefundedItem(TypedDict):
    Id: shapes.Identifier
    Quantity: shapes.Positive
    Amount: Annotated[shapes.Money, Doc("Before tax.")]
    Tax: shapes.Money


class Seed004RefundShipping(TypedDict):
    Amount: shapes.Money
    Tax: shapes.Money


class Seed004RefundRecord(TypedDict):
    """Ours, in the document's casing: the document names a RefundRecord without its fields. The refund as
    `GET /v1/refunds/{refundId}` shows it, in part."""

    Id: shapes.RefundId
    Number: str
    Status: Annotated[shapes.RefundStatus, Doc("Ours (docs/lifecycle.md), which Status and RefundStatus map.")]
    Kind: shapes.RefundKind
    Amount: Annotated[shapes.Money, Doc("All of it, tax included.")]
    Currency: shapes.Currency
    Tax: shapes.Money
    Shipping: Seed004RefundShipping
    LineItems: list[Seed004RefundedItem]
    Email: Annotated[str, Doc("Where we write about it: the merchant's contact email on file.")]
    Requester: str
    ResponseReason: Text
    CreatedAt: shapes.Timestamp
    UpdatedAt: shapes.Timestamp
    ConfirmedAt: shapes.Timestamp | None
    IssuedAt: shapes.Timestamp | None


class Seed004RefundOrder(TypedDict):
    """The document's refund order, at the top level of the body."""

    Id: Annotated[shapes.RefundId, Doc("The refund's id: `GET .../full-refund/{Id}` reads it again.")]
    Status: Annotated[Seed004Status, Doc("The refund order's: ours mapped (docs/dialects.md).")]
    Number: Annotated[str, Doc("`<order number>-R<n>`, the order's nth request.")]
    CreatedAt: shapes.Timestamp
    Note: Annotated[str, Doc("The request's note; \"\" when none.")]
    RefundFailReason: Annotated[str, Doc("Why it was denied or its payout failed; \"\" otherwise.")]
    AllRefunded: Annotated[bool, Doc("Whether the order has nothing left to refund (once refunds of all of it "
                                     "were issued).")]
    RefundStatus: Annotated[Seed004Status, Doc("The money's: pending until it is paid out (docs/dialects.md).")]
    Order: Seed004Order
    Refund: Seed004RefundRecord


def present(answer: shapes.RefundWithOrder) -> Seed004RefundOrder:
    """The core's refund and its order as seed 004's refund order."""
    order, status = answer["order"], answer["status"]
    failed = status in (statuses.DENIED, statuses.FAILED)
    return Seed004RefundOrder(
        Id=answer["id"], Status=STATUS[status], Number=answer["number"] or "", CreatedAt=answer["createdAt"],
        Note=answer["description"] or "", RefundFailReason=(answer["responseReason"] or "") if failed else "",
        AllRefunded=order["refundStatus"] == "refunded", RefundStatus=REFUND_STATUS[status],
        Order=present_order(order), Refund=_refund_record(answer))


def present_order(order: shapes.Order) -> Seed004Order:
    currency, details = order["currency"], order["details"] or {}
    discount = fmt(sum((Decimal(line["discount"]) for line in order["lineItems"]), ZERO), currency)
    totals = order["totals"]
    financial = FINANCIAL_STATUS[order["status"]]
    if financial == "paid" and order["refundStatus"] == "partially_refunded":
        financial = "partially_refunded"

    def text(name: str) -> str:
        return details.get(name) or ""

    shipping_line = details.get("shippingLine") or {}
    return Seed004Order(
        Id=order["id"], Note=text("note"), Number=order["number"], FinancialStatus=financial, Status=order["status"],
        CancelReason=text("cancelReason"), PaymentMethod=text("paymentMethod"),
        FulfillmentStatus=text("fulfillmentStatus"), DiscountCode=text("discountCode"),
        CustomerNote=text("customerNote"), SalesPlatform=text("salesPlatform"), LandingSite=text("landingSite"),
        BuyerAcceptsMarketing=bool(details.get("buyerAcceptsMarketing")), Currency=currency,
        TotalPrice=totals["total"], TotalDiscount=discount, TotalTax=totals["tax"], TotalShipping=totals["shipping"],
        SubTotal=totals["items"], LineItemDiscountTotal=discount, Tags=text("tags"), CreatedAt=order["createdAt"],
        UpdatedAt=order["updatedAt"], CanceledAt=details.get("canceledAt"), TotalRefundPrice=order["refundedAmount"],
        RefundStatus=order["refundStatus"], BrowserIP=text("browserIp"), Source=text("source"),
        ShippingLine=Seed004ShippingLine(Name=shipping_line.get("name") or "",
                                         Desc=shipping_line.get("description") or "",
                                         ShippingPrice=order["shipping"]["price"]),
        Customer=_customer(order["customerId"], details.get("customer")),
        ShippingAddress=_address(details.get("shippingAddress")),
        BillingAddress=_address(details.get("billingAddress")),
        LineItems=[Seed004LineItem(Id=line["itemId"], Name=line["name"], Quantity=line["quantity"],
                                   Price=line["unitPrice"], Discount=line["discount"], Tax=line["tax"],
                                   Total=line["amount"], RefundedQuantity=line["refundedQuantity"])
                   for line in order["lineItems"]],
        ProductTaxIncluded=False, LogisticsCode=text("logisticsCode"), CheckoutUrl=text("checkoutUrl"),
    )


def _customer(customer_id: str | None, sent: dict | None) -> Seed004Customer | None:
    if customer_id is None and sent is None:
        return None
    sent = sent or {}
    return Seed004Customer(UserId=customer_id or "", FirstName=sent.get("firstName") or "",
                           LastName=sent.get("lastName") or "", Email=sent.get("email") or "",
                           Phone=sent.get("phone") or "")


# Our address fields, in the order of Seed004Address's.
_ADDRESS_FIELDS = ("firstName", "lastName", "company", "address1", "address2", "city", "province", "zip", "country",
                   "countryCode", "phone")


def _address(sent: dict | None) -> Seed004Address | None:
    if sent is None:
        return None
    return Seed004Address(**{name[:1].upper() + name[1:]: sent.get(name) or "" for name in _ADDRESS_FIELDS})


def _refund_record(refund: shapes.Refund) -> Seed004RefundRecord:
    return Seed004RefundRecord(
        Id=refund["id"], Number=refund["number"] or "", Status=refund["status"], Kind=refund["kind"],
        Amount=refund["amount"], Currency=refund["currency"], Tax=refund["tax"],
        Shipping=Seed004RefundShipping(Amount=refund["shipping"]["amount"], Tax=refund["shipping"]["tax"]),
        LineItems=[Seed004RefundedItem(Id=item["itemId"], Quantity=item["quantity"], Amount=item["amount"],
                                       Tax=item["tax"]) for item in refund["items"]],
        Email=refund["email"], Requester=refund["requester"], ResponseReason=refund["responseReason"] or "",
        CreatedAt=refund["createdAt"], UpdatedAt=refund["updatedAt"], ConfirmedAt=refund["confirmedAt"],
        IssuedAt=refund["issuedAt"],
    )
