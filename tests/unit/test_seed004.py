"""Seed 004's dialect without AWS (refunds_core/dialects/seed004.py): its
request into the core's terms, its ids, its errors, and the core's refund and
order as its refund order and order record."""

from __future__ import annotations

import json
from decimal import Decimal
from http import HTTPStatus

import pytest

from refunds_core import errors, statuses
from refunds_core.dialects import seed004
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic import orders
from refunds_core.models import OrderRequest
from refunds_core.validation import parse
from tests.conftest import sample_order

# ------------------------------------------------------------------ requests


@pytest.mark.parametrize(("body", "core"), [
    ({}, {}), ({"note": "Changed my mind"}, {"description": "Changed my mind"}), ({"note": None}, {}),
    ({"note": ""}, {}), ({"note": "x" * 500}, {"description": "x" * 500}),
], ids=["none", "a note", "a null note", "an empty note", "500 characters"])
def test_the_body_is_at_most_a_note_which_becomes_the_requests_description(body, core):
    assert seed004.full_refund(body) == core  # no items, no amount: the core's full refund


@pytest.mark.parametrize(("body", "fields"), [
    ({"note": "x" * 501}, ["note"]), ({"note": 5}, ["note"]), ({"note": ["x"]}, ["note"]),
    ({"amount": "10.00"}, ["amount"]), ({"items": []}, ["items"]), ({"refundShipping": True}, ["refundShipping"]),
    ({"email": "a@b.co"}, ["email"]), ({"note": "x", "Note": "y"}, ["Note"]),
], ids=["too long", "a number", "a list", "an amount", "items", "shipping", "an email", "its casing"])
def test_anything_else_is_15010_naming_it(body, fields):
    """The server refunds everything that remains: no price, part or address of the client's is read."""
    with pytest.raises(FieldErrors) as refused:
        seed004.full_refund(body)
    assert refused.value.fields == fields


@pytest.mark.parametrize("value", ["1001", "SO-1001", "a" * 64, "o.1:2_3-4", "A"])
def test_an_order_id_of_ours_passes(value):
    assert seed004.order_id(value) == value


@pytest.mark.parametrize("value", ["", " ", "\t", " 1001", "1001 ", "a" * 65, "-1", ".x", "a/b", "a b", "ö", "1001\n"])
def test_a_blank_or_malformed_order_id_is_422_invalid_id(value):
    with pytest.raises(ApiError) as refused:
        seed004.order_id(value)
    assert refused.value.entries[0][0] == errors.INVALID_ID.code


@pytest.mark.parametrize("value", ["", " ", "rf_", "rf_01", "RF_01JD0000000000000000000000", "1001",
                                   "rf_01JD00000000000000000000001", "rf_01JD000000000000000000000I"])
def test_a_malformed_refund_id_is_422_invalid_id(value):
    with pytest.raises(ApiError) as refused:
        seed004.refund_id(value)
    assert refused.value.entries[0][0] == errors.INVALID_ID.code
    assert seed004.refund_id("rf_01JD0000000000000000000000") == "rf_01JD0000000000000000000000"


# -------------------------------------------------------------------- errors

def _answered(error: ApiError) -> tuple[int, dict]:
    response = seed004.DIALECT.error_response(error)
    return response.status_code, json.loads(response.body)


NOT_REFUNDABLE = (errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO, errors.REFUND_ALREADY_OPEN,
                  errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING)


@pytest.mark.parametrize(("code", "status", "message"), [
    *((code, 406, "After-sales is not included in current order.") for code in NOT_REFUNDABLE),
    (errors.ORDER_NOT_FOUND, 404, "Order not found"),
    (errors.INVALID_ID, 422, "Invalid ID"),
    (errors.UNAUTHORIZED, 401, errors.UNAUTHORIZED.message),
    (errors.FORBIDDEN, 403, errors.FORBIDDEN.message),
    (errors.REFUND_NOT_FOUND, 404, errors.REFUND_NOT_FOUND.message),
    (errors.INVALID_JSON, 400, errors.INVALID_JSON.message),
    (errors.IDEMPOTENCY_KEY_REUSED, 422, errors.IDEMPOTENCY_KEY_REUSED.message),
    (errors.INTERNAL, 500, errors.INTERNAL.message),
], ids=lambda value: str(value.code) if isinstance(value, errors.ErrorCode) else None)
def test_an_error_is_the_documents_status_and_message_where_it_gives_them_with_our_code(code, status, message):
    assert _answered(ApiError(code)) == (status, {"errors": [message], "code": code.code})


def test_every_bad_field_is_one_message_of_the_errors_list():
    assert _answered(FieldErrors(["note", "amount"])) == (400, {
        "errors": ["Invalid field value: note", "Invalid field value: amount"], "code": 15010})


def test_the_document_statuses_are_the_only_ones_that_differ_from_ours():
    assert {code: status for code, status in seed004.DIALECT.statuses.items()} == {
        code.code: HTTPStatus.NOT_ACCEPTABLE for code in NOT_REFUNDABLE}


# ------------------------------------------------------------------ statuses

@pytest.mark.parametrize(("ours", "status", "refund_status"), [
    (statuses.REQUESTED, "pending", "pending"), (statuses.WAITING, "pending", "pending"),
    (statuses.PROCESSING, "processing", "pending"), (statuses.ISSUED, "finished", "finished"),
    (statuses.DENIED, "failed", "failed"), (statuses.FAILED, "failed", "failed"),
    (statuses.CANCELLED, "cancelled", "cancelled"),
])
def test_each_status_of_ours_is_one_of_the_documents_words(ours, status, refund_status):
    assert (seed004.STATUS[ours], seed004.REFUND_STATUS[ours]) == (status, refund_status)


def test_every_status_is_mapped_and_a_final_one_never_reads_as_open():
    assert set(seed004.STATUS) == set(seed004.REFUND_STATUS) == set(statuses.ALL)
    for ours in statuses.FINAL:
        assert seed004.STATUS[ours] not in ("pending", "processing") and seed004.REFUND_STATUS[ours] != "pending"


# ------------------------------------------------------------------- answers

def _order(status: str = "paid", currency: str = "USD", refunded: dict | None = None, without: tuple = (),
           **overrides) -> dict:
    """An order as PUT stores it (less the fields ``without``), with our state."""
    body = {name: value for name, value in sample_order(currency=currency, status=status, **overrides).items()
            if name not in without}
    stored = orders._stored_fields(parse(OrderRequest, body))
    return {**stored, "id": "o-1", "createdAt": "2026-11-22T10:00:00.000Z", "updatedAt": "2026-11-22T10:00:00.000Z",
            **({"refunded": refunded} if refunded else {})}


def _refund(status: str = statuses.REQUESTED, **overrides) -> dict:
    """The core's refund as /v1 shows it (the parts present() reads)."""
    return {"id": "rf_01JD0000000000000000000000", "number": "SO-1001-R1", "status": status,
            "createdAt": "2026-11-22T10:00:01.000Z", "updatedAt": "2026-11-22T10:00:01.000Z",
            "description": None, "responseReason": None, "kind": "full", "amount": "59.50", "currency": "USD",
            "tax": "4.50", "shipping": {"amount": "10.00", "tax": "0.00"}, "email": "refunds@demo.example.com",
            "items": [{"itemId": "sku-1", "quantity": 2, "amount": "45.00", "tax": "4.50"}], "requester": "demo",
            "confirmedAt": None, "issuedAt": None, **overrides}


def _present(refund: dict, order: dict) -> dict:
    return seed004.present({**refund, "order": orders.present(order)})


def test_the_order_record_is_ours_computed_and_the_order_systems_as_sent():
    details = {"note": "n", "tags": "a, b", "canceledAt": "2026-11-22T12:00:00+02:00", "browserIp": "203.0.113.9",
               "customer": {"firstName": "Jane", "email": "jane@example.com"},
               "billingAddress": {"address1": "1 Main St", "countryCode": "US"},
               "shippingLine": {"name": "Express", "description": "2 days"}, "buyerAcceptsMarketing": True}
    shown = _present(_refund(), _order(details=details))["Order"]
    assert {name: shown[name] for name in ("TotalPrice", "SubTotal", "TotalDiscount", "LineItemDiscountTotal",
                                           "TotalTax", "TotalShipping", "TotalRefundPrice")} == {
        "TotalPrice": "59.50", "SubTotal": "45.00", "TotalDiscount": "5.00", "LineItemDiscountTotal": "5.00",
        "TotalTax": "4.50", "TotalShipping": "10.00", "TotalRefundPrice": "0.00"}
    assert (shown["Note"], shown["Tags"], shown["CanceledAt"], shown["BrowserIP"], shown["BuyerAcceptsMarketing"]) == (
        "n", "a, b", "2026-11-22T12:00:00+02:00", "203.0.113.9", True)
    assert shown["Customer"] == {"UserId": "cust-1", "FirstName": "Jane", "LastName": "", "Email": "jane@example.com",
                                 "Phone": ""}
    assert shown["BillingAddress"]["Address1"] == "1 Main St" and shown["BillingAddress"]["City"] == ""
    assert shown["ShippingAddress"] is None
    assert shown["ShippingLine"] == {"Name": "Express", "Desc": "2 days", "ShippingPrice": "10.00"}
    assert shown["LineItems"] == [{"Id": "sku-1", "Name": "Widget", "Quantity": 2, "Price": "25.00",
                                   "Discount": "5.00", "Tax": "4.50", "Total": "45.00", "RefundedQuantity": 0}]
    assert shown["ProductTaxIncluded"] is False


def test_without_details_every_text_is_empty_and_every_object_null():
    shown = _present(_refund(), _order(without=("customerId",)))["Order"]
    assert shown["Customer"] is None and shown["ShippingAddress"] is None and shown["CanceledAt"] is None
    assert shown["ShippingLine"] == {"Name": "", "Desc": "", "ShippingPrice": "10.00"}
    assert all(shown[name] == "" for name in ("Note", "Tags", "PaymentMethod", "FulfillmentStatus", "DiscountCode",
                                              "CustomerNote", "SalesPlatform", "LandingSite", "BrowserIP", "Source",
                                              "CancelReason", "LogisticsCode", "CheckoutUrl"))


ALL_TAKEN = {"lines": {"sku-1": {"quantity": 2, "amount": Decimal("45.00"), "tax": Decimal("4.50")}},
             "shipping": {"refunded": True, "amount": Decimal("10.00"), "tax": Decimal("0.00")},
             "amountOnly": Decimal(0)}
SOME_TAKEN = {"lines": {}, "shipping": {"refunded": False, "amount": Decimal(0), "tax": Decimal(0)},
              "amountOnly": Decimal("5.00")}


@pytest.mark.parametrize(("status", "refunded", "financial", "all_refunded"), [
    ("pending", None, "pending", False), ("paid", None, "paid", False),
    ("paid", SOME_TAKEN, "partially_refunded", False),
    ("refunded", ALL_TAKEN, "refunded", True), ("cancelled", None, "voided", False),
], ids=["pending", "paid", "partially refunded", "refunded", "cancelled"])
def test_the_financial_status_and_all_refunded_follow_the_order(status, refunded, financial, all_refunded):
    shown = _present(_refund(), _order(status="paid", refunded=refunded) | {"status": status})
    assert (shown["Order"]["FinancialStatus"], shown["AllRefunded"]) == (financial, all_refunded)


@pytest.mark.parametrize("status", [statuses.DENIED, statuses.FAILED])
def test_a_denied_or_failed_refund_says_why_in_refund_fail_reason(status):
    shown = _present(_refund(status, responseReason="Used item"), _order())
    assert (shown["Status"], shown["RefundFailReason"], shown["Refund"]["ResponseReason"]) == (
        "failed", "Used item", "Used item")


def test_the_top_level_is_the_refund_order_and_refund_is_ours_in_its_casing():
    shown = _present(_refund(statuses.ISSUED, description="Wrong size", issuedAt="2026-11-23T10:00:00.000Z"), _order())
    assert list(shown) == ["Id", "Status", "Number", "CreatedAt", "Note", "RefundFailReason", "AllRefunded",
                           "RefundStatus", "Order", "Refund"]
    assert (shown["Id"], shown["Number"], shown["Note"], shown["RefundFailReason"]) == (
        "rf_01JD0000000000000000000000", "SO-1001-R1", "Wrong size", "")
    assert shown["Refund"]["Status"] == "ISSUED" and shown["Refund"]["IssuedAt"] == "2026-11-23T10:00:00.000Z"
    assert shown["Refund"]["LineItems"] == [{"Id": "sku-1", "Quantity": 2, "Amount": "45.00", "Tax": "4.50"}]


@pytest.mark.parametrize(("currency", "price", "total"), [("JPY", "1500", "3010"), ("KWD", "1.250", "12.500")])
def test_money_is_a_string_exact_to_the_currency(currency, price, total):
    lines = [{"itemId": "a", "name": "A", "quantity": 2, "unitPrice": price}]
    shown = _present(_refund(currency=currency), _order(currency=currency, lineItems=lines,
                                                        shipping={"price": "10", "tax": "0"}))["Order"]
    assert (shown["TotalPrice"], shown["TotalDiscount"]) == (total, "0" if currency == "JPY" else "0.000")


def test_the_openapi_document_gives_its_messages_and_narrows_our_codes_per_status():
    from scripts import openapi

    document = json.loads(openapi.PUBLISHED.read_text(encoding="utf-8"))
    responses = document["paths"]["/v1/orders/{orderId}/full-refund"]["post"]["responses"]
    assert "- 15060: Order not found" in responses["404"]["description"]
    for status, codes in (("404", [15060]), ("406", [15030, 15040, 15050, 15090, 15100]), ("422", [15130, 15250])):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"] == "#/components/schemas/Seed004Errors"
        assert openapi.documented_codes(schema) == codes, status
