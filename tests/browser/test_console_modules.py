"""The console's queue merges one listing per status into one list
(console/js/merge.js): its cases, run in the browser on the module as served."""

from __future__ import annotations

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
