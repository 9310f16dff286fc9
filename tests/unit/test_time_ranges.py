"""One time-range rule for every list that takes createdFrom/createdTo:
GET /v1/refunds, GET /v1/refunds/export and GET /v1/events answer the same
range the same way (docs/listing.md, "Time ranges"): an inverted range is
15010 for both bounds, an empty one lists nothing without reading, a time
that does not parse is 15010 for that bound."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from refunds_core.callers import Caller, Role
from refunds_core.dal import events as kept_events
from refunds_core.dal import refund_queries
from refunds_core.errors import FieldErrors
from refunds_core.logic import event_log, export, listing

MERCHANT = Caller("demo", Role.MERCHANT, "demo")
DAY = "2026-11-22T10:00:00Z"


@pytest.fixture
def lists(monkeypatch):
    """The three lists' logic, each with its Query recorded instead of made;
    ``lists[route](range)`` answers what the route's logic returned."""
    queries: list[str] = []
    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    for module in (listing, event_log, export):
        monkeypatch.setattr(module, "require_active_account", lambda caller: None)
    for module in (listing, event_log):
        monkeypatch.setattr(module, "derived_key", lambda purpose: b"k" * 32)
    monkeypatch.setattr(refund_queries, "page", lambda *args, **kwargs: queries.append("refunds") or ([], None))
    monkeypatch.setattr(refund_queries, "query", lambda *args, **kwargs: queries.append("export") or
                        refund_queries.Read([], None, 0))
    monkeypatch.setattr(kept_events, "newest_first", lambda *args, **kwargs: queries.append("events") or ([], None))
    # The events of the last 30 days: the ranges below are within them.
    monkeypatch.setattr(event_log.clock, "now", lambda: datetime(2026, 11, 23, tzinfo=UTC))

    def refunds(span: dict) -> list:
        return listing.page(MERCHANT, span).items

    def exported(span: dict) -> list:
        from refunds_core.settings import settings

        settings.cache_clear()
        return export.export(MERCHANT, span).body.splitlines()[1:]  # the rows, after the header

    def events(span: dict) -> list:
        return event_log.page(MERCHANT, span).items

    yield {"refunds": refunds, "export": exported, "events": events}, queries
    from refunds_core.settings import settings

    settings.cache_clear()


ROUTES = ["refunds", "export", "events"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("created_from", "created_to"), [
    ("2026-11-22T10:00:00Z", "2026-11-22T09:59:59Z"),
    ("2026-11-22T10:00:00.001Z", "2026-11-22T10:00:00Z"),         # a millisecond after its end
    ("2026-11-22T12:00:00+01:00", "2026-11-22T10:00:00Z"),        # an hour after, in another offset
])
def test_an_inverted_range_is_15010_for_both_bounds_on_every_list(lists, route, created_from, created_to):
    answer, queries = lists
    with pytest.raises(FieldErrors) as refused:
        answer[route]({"createdFrom": created_from, "createdTo": created_to})
    assert refused.value.fields == ["createdFrom", "createdTo"] and queries == []


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("created_from", "created_to"), [
    (DAY, DAY),                                                     # createdTo is excluded
    ("2026-11-22T12:00:00+02:00", DAY),                             # the same instant, in two offsets
    ("2026-11-22T10:00:00.0001Z", "2026-11-22T10:00:00.0009Z"),     # within one millisecond: no refund's
])
def test_an_empty_range_lists_nothing_and_reads_nothing_on_every_list(lists, route, created_from, created_to):
    answer, queries = lists
    assert answer[route]({"createdFrom": created_from, "createdTo": created_to}) == [] and queries == []


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("params", "fields"), [
    ({"createdFrom": "2026-11-22", "createdTo": DAY}, ["createdFrom"]),         # a date alone: which zone?
    ({"createdFrom": DAY, "createdTo": "2026-11-22T11:00:00"}, ["createdTo"]),  # no offset
    ({"createdFrom": "yesterday", "createdTo": "tomorrow"}, ["createdFrom", "createdTo"]),
])
def test_a_time_that_does_not_parse_is_15010_for_that_bound_on_every_list(lists, route, params, fields):
    answer, queries = lists
    with pytest.raises(FieldErrors) as refused:
        answer[route](params)
    assert refused.value.fields == fields and queries == []


@pytest.mark.parametrize("route", ROUTES)
def test_a_range_of_one_millisecond_is_read(lists, route):
    answer, queries = lists
    assert answer[route]({"createdFrom": DAY, "createdTo": "2026-11-22T10:00:00.001Z"}) == []
    assert queries == [route]
