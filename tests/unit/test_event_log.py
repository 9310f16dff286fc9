"""GET /v1/events's rules that need no server: the time range as a range of
event ids, the query string's refusals, the one Query each filter makes (its
range a key condition) and the cursor's binding (refunds_core/logic/event_log.py,
dal/events.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ulid import ULID

from refunds_core.callers import Caller, Role
from refunds_core.dal import events as kept_events
from refunds_core.errors import FieldErrors
from refunds_core.logic import event_log
from refunds_core.logic.event_log import EventQuery, EventsQuery, id_range, parse_query

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MERCHANT = Caller("demo", Role.MERCHANT, "demo")
SUPPORT = Caller("support", Role.SUPPORT, None)
MS = timedelta(milliseconds=1)


def event_id_at(moment: datetime, randomness: bytes = b"\x5a" * 10) -> str:
    millis = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // MS
    return f"evt_{ULID.from_bytes(millis.to_bytes(6, 'big') + randomness)}"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def bound(moment: datetime | str | None) -> str | None:
    return iso(moment) if isinstance(moment, datetime) else moment


# ------------------------------------------------------------ time range

T = NOW - timedelta(days=1)


@pytest.mark.parametrize(("created_from", "created_to", "made", "listed"), [
    (T, None, T, True),                        # from is inclusive
    (T, None, T - MS, False),
    (None, T, T - MS, True),                   # to is exclusive
    (None, T, T, False),
    (T, T + MS, T, True),                      # a one-millisecond range holds that millisecond
    (T, T, T, False),                          # an empty range
    (T + MS / 2, None, T, False),              # a bound inside a millisecond counts from the next one
    (T + MS / 2, None, T + MS, True),
    (None, T + MS / 2, T, True),
    (None, T + MS / 2, T + MS, False),
    (T - timedelta(days=40), None, NOW - timedelta(days=31), False),  # older than 30 days: gone
    (None, None, NOW - timedelta(days=30) + MS, True),
    (None, None, NOW + timedelta(minutes=1), True),                   # a clock running ahead
    (None, "9999-12-31T23:59:59.9999Z", T, True),   # bounds at the calendar's ends: no OverflowError
    ("9999-12-31T23:59:59.9999Z", None, T, False),
    ("9999-12-31T23:59:59.9999-23:59", None, T, False),
    ("0001-01-01T00:00:00+23:59", None, T, True),
    (None, "0001-01-01T00:00:00+23:59", T, False),
])
def test_a_range_holds_exactly_the_events_from_its_start_to_before_its_end(created_from, created_to, made, listed):
    ids = id_range(bound(created_from), bound(created_to), NOW)
    for randomness in (bytes(10), b"\xff" * 10, b"\x5a" * 10):  # every event of that millisecond, the same
        assert (ids is not None and ids[0] <= event_id_at(made, randomness) <= ids[1]) is listed


def test_a_range_in_another_offset_is_the_same_instant():
    assert id_range("2026-11-22T12:00:00+02:00", "2026-11-22T13:00:00+02:00", NOW) == \
        id_range("2026-11-22T10:00:00Z", "2026-11-22T11:00:00Z", NOW)


# ---------------------------------------------------------- query string

@pytest.mark.parametrize(("params", "caller", "fields"), [
    ({}, MERCHANT, []),
    ({"type": "refund.issued", "limit": "100"}, MERCHANT, []),
    ({"type": "webhook_endpoint.disabled"}, MERCHANT, []),
    ({"type": "webhook.test"}, MERCHANT, ["type"]),          # sent, never kept
    ({"type": "refund.paid"}, MERCHANT, ["type"]),
    ({"refundId": "rf_01JD0000000000000000000000"}, MERCHANT, []),
    ({"refundId": "1001"}, MERCHANT, ["refundId"]),
    ({"createdFrom": "2026-11-22T10:00:00Z", "createdTo": "2026-11-22T12:00:00.5+02:00"}, MERCHANT, []),
    ({"createdFrom": "2026-11-22T10:00:00"}, MERCHANT, ["createdFrom"]),  # no offset: which 10:00?
    ({"createdFrom": "2026-11-22"}, MERCHANT, ["createdFrom"]),
    ({"createdTo": "yesterday"}, MERCHANT, ["createdTo"]),
    ({"createdFrom": "2026-11-22T10:00:00Z", "createdTo": "2026-11-22T09:59:59Z"}, MERCHANT,
     ["createdFrom", "createdTo"]),                                     # inverted: as every list's range
    ({"limit": "0"}, MERCHANT, ["limit"]),
    ({"limit": "101"}, MERCHANT, ["limit"]),
    ({"cursor": "not a cursor"}, MERCHANT, ["cursor"]),
    ({"status": "ISSUED", "type": "x"}, MERCHANT, ["type", "status"]),   # every bad one, once each
    ({"merchantId": "demo"}, MERCHANT, ["merchantId"]),                  # a merchant reads its own
    ({}, SUPPORT, ["merchantId"]),                                       # support names one
    ({"merchantId": "demo", "type": "refund.issued"}, SUPPORT, []),
    ({"merchantId": "not a merchant!"}, SUPPORT, ["merchantId"]),
])
def test_each_bad_parameter_is_one_15010_entry(params, caller, fields):
    if not fields:
        assert parse_query(EventsQuery, params, caller) is not None
        return
    with pytest.raises(FieldErrors) as refused:
        parse_query(EventsQuery, params, caller)
    assert sorted(refused.value.fields) == sorted(fields)


@pytest.mark.parametrize(("params", "caller", "fields"), [
    ({}, MERCHANT, []), ({"merchantId": "demo"}, SUPPORT, []),
    ({"merchantId": "demo"}, MERCHANT, ["merchantId"]), ({}, SUPPORT, ["merchantId"]),
    ({"expand": "refund"}, MERCHANT, ["expand"]),
])
def test_one_event_is_read_as_its_merchant_or_as_support_naming_it(params, caller, fields):
    if fields:
        with pytest.raises(FieldErrors) as refused:
            parse_query(EventQuery, params, caller)
        assert refused.value.fields == fields
    else:
        parse_query(EventQuery, params, caller)


# --------------------------------------------------------- one Query each

FIRST, LAST = "evt_01M81B5H800000000000000000", "evt_01M81B5H7ZZZZZZZZZZZZZZZZZ"


@pytest.mark.parametrize(("event_type", "refund_id", "index", "partition_key", "sort_key", "partition", "filtered"), [
    (None, None, None, "PK", "SK", "EVENTS#demo", False),
    ("refund.issued", None, "DeliveriesByRefund", "GSI8PK", "GSI8SK", "EVENTS#demo#TYPE#refund.issued", False),
    (None, "rf_1", "ByOrder", "GSI3PK", "GSI3SK", "EVENTS#demo#REFUND#rf_1", False),
    # A refund's few events, filtered by type: the refund's partition is the key condition.
    ("refund.issued", "rf_1", "ByOrder", "GSI3PK", "GSI3SK", "EVENTS#demo#REFUND#rf_1", True),
])
def test_each_filter_reads_one_partition_with_the_time_range_as_its_key_condition(
        stubbed, event_type, refund_id, index, partition_key, sort_key, partition, filtered):
    expected = {"TableName": "RefundsTable", "ScanIndexForward": False, "Limit": 20,
                "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
                "ExpressionAttributeNames": {"#pk": partition_key, "#sk": sort_key},
                "ExpressionAttributeValues": {":pk": {"S": partition}, ":first": {"S": FIRST},
                                              ":last": {"S": LAST}}}
    if index:
        expected["IndexName"] = index
    if filtered:
        expected["FilterExpression"] = "eventType = :type"
        expected["ExpressionAttributeValues"][":type"] = {"S": event_type}
    stubbed.add_response("query", {"Items": []}, expected)
    assert kept_events.newest_first("demo", first_id=FIRST, last_id=LAST, limit=20, start_key=None,
                                    event_type=event_type, refund_id=refund_id) == ([], None)
    stubbed.assert_no_pending_responses()


def test_the_indexes_are_written_under_the_partitions_they_are_read_from():
    kept = kept_events.item_of({"merchantId": "demo", "eventId": FIRST, "eventType": "refund.issued",
                                "refundId": "rf_1", "body": "{}", "createdAt": "2026-11-22T10:00:00.000Z"})
    assert kept["GSI8PK"] == {"S": "EVENTS#demo#TYPE#refund.issued"} and kept["GSI8SK"] == {"S": FIRST}
    assert kept["GSI3PK"] == {"S": "EVENTS#demo#REFUND#rf_1"} and kept["GSI3SK"] == {"S": FIRST}
    assert kept["expiresAt"] == {"N": str(int((datetime(2026, 12, 22, 10, tzinfo=UTC)).timestamp()))}
    endpoints = kept_events.item_of({"merchantId": "demo", "eventId": FIRST, "eventType": "webhook_endpoint.disabled",
                                     "body": "{}", "createdAt": "2026-11-22T10:00:00.000Z"})
    assert "GSI3PK" not in endpoints and "GSI3SK" not in endpoints  # in no refund's partition


# ---------------------------------------------------------------- cursor

@pytest.fixture
def stored(monkeypatch):
    """event_log.page with a fake Query: what it was asked, and a next page to come."""
    calls: list[dict] = []
    last = {"PK": {"S": "EVENTS#demo"}, "SK": {"S": FIRST}, "GSI8PK": {"S": "EVENTS#demo#TYPE#refund.issued"},
            "GSI8SK": {"S": FIRST}}

    def fake_newest_first(merchant_id, **kwargs):
        calls.append({"merchantId": merchant_id, **kwargs})
        return [], last if kwargs["event_type"] else {"PK": last["PK"], "SK": last["SK"]}

    monkeypatch.setattr(event_log, "require_active_account", lambda caller: None)
    monkeypatch.setattr(event_log, "derived_key", lambda purpose: b"k" * 32)
    monkeypatch.setattr(kept_events, "newest_first", fake_newest_first)
    return calls


def test_a_cursor_continues_the_same_query_for_the_same_caller_only(stored):
    params = {"type": "refund.issued", "limit": "5"}
    cursor = event_log.page(MERCHANT, params).next_cursor
    event_log.page(MERCHANT, {**params, "cursor": cursor})
    assert stored[-1]["start_key"]["SK"] == {"S": FIRST}
    for other, caller in (({**params, "limit": "6"}, MERCHANT), ({**params, "type": "refund.denied"}, MERCHANT),
                          ({"limit": "5"}, MERCHANT), (params, Caller("demo-2", Role.MERCHANT, "demo")),
                          (params, Caller("other", Role.MERCHANT, "other")),
                          ({**params, "merchantId": "demo"}, SUPPORT)):
        with pytest.raises(FieldErrors) as refused:
            event_log.page(caller, {**other, "cursor": cursor})
        assert refused.value.fields == ["cursor"]


def test_support_reads_the_merchant_it_names(stored):
    event_log.page(SUPPORT, {"merchantId": "demo2"})
    assert stored[-1]["merchantId"] == "demo2"
    event_log.page(MERCHANT, {})
    assert stored[-1]["merchantId"] == "demo"


def test_an_empty_range_is_an_empty_page_without_a_query(stored):
    page = event_log.page(MERCHANT, {"createdFrom": "2026-11-22T10:00:00Z", "createdTo": "2026-11-22T10:00:00Z"})
    assert page == ([], None) and stored == []
