"""Seed 003's dialect without AWS (refunds_core/dialects/seed003.py): its
request into the core's, the core's refund into its answer, its statuses."""

from __future__ import annotations

import json

import pytest

from refunds_core import errors
from refunds_core.dialects import seed003
from refunds_core.errors import ApiError
from tests.conftest import refused_fields, request_json

CONNECTION = "3f6c2a7e-1d4b-4c8a-9e2f-5b7d0a1c3e64"


# ------------------------------------------------------------------ creating

@pytest.mark.parametrize(("body", "core"), [
    ("{}", {"refundOnly": True}),                                   # the entire order
    ('{"items": []}', {"refundOnly": True}),                        # the document: an empty list is the same
    ('{"items": [{"itemId": "shoes", "quantity": 2}]}', {"refundOnly": True,
                                                         "items": [{"itemId": "shoes", "quantity": 2}]}),
    ('{"batchId": "b-1", "returnedDate": null}', {"refundOnly": True, "batchId": "b-1"}),
], ids=["nothing", "empty items", "items", "batch"])
def test_the_request_becomes_the_cores_item_or_whole_order_refund(body, core):
    """No email (the contact email on file is used), no description, and no
    return shipment to wait for (003 has no step that would send one)."""
    assert seed003.creation(request_json(body))[0] == core


@pytest.mark.parametrize(("sent", "answered"), [
    (None, None),
    ("2026-11-20T15:00:00+01:00", "2026-11-20T14:00:00.000Z"),
    ("2026-11-20T14:00:00Z", "2026-11-20T14:00:00.000Z"),
    ("2026-11-20T14:00:00.123456-00:30", "2026-11-20T14:30:00.123Z"),
    ("2026-11-20 14:00:00+00:00", "2026-11-20T14:00:00.000Z"),
])
def test_returned_date_is_the_instant_sent_in_utc(sent, answered):
    assert seed003.creation({"returnedDate": sent})[1] == answered
    assert seed003.creation({})[1] is None


@pytest.mark.parametrize("sent", ["2026-11-20T14:00:00", "2026-11-20", "yesterday", "", 1795255200,
                                  "0001-01-01T00:00:00+01:00", "2026-11-20T14:00:00Z" + " " * 60])
def test_a_returned_date_that_is_no_instant_is_15010(sent):
    """No offset is no instant; year 1 an hour east of UTC is before year 1 in UTC."""
    assert refused_fields(seed003.creation, {"returnedDate": sent}) == ["returnedDate"]


@pytest.mark.parametrize(("body", "fields"), [
    ({"items": [{"itemId": "shoes", "quantity": 1, "price": "36.00"}]}, ["items[0].price"]),
    ({"items": [{"itemId": "shoes", "quantity": 1, "tax": "3.60", "amount": "36.00"}]},
     ["items[0].tax", "items[0].amount"]),
    ({"amount": "10.00", "tax": "1.00", "shipping": "7.00"}, ["amount", "tax", "shipping"]),
    # /v1's fields 003 has not: its email is the one on file, its shipping is a whole order's.
    ({"email": "m@example.com", "description": "x", "refundShipping": True, "refundOnly": False},
     ["email", "description", "refundShipping", "refundOnly"]),
    ({"items": [{"itemId": "shoes"}, {"quantity": 1}]}, ["items[0].quantity", "items[1].itemId"]),
    ({"items": [{"itemId": "shoes", "quantity": "1"}, {"itemId": "a b", "quantity": 1.0}]},
     ["items[0].quantity", "items[1].itemId", "items[1].quantity"]),
    ({"items": {"itemId": "shoes", "quantity": 1}}, ["items"]),
    ({"items": [{"itemId": "s", "quantity": 1}] * 251}, ["items"]),
    ({"batchId": "", "items": None}, ["batchId", "items"]),
    ({"batchId": "x" * 65}, ["batchId"]),
])
def test_prices_taxes_and_bad_fields_are_15010_naming_each(body, fields):
    assert refused_fields(seed003.creation, body) == fields


# ---------------------------------------------------------------- presenting

def _refund(**overrides) -> dict:
    """A refund as the core presents it (logic/refunds.present), of one discounted unit."""
    refund = {"id": "rf_01M98J36EHPYR0000000000000", "numericId": 249724462242683, "number": "SO-1-R1",
              "orderId": "so-1", "merchantId": "demo", "customerId": None, "status": "REQUESTED", "valid": True,
              "refundOnly": True, "description": None, "email": "m@example.com", "batchId": "b-1",
              "kind": "items", "items": [{"itemId": "shoes", "quantity": 1, "amount": "36.00", "tax": "3.60"}],
              "shipping": {"amount": "0.00", "tax": "0.00"}, "tax": "3.60", "amount": "39.60", "currency": "USD",
              "requester": "demo", "responseReason": None, "trackingId": None, "carrierName": None,
              "confirmedAt": None, "issuedAt": None, "createdAt": "2026-12-07T10:00:00.000Z",
              "updatedAt": "2026-12-07T10:00:00.000Z", "history": []}
    return {**refund, **overrides}


def test_the_answer_has_the_documents_fields_first_then_ours():
    presented = seed003.present(_refund(), CONNECTION, None)
    assert list(presented) == ["connectionId", "items", "batchId", "createdDate", "returnedDate", "id", "orderId",
                               "status", "shipping", "tax", "amount", "currency"]
    assert (presented["connectionId"], presented["batchId"], presented["createdDate"], presented["id"]) == (
        CONNECTION, "b-1", "2026-12-07T10:00:00.000Z", "rf_01M98J36EHPYR0000000000000")
    assert presented["items"] == [{"itemId": "shoes", "quantity": 1, "amount": "36.00", "tax": "3.60"}]


@pytest.mark.parametrize(("sent", "issued_at", "answered"), [
    ("2026-11-20T14:00:00.000Z", None, "2026-11-20T14:00:00.000Z"),
    ("2026-11-20T14:00:00.000Z", "2026-12-08T09:00:00.000Z", "2026-11-20T14:00:00.000Z"),  # what was sent wins
    (None, "2026-12-08T09:00:00.000Z", "2026-12-08T09:00:00.000Z"),  # else when it took effect
    (None, None, None),                                                # else null: a new refund has not
])
def test_returned_date_is_what_was_sent_else_when_it_took_effect_else_null(sent, issued_at, answered):
    assert seed003.present(_refund(issuedAt=issued_at), CONNECTION, sent)["returnedDate"] == answered


# ------------------------------------------------------------------ statuses

@pytest.mark.parametrize(("code", "status"), [
    (errors.ORDER_NOT_PAID, 422), (errors.ORDER_AMOUNT_ZERO, 422), (errors.REFUND_ALREADY_OPEN, 422),
    (errors.QUANTITY_EXCEEDS_REMAINING, 422), (errors.AMOUNT_EXCEEDS_REMAINING, 422),
    (errors.ORDER_NOT_FOUND, 404), (errors.CONNECTION_NOT_FOUND, 404), (errors.INVALID_FIELD, 400),
    (errors.INVALID_JSON, 400), (errors.UNAUTHORIZED, 401), (errors.FORBIDDEN, 403), (errors.THROTTLED, 429),
    (errors.INTERNAL, 500),
], ids=lambda value: str(getattr(value, "code", value)))
def test_what_the_order_cannot_do_is_422_and_the_rest_as_ours_in_our_errors_body(code, status):
    """The document's statuses: 400, 401, 403, 404, 422, 429, 500."""
    response = seed003.DIALECT.error_response(ApiError(code))
    assert (response.status_code, json.loads(response.body)) == (status, ApiError(code).body())
