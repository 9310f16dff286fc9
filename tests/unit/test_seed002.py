"""Seed 002's dialect without AWS (refunds_core/dialects/seed002.py): its
requests into the core's terms, the core's refund into its entity."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from refunds_core import jsontext, statuses
from refunds_core.dialects import seed002
from refunds_core.refund_ids import LARGEST
from tests.conftest import refused_fields, request_json

VALID = {"orderId": 1001, "reason": "Wrong size", "amount": Decimal("22.5"), "refundOnly": False}


# ------------------------------------------------------------------ creating

@pytest.mark.parametrize(("amount", "core"), [
    ("22.50", "22.5"), ("22.5", "22.5"), ("1500", "1500"), ("500.0", "500"), ("0.125", "0.125"), ("1e3", "1000"),
    ("2.25E1", "22.5"), ("0.10", "0.1"), ("999999999999.9999", "999999999999.9999"), ("22.500000", "22.5"),
])
def test_the_amount_is_read_as_the_exact_value_of_the_number_written(amount, core):
    """Never through a float; trailing zeros are how a client's float prints (500.0), not decimals."""
    order_id, request = seed002.creation(request_json(f'{{"orderId": 1001, "reason": "x", "amount": {amount}, '
                                               f'"refundOnly": true}}'))
    assert (order_id, request) == ("1001", {"description": "x", "amount": core, "refundOnly": True})


@pytest.mark.parametrize("amount", ['"22.50"', "true", "null", "[22.5]", "1e999999", "9" * 5000, "1" + "0" * 12,
                                    "0.00001", "0." + "0" * 5000 + "1", "-1e999999"])
def test_an_amount_that_is_no_json_number_or_absurd_is_15010(amount):
    assert refused_fields(seed002.creation, request_json(f'{{"orderId": 1001, "reason": "x", "amount": {amount}, '
                                            f'"refundOnly": true}}')) == ["amount"]


def test_a_negative_or_zero_amount_reaches_the_core_which_refuses_it():
    """Its rule (above zero, 15010 amount) is the core's, for /v1 too."""
    assert seed002.creation({**VALID, "amount": Decimal("-5")})[1]["amount"] == "-5"
    assert seed002.creation({**VALID, "amount": 0})[1]["amount"] == "0"


@pytest.mark.parametrize(("order_id", "expected"), [
    (0, "0"), (1001, "1001"), (LARGEST, str(LARGEST)),
])
def test_the_order_id_is_an_integer_up_to_2_53_minus_1(order_id, expected):
    assert seed002.creation({**VALID, "orderId": order_id})[0] == expected


@pytest.mark.parametrize("order_id", ["1001", "o-1", LARGEST + 1, -1, True, None, Decimal("1001.0"), Decimal("1E+3"),
                                      [1001]])
def test_an_order_id_that_is_not_an_integer_is_15010(order_id):
    assert refused_fields(seed002.creation, {**VALID, "orderId": order_id}) == ["orderId"]


def test_all_four_fields_are_required_and_nothing_else_is_read():
    assert refused_fields(seed002.creation, {}) == ["orderId", "reason", "amount", "refundOnly"]
    assert refused_fields(seed002.creation, {**VALID, "email": "m@example.com", "status": "ISSUED"}) == [
        "email", "status"]
    assert refused_fields(seed002.creation, {**VALID, "reason": "x" * 501, "refundOnly": "false"}) == [
        "reason", "refundOnly"]
    assert seed002.creation({**VALID, "reason": ""})[1]["description"] == ""


# ----------------------------------------------------------------- shipping

def test_ship_init_is_the_only_action_and_its_fields_are_the_cores():
    body = {"action": "SHIP_INIT", "trackingId": "1Z999", "carrierName": "UPS"}
    assert seed002.shipment(body) == body
    assert refused_fields(seed002.shipment, {**body, "action": "APPROVE"}) == ["action"]
    assert refused_fields(seed002.shipment, {"action": "SHIP_INIT", "trackingId": " ", "x": 1}) == [
        "trackingId", "carrierName", "x"]


# ------------------------------------------------------------------- listing

def test_a_list_is_the_first_page_of_20_of_everything_by_default():
    filters, page, size = seed002.list_request({})
    assert (filters.orderId, filters.statuses, filters.valid, page, size) == (None, None, None, 0, 20)


@pytest.mark.parametrize("status", seed002.STATUSES)
def test_each_status_filter_keeps_our_statuses_of_that_name(status):
    filters, _, _ = seed002.list_request({"status": status})
    expected = {statuses.DENIED, statuses.FAILED} if status == "DENIED" else {status}
    assert filters.statuses == expected


def test_page_size_order_and_validity_are_read_as_written():
    filters, page, size = seed002.list_request({"page": "3", "size": "100", "orderId": "1001", "valid": "false"})
    assert (filters.orderId, filters.valid, page, size) == ("1001", False, 3, 100)


@pytest.mark.parametrize(("written", "valid"), [("true", True), ("True", True), ("TRUE", True), ("False", False)])
def test_validity_is_a_boolean_as_any_client_language_prints_one(written, valid):
    """Python's urlencode and .NET write True: a client of 002's document may send either."""
    assert seed002.list_request({"valid": written})[0].valid is valid


@pytest.mark.parametrize(("params", "bad"), [
    ({"page": "-1"}, ["page"]), ({"page": "1.0"}, ["page"]), ({"page": "10000"}, ["page"]), ({"page": "x"}, ["page"]),
    ({"size": "0"}, ["size"]), ({"size": "101"}, ["size"]), ({"size": "05"}, ["size"]),
    ({"orderId": "o-1"}, ["orderId"]), ({"orderId": "01"}, ["orderId"]), ({"orderId": str(LARGEST + 1)}, ["orderId"]),
    ({"status": "FAILED"}, ["status"]), ({"status": "PENDING"}, ["status"]), ({"status": "requested"}, ["status"]),
    ({"valid": "1"}, ["valid"]), ({"valid": "yes"}, ["valid"]), ({"valid": "tru"}, ["valid"]),
    ({"limit": "5", "cursor": "x"}, ["limit", "cursor"]),
])
def test_each_bad_or_unknown_parameter_is_one_15010(params, bad):
    assert refused_fields(seed002.list_request, params) == bad


# ---------------------------------------------------------------- the path id

def test_a_path_id_names_a_refund_only_when_it_is_a_number():
    assert seed002.refund_id("249724462242683").startswith("rf_")
    assert {seed002.refund_id(text) for text in ("0", "-1", "01", "1.0", "abc", "", str(LARGEST + 1))} == {""}


# ---------------------------------------------------------------- presenting

def _refund(**overrides) -> dict:
    """A refund as the core presents it (logic/refunds.present)."""
    refund = {"id": "rf_01M98J36EHPYR0000000000000", "numericId": 249724462242683, "number": "SO-1-R1",
              "orderId": "1001", "merchantId": "demo", "customerId": "cust-1", "status": "REQUESTED", "valid": True,
              "refundOnly": False, "description": "Wrong size", "email": "m@example.com", "batchId": None,
              "kind": "amount", "items": [], "shipping": {"amount": "0.00", "tax": "0.00"}, "tax": "0.00",
              "amount": "22.50", "currency": "USD", "requester": "demo", "responseReason": None,
              "trackingId": None, "carrierName": None, "confirmedAt": None, "issuedAt": None,
              "createdAt": "2026-12-07T10:00:00.000Z", "updatedAt": "2026-12-07T10:00:00.000Z", "history": []}
    return {**refund, **overrides}


def test_the_entity_has_the_documents_fields_in_its_order_then_three_of_ours():
    presented = seed002.present(_refund())
    assert list(presented) == ["id", "order", "createdAt", "updatedAt", "requester", "requestReason",
                               "responseReason", "confirmedAt", "issuedAt", "amount", "status", "trackingId",
                               "carrierName", "refundOnly", "valid", "refundId", "orderId", "currency"]
    assert (presented["id"], presented["order"], presented["requestReason"]) == (249724462242683, 1001, "Wrong size")


@pytest.mark.parametrize(("amount", "currency", "literal"), [
    ("22.50", "USD", "22.50"), ("1500", "JPY", "1500"), ("0.125", "KWD", "0.125"), ("0.00", "USD", "0.00"),
])
def test_the_amount_is_a_json_number_written_with_the_currencys_decimals(amount, currency, literal):
    text = jsontext.dumps({"data": seed002.present(_refund(amount=amount, currency=currency))})
    assert f'"amount": {literal}, ' in text
    assert json.loads(text, parse_float=Decimal)["data"]["amount"] == Decimal(amount)


@pytest.mark.parametrize("ours", statuses.ALL)
def test_every_status_of_ours_is_one_of_the_documents_six(ours):
    shown = seed002.present(_refund(status=ours, valid=statuses.is_valid(ours)))
    assert shown["status"] in seed002.STATUSES
    assert shown["status"] == ("DENIED" if ours == statuses.FAILED else ours)
    assert shown["valid"] is statuses.is_valid(ours)


@pytest.mark.parametrize(("order_id", "order"), [
    ("1001", 1001), ("0", 0), (str(LARGEST), LARGEST), (str(LARGEST + 1), None), ("01001", None), ("o-1001", None),
    ("1001.5", None), ("-1", None),
])
def test_an_order_is_an_integer_when_its_id_is_one_and_null_otherwise(order_id, order):
    presented = seed002.present(_refund(orderId=order_id))
    assert (presented["order"], presented["orderId"]) == (order, order_id)


def test_a_float_is_never_money():
    """The body's parser never makes one; a float that got here anyway would already be rounded."""
    assert refused_fields(seed002.creation, {**VALID, "amount": 22.5}) == ["amount"]
