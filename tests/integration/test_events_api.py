"""The events API through the local API: GET /v1/events and GET /v1/events/{id}
(refunds_core/logic/event_log.py). Each test's merchant is a fresh one, so
what it lists is its own doing. The cases of the query string, the time range
and the cursor are unit tests (tests/unit/test_event_log.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from ulid import ULID

from refunds_core.dal.codec import to_item
from tests.integration.test_lifecycle_api import customer_token
from tests.integration.test_webhook_delivery import Receiver

pytestmark = pytest.mark.server

EVENT_NOT_FOUND = {"errors": [{"error": 15170, "message": "Event not found."}]}


def open_refund(api, token: str, merchant_id: str) -> str:
    answer = api.request("POST", f"/v1/order/{api.paid_order(merchant_id=merchant_id)}/refund", token=token,
                         json_body={"email": "m@example.com"})
    assert answer.status == 200, answer
    return answer.body["data"]["id"]


def act(api, refund_id: str, action: str) -> None:
    answer = api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": action}, login="support")
    assert answer.status == 200, answer


def listed(api, token: str, query: str = "") -> list[dict]:
    """Every event the list answers for ``query``, page after page."""
    events, cursor = [], None
    while True:
        answer = api.request("GET", f"/v1/events?{query}" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert answer.status == 200, answer
        events += answer.body["data"]
        cursor = answer.body["nextCursor"]
        if cursor is None:
            return events


def test_a_merchants_events_are_listed_newest_first_as_soon_as_each_change_is_written(api, merchant):
    merchant_id, token = merchant
    refund_id = open_refund(api, token, merchant_id)
    act(api, refund_id, "APPROVE")
    act(api, refund_id, "ISSUE")
    # Nothing drained: each event was kept by the transaction that made its change.
    answer = api.request("GET", "/v1/events", token=token)
    assert answer.status == 200, answer
    assert answer.body["nextCursor"] is None
    events = answer.body["data"]
    assert [(e["type"], e["sequence"], e["data"]["status"]) for e in events] == [
        ("refund.issued", 3, "ISSUED"), ("refund.approved", 2, "PROCESSING"), ("refund.created", 1, "REQUESTED")]
    assert all(e["merchantId"] == merchant_id and e["data"]["id"] == refund_id for e in events)
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)


def test_an_event_is_the_body_its_webhook_carried(api, runtime, merchant):
    """A merchant whose endpoint missed a delivery reads the very event from the API."""
    merchant_id, token = merchant
    receiver = Receiver()
    try:
        created = api.request("POST", "/v1/webhooks", token=token,
                              json_body={"url": receiver.url, "events": ["refund.created"]})
        assert created.status == 201, created
        open_refund(api, token, merchant_id)
        runtime.events.drain()
        delivery, = receiver.wait_for(1)
    finally:
        receiver.close()
    answer = api.request("GET", f"/v1/events/{delivery['headers']['webhook-id']}", token=token)
    assert answer.status == 200, answer
    assert answer.body == {"data": json.loads(delivery["body"])}


def test_filters_combine_and_pages_follow_the_cursor(api, merchant):
    merchant_id, token = merchant
    first = open_refund(api, token, merchant_id)
    act(api, first, "APPROVE")
    second = open_refund(api, token, merchant_id)
    act(api, second, "APPROVE")
    act(api, second, "ISSUE")
    everything = listed(api, token, "limit=2")  # three pages
    assert len(everything) == 5 and len({e["id"] for e in everything}) == 5
    assert [e["type"] for e in listed(api, token, "type=refund.approved")] == ["refund.approved"] * 2
    assert [(e["data"]["id"], e["type"]) for e in listed(api, token, f"refundId={first}")] == [
        (first, "refund.approved"), (first, "refund.created")]
    assert [e["data"]["id"] for e in listed(api, token, f"refundId={second}&type=refund.approved")] == [second]
    # The second refund's events on: its creation's instant is in the range, the end is not.
    created_at = next(e["createdAt"] for e in everything if e["data"]["id"] == second and e["type"] == "refund.created")
    issued_at = everything[0]["createdAt"]
    ranged = listed(api, token, f"createdFrom={created_at}&createdTo={issued_at}&limit=1")
    assert [e["type"] for e in ranged if e["data"]["id"] == second][-1] == "refund.created"
    assert all(created_at <= e["createdAt"] < issued_at for e in ranged)
    assert listed(api, token, f"createdTo={created_at}") == [e for e in everything if e["createdAt"] < created_at]


def test_another_merchants_event_is_not_found_and_not_listed(api, merchant):
    merchant_id, token = merchant
    refund_id = open_refund(api, token, merchant_id)
    event_id = listed(api, token)[0]["id"]
    assert api.request("GET", f"/v1/events/{event_id}", login="demo2").body == EVENT_NOT_FOUND
    assert listed(api, api.token("demo2"), f"refundId={refund_id}") == []
    for malformed in ("evt_1", "rf_01JD0000000000000000000000", "evt_01JD000000000000000000000%2F"):
        answer = api.request("GET", f"/v1/events/{malformed}", token=token)
        assert (answer.status, answer.body) == (404, EVENT_NOT_FOUND)


def test_support_reads_the_events_of_the_merchant_it_names(api, merchant):
    merchant_id, token = merchant
    open_refund(api, token, merchant_id)
    (event,) = listed(api, token)
    assert listed(api, api.token("support"), f"merchantId={merchant_id}") == [event]
    answer = api.request("GET", f"/v1/events/{event['id']}?merchantId={merchant_id}", login="support")
    assert answer.body == {"data": event}
    missing = api.request("GET", "/v1/events", login="support")
    assert (missing.status, missing.codes) == (400, [15010])
    assert missing.body["errors"][0]["message"] == "Invalid field value: merchantId"
    mine = api.request("GET", f"/v1/events?merchantId={merchant_id}", token=token)
    assert (mine.status, mine.codes) == (400, [15010])  # a merchant's events are its token's


@pytest.mark.parametrize("path", ["/v1/events", "/v1/events/evt_01JD0000000000000000000000"])
def test_customers_and_the_order_system_may_not_read_events(api, path):
    for token in (customer_token(api), api.token("orders-service")):
        answer = api.request("GET", path, token=token)
        assert (answer.status, answer.codes) == (403, [15120])
    assert api.request("GET", path).status == 401


def test_a_refused_change_keeps_no_event(api, merchant):
    merchant_id, token = merchant
    refund_id = open_refund(api, token, merchant_id)
    refused = api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": "ISSUE"}, login="support")
    assert (refused.status, refused.codes) == (409, [15080])  # REQUESTED cannot be issued
    again = api.request("POST", f"/v1/order/{refunds_order(api, refund_id, token)}/refund", token=token,
                        json_body={"email": "m@example.com"})
    assert (again.status, again.codes) == (400, [15050])  # the order's request is still open
    assert [e["type"] for e in listed(api, token)] == ["refund.created"]


def test_the_kept_events_carry_the_codes_and_metadata_and_a_metadata_change_keeps_none(api, merchant):
    """The events written in the create and DENY transactions (i19-events) carry
    i19-meta's fields as they were at each change; changing the metadata alone
    is no event."""
    merchant_id, token = merchant
    created = api.request("POST", f"/v1/order/{api.paid_order(merchant_id=merchant_id)}/refund", token=token,
                          json_body={"email": "m@example.com", "reason": "damaged", "metadata": {"erp": "E-1"}})
    assert created.status == 200, created
    refund_id = created.body["data"]["id"]
    changed = api.request("PATCH", f"/v1/refunds/{refund_id}", token=token, json_body={"metadata": {"erp": "E-2"}})
    assert changed.status == 200, changed
    assert [e["type"] for e in listed(api, token)] == ["refund.created"]
    denied = api.request("PATCH", f"/v1/refunds/{refund_id}", login="support",
                         json_body={"action": "DENY", "responseReason": "Sale item", "declineReason": "final_sale"})
    assert denied.status == 200, denied
    assert [(e["type"], e["data"]["reason"], e["data"]["declineReason"], e["data"]["metadata"])
            for e in listed(api, token)] == [("refund.denied", "damaged", "final_sale", {"erp": "E-2"}),
                                             ("refund.created", "damaged", None, {"erp": "E-1"})]


def refunds_order(api, refund_id: str, token: str) -> str:
    return api.request("GET", f"/v1/refunds/{refund_id}", token=token).body["data"]["orderId"]


def test_events_of_over_30_days_ago_are_gone_even_before_dynamodb_deletes_them(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    for age, expires_in in ((timedelta(days=31), -86400), (timedelta(days=29), 86400)):
        at = datetime.now(UTC) - age
        event_id = f"evt_{ULID.from_datetime(at)}"
        created = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        body = {"id": event_id, "type": "refund.created", "createdAt": created, "merchantId": merchant_id,
                "sequence": 1, "data": {}}
        dynamodb.put_item(TableName=table_name, Item={"PK": {"S": f"EVENTS#{merchant_id}"}, "SK": {"S": event_id},
                                                      **to_item({"type": "Event", "eventId": event_id,
                                                                 "eventType": "refund.created",
                                                                 "merchantId": merchant_id, "body": json.dumps(body),
                                                                 "createdAt": created,
                                                                 "expiresAt": int(time.time()) + expires_in})})
        shown = api.request("GET", f"/v1/events/{event_id}", token=token)
        assert shown.status == (404 if expires_in < 0 else 200), shown
    assert len(listed(api, token)) == 1  # the 29 days old one
    long_ago = (datetime.now(UTC) - timedelta(days=60)).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert len(listed(api, token, f"createdFrom={long_ago}")) == 1  # a range starts 30 days ago at the earliest


def test_an_unknown_event_id_is_not_found(api):
    answer = api.request("GET", f"/v1/events/evt_{ULID()}", login="demo")
    assert (answer.status, answer.body) == (404, EVENT_NOT_FOUND)
