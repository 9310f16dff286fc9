"""The console's pure helpers, case by case, run in the browser on the
modules as served: the queue's merge of one listing per status
(console/js/merge.js), days as the API's UTC range (js/dates.js), and a
metadata edit as the PATCH it sends (js/views/metadata.js)."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]


def stream(*ids: str, done: bool) -> dict:
    return {"items": [{"id": f"rf_{i}"} for i in ids], "done": done}


CASES = {
    "every listing read to its end: all of it, in order": (
        "oldest", [stream("1", "4", done=True), stream("2", "3", done=True)], ["1", "2", "3", "4"], None),
    "a listing with pages left holds back what its next page could precede": (
        "oldest", [stream("1", "4", done=True), stream("2", "3", done=False), stream("5", done=True)],
        ["1", "2", "3"], 1),
    "the listing held is the one read least far": (
        "oldest", [stream("1", "6", done=False), stream("2", "3", done=False)], ["1", "2", "3"], 1),
    "newest first, the other way round": (
        "newest", [stream("9", "7", done=False), stream("8", "2", done=False)], ["9", "8", "7"], 0),
    "a listing with pages left and nothing read yet holds everything": (
        "oldest", [stream("1", done=True), stream(done=False)], [], 1),
}


@pytest.mark.parametrize("case", CASES)
def test_the_queue_shows_the_merged_listings_in_order(page, console_url, case):
    order, streams, shown, held = CASES[case]
    page.goto(console_url)
    result = page.evaluate("""async ([url, streams, order]) => {
        const {merged} = await import(url);
        const {rows, held} = merged(streams, order);
        return {rows: rows.map((row) => row.id), held: held === null ? null : streams.indexOf(held)};
    }""", [f"{console_url}js/merge.js", streams, order])
    assert result == {"rows": [f"rf_{i}" for i in shown], "held": held}


# Days picked in New York (the tests' time zone) as the API's times: createdTo is the start of the day after.
RANGES = {
    "a winter day: 5 hours behind UTC": (("2026-01-15", "2026-01-15"),
                                         ["2026-01-15T05:00:00.000Z", "2026-01-16T05:00:00.000Z"]),
    "the day clocks go forward is 23 hours long": (("2026-03-08", "2026-03-08"),
                                                   ["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"]),
    "the day clocks go back is 25 hours long": (("2026-11-01", "2026-11-01"),
                                                ["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"]),
    "to the last day of a year": (("2026-12-30", "2026-12-31"),
                                  ["2026-12-30T05:00:00.000Z", "2027-01-01T05:00:00.000Z"]),
    "either day left out: no bound": (("", "2026-02-28"), [None, "2026-03-01T05:00:00.000Z"]),
    "not a date: no bound": (("2026-02-30", "15/01/2026"), [None, None]),
}


@pytest.mark.parametrize("case", RANGES)
def test_days_become_the_apis_utc_range(page, console_url, case):
    (start, end), expected = RANGES[case]
    page.goto(console_url)
    result = page.evaluate("""async ([url, start, end]) => {
        const {createdRange} = await import(url);
        const {createdFrom, createdTo} = createdRange(start, end);
        return [createdFrom, createdTo];
    }""", [f"{console_url}js/dates.js", start, end])
    assert result == expected


CHANGES = {
    "a value changed, a key added": ({"a": "1"}, {"a": "2", "b": "3"}, {"a": "2", "b": "3"}),
    "a key removed is sent as null": ({"a": "1", "b": "2"}, {"a": "1"}, {"b": None}),
    "nothing changed: nothing sent": ({"a": "1"}, {"a": "1"}, {}),
    "no metadata before": (None, {"a": ""}, {"a": ""}),
    "a key named like a property is a key": ({}, {"__proto__": "x"}, {"__proto__": "x"}),
}


@pytest.mark.parametrize("case", CHANGES)
def test_a_metadata_edit_sends_what_changed(page, console_url, case):
    before, after, sent = CHANGES[case]
    page.goto(console_url)
    result = page.evaluate("""async ([url, before, after]) => {
        const {metadataChanges} = await import(url);
        return JSON.stringify(metadataChanges(before, JSON.parse(after)));
    }""", [f"{console_url}js/views/metadata.js", before, json.dumps(after)])
    assert json.loads(result) == sent
