"""A refund's number (seed 002's integer id, ``numericId`` on /v1) is unique
without a counter: a create that draws a number another refund has is
written with another (the refund's own conditional put refuses the first),
and a number finds its refund with one read."""

from __future__ import annotations

import pytest

from refunds_core import refund_ids

pytestmark = pytest.mark.server

CONTACT_BODY = {"email": "merchant@example.com", "refundOnly": True}


def test_a_number_already_taken_is_drawn_again_and_both_refunds_keep_theirs(handlers, monkeypatch):
    taken = refund_ids.draw()
    drawn = iter([taken, taken, taken + 1])
    monkeypatch.setattr(refund_ids, "draw", lambda: next(drawn))
    first = handlers.request("POST", f"/v1/order/{handlers.paid_order()}/refund", json_body=CONTACT_BODY,
                             login="demo")
    second = handlers.request("POST", f"/v1/order/{handlers.paid_order()}/refund", json_body=CONTACT_BODY,
                              login="demo")
    assert (first.status, second.status) == (200, 200), (first, second)
    assert (first.body["data"]["numericId"], second.body["data"]["numericId"]) == (taken, taken + 1)
    # The losing attempt wrote nothing: one transaction refused, one committed.
    assert [operation for operation, _ in second.writes].count("TransactWriteItems") == 2
    for created in (first, second):
        shown = handlers.request("GET", f"/api/v2/refunds/{created.body['data']['numericId']}", login="demo")
        assert (shown.status, shown.body["data"]["refundId"]) == (200, created.body["data"]["id"])


def test_a_number_finds_its_refund_with_one_read(handlers):
    created = handlers.request("POST", f"/v1/order/{handlers.paid_order()}/refund", json_body=CONTACT_BODY,
                               login="demo").body["data"]
    handlers.request("GET", f"/api/v2/refunds/{created['numericId']}", login="demo")  # the caller's account is cached
    shown = handlers.request("GET", f"/api/v2/refunds/{created['numericId']}", login="demo")
    assert shown.status == 200 and shown.reads == [("GetItem", f"REFUND#{created['id']}")]


@pytest.mark.parametrize("path_id", ["0", "01", "-1", "1.5", "abc", str(refund_ids.LARGEST + 1), "1" * 40])
def test_what_is_no_number_is_not_found_without_a_read_of_refunds(handlers, path_id):
    answer = handlers.request("GET", f"/api/v2/refunds/{path_id}", login="demo")
    assert (answer.status, answer.codes) == (404, [15070])
    assert not [read for read in answer.reads if read[1].startswith("REFUND#")]


def test_a_refunds_created_at_is_its_ids_own_millisecond(handlers):
    """So a time range read on the indexes' sort key (the id) holds exactly the
    refunds whose createdAt is in it (GET /v1/refunds, the export)."""
    from refunds_core.clock import iso_of_ms

    created = handlers.request("POST", f"/v1/order/{handlers.paid_order()}/refund", json_body=CONTACT_BODY,
                               login="demo").body["data"]
    assert created["createdAt"] == iso_of_ms(refund_ids.created_ms(created["numericId"]))
    assert created["history"][0]["at"] == created["createdAt"] == created["updatedAt"]
