"""The reconciliation CSV without a server: its rows (RFC 4180, money, items,
metadata), formula neutralisation, the size cap, its query string, and how a
route declaring another media type answers."""

from __future__ import annotations

import csv
import io
import json
from http import HTTPStatus

import pytest

from refunds_core import shapes
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.listing_query import parse_export_query
from refunds_core.logic import export
from refunds_core.routes import Contract, respond
from refunds_core.settings import Settings


def refund(**fields) -> shapes.Refund:
    shown = {
        "id": "rf_01JD0000000000000000000000", "numericId": 7, "number": "SO-1-R1", "orderId": "o-1",
        "merchantId": "demo", "customerId": "cust-1", "status": "ISSUED", "valid": True, "refundOnly": True,
        "description": None, "reason": None, "email": "m@example.com", "batchId": None, "metadata": {},
        "kind": "items", "items": [{"itemId": "sku-1", "quantity": 2, "amount": "45.00", "tax": "4.50"},
                                   {"itemId": "sku-2", "quantity": 1, "amount": "10.00", "tax": "0.90"}],
        "shipping": {"amount": "10.00", "tax": "0.00"}, "tax": "5.40", "amount": "70.40", "currency": "USD",
        "requester": "demo", "responseReason": None, "declineReason": None, "trackingId": None,
        "carrierName": None, "confirmedAt": None, "issuedAt": None, "createdAt": "2026-05-01T10:00:00.000Z",
        "updatedAt": "2026-05-01T10:00:00.000Z", "history": []}
    return {**shown, **fields}


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_a_header_row_then_one_row_per_refund_with_crlf_line_ends():
    text = export.render(iter([refund(), refund(id="rf_2")]), 10_000)
    assert text.split("\r\n")[0] == ",".join(export.COLUMNS)
    assert text.count("\r\n") == 3 and text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert [row["id"] for row in rows(text)] == ["rf_01JD0000000000000000000000", "rf_2"]


def test_an_empty_range_is_the_header_alone():
    assert export.render(iter([]), 10_000) == ",".join(export.COLUMNS) + "\r\n"


def test_money_items_and_metadata_as_the_api_shows_them():
    row, = rows(export.render(iter([refund(metadata={"erp": "E-1", "store": "Lyon"}, reason="damaged")]), 10_000))
    assert (row["amount"], row["tax"], row["shippingAmount"], row["shippingTax"], row["currency"]) == (
        "70.40", "5.40", "10.00", "0.00", "USD")
    assert row["items"] == "sku-1 x2 (45.00 + 4.50 tax); sku-2 x1 (10.00 + 0.90 tax)" and row["itemUnits"] == "3"
    assert json.loads(row["metadata"]) == {"erp": "E-1", "store": "Lyon"}
    assert (row["reason"], row["refundOnly"], row["batchId"], row["issuedAt"]) == ("damaged", "true", "", "")


@pytest.mark.parametrize("text", ['a, "quoted" word', "two\r\nlines", "line\nfeed", "é 値 😀", "'already"])
def test_any_text_survives_rfc_4180_quoting(text):
    row, = rows(export.render(iter([refund(description=text)]), 10_000))
    assert row["description"] == text


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_a_cell_a_spreadsheet_would_run_starts_with_an_apostrophe(text):
    row, = rows(export.render(iter([refund(description=text, email=text, metadata={"k": text})]), 10_000))
    assert row["description"] == row["email"] == "'" + text
    assert json.loads(row["metadata"]) == {"k": text}  # the JSON object starts with {: not a formula


@pytest.mark.parametrize("text", ["a=b", "x-1", "mail@example.com", "", "0.00"])
def test_other_cells_are_unchanged(text):
    row, = rows(export.render(iter([refund(description=text)]), 10_000))
    assert row["description"] == text


def _weight(refund_shown: shapes.Refund) -> int:
    """A row as the cap counts it: JSON-escaped (ensure_ascii), as a Lambda response may carry it."""
    line = export.render(iter([refund_shown]), 10_000).split("\r\n", 1)[1]
    return len(json.dumps(line)) - 2


def test_rows_up_to_the_cap_are_answered_and_one_byte_more_is_15300():
    one = _weight(refund())
    assert len(rows(export.render(iter([refund()] * 3), 3 * one))) == 3
    with pytest.raises(ApiError) as caught:
        export.render(iter([refund()] * 3), 3 * one - 1)
    assert caught.value.status == HTTPStatus.BAD_REQUEST and caught.value.entries[0][0] == 15300


# A refund as most are (docs/reconciliation.md's "about 420 bytes"): two lines, a reason, a sentence, two keys.
TYPICAL = refund(reason="damaged", description="Box arrived crushed, see photo attached", batchId="returns-1120",
                 metadata={"erpReturn": "RMA-1001", "store": "Lyon"}, confirmedAt="2026-05-01T12:00:00.000Z",
                 issuedAt="2026-05-02T10:00:00.000Z")


def test_the_default_cap_answers_about_14_000_typical_refunds_and_one_more_is_15300():
    """At full scale, with the setting's default (6 MB): the figures the guide gives."""
    cap = Settings.model_fields["EXPORT_MAX_BYTES"].default  # the template sets no other
    fits = cap // _weight(TYPICAL)
    assert cap == 6_000_000 and 14_000 <= fits <= 14_500
    assert len(rows(export.render(iter([TYPICAL] * fits), cap))) == fits
    with pytest.raises(ApiError) as caught:
        export.render(iter([TYPICAL] * (fits + 1)), cap)
    assert caught.value.entries[0][0] == 15300


def test_the_cap_counts_a_character_as_the_response_escapes_it():
    ascii_row, wide_row = refund(description="e" * 100), refund(description="é" * 100)
    assert _weight(wide_row) - _weight(ascii_row) == 500  # \u00e9: six bytes where e is one


def test_the_cap_stops_reading_once_passed():
    read = []

    def refunds():
        for n in range(1000):
            read.append(n)
            yield refund()

    with pytest.raises(ApiError):
        export.render(refunds(), 2 * _weight(refund()))
    assert len(read) == 3


# ------------------------------------------------------------ the query

def bad_fields(params: dict, *, support: bool = False) -> list[str]:
    with pytest.raises(FieldErrors) as caught:
        parse_export_query(params, merchant_filter_allowed=support)
    return caught.value.fields


RANGE = {"createdFrom": "2026-05-01T00:00:00Z", "createdTo": "2026-06-01T00:00:00Z"}


@pytest.mark.parametrize(("params", "fields"), [
    ({}, ["createdFrom", "createdTo"]),
    ({"createdFrom": "2026-05-01T00:00:00Z"}, ["createdTo"]),
    ({**RANGE, "createdTo": "2026-06-01"}, ["createdTo"]),
    ({**RANGE, "createdTo": "2026-04-01T00:00:00Z"}, ["createdFrom", "createdTo"]),
    ({**RANGE, "merchantId": "demo"}, ["merchantId"]),
    ({**RANGE, "status": "ISSUED"}, ["status"]),
])
def test_the_range_is_required_and_a_merchant_names_no_merchant(params, fields):
    assert bad_fields(params) == fields


def test_support_names_a_merchant():
    assert parse_export_query({**RANGE, "merchantId": "demo2"}, merchant_filter_allowed=True).merchantId == "demo2"
    assert bad_fields({**RANGE, "merchantId": "no such/merchant"}, support=True) == ["merchantId"]


# ------------------------------------------------- another media type

def test_a_route_declaring_another_media_type_answers_the_text_as_a_download():
    contract = Contract("GET", "/v1/x", "x", "t", roles=None, answer=shapes.RefundsCsv, envelope=None,
                        media_type=export.MEDIA_TYPE)
    answer = respond(shapes.Attachment("id\r\n\"a,b\"\r\n", "refunds-demo.csv"), contract)
    assert answer.status_code == 200 and answer.body == "id\r\n\"a,b\"\r\n"
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="refunds-demo.csv"'
    plain = respond("id\r\n", contract)
    assert plain.body == "id\r\n" and "Content-Disposition" not in plain.headers


def test_json_routes_answer_as_before():
    answer = respond({"a": 1}, Contract("GET", "/v1/x", "x", "t", roles=None, answer=shapes.Refund))
    assert json.loads(answer.body) == {"data": {"a": 1}} and answer.headers["Content-Type"] == "application/json"
