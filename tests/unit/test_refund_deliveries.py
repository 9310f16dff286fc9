"""GET /v1/refunds/{refundId}/deliveries: which attempts belong to a refund,
who may read them, and their cursors. The cases run through the route's own
handler in this process against the runtime's AWS (tests/conftest.py
InProcessClient); the attempts are recorded the way the deliverer records them
(dal.webhooks.put_attempt). End to end, from a refund's events to its
deliveries: tests/integration/test_webhook_delivery.py."""

from __future__ import annotations

import json
import time

import pytest
from ulid import ULID

from refunds_core.auth import issue_token
from refunds_core.callers import Caller, Role
from refunds_core.clock import now_iso
from refunds_core.dal import webhooks
from refunds_core.webhook_tasks import DeliveryTask
from tests.conftest import as_function

pytestmark = pytest.mark.server


# ------------------------------------------------- the refund of an attempt

def _task(body: str) -> DeliveryTask:
    return DeliveryTask(webhookId="whk_1", merchantId="demo", eventId="evt_1", eventType="refund.issued", body=body)


@pytest.mark.parametrize(("body", "refund_id"), [
    ('{"id": "evt_1", "data": {"id": "rf_01J", "status": "ISSUED"}}', "rf_01J"),
    ('{"data": {"status": "ISSUED"}}', None), ('{"data": {"id": 7}}', None), ('{"data": {"id": ""}}', None),
    ('{"data": "rf_01J"}', None), ("[1, 2]", None), ("not json", None), ("", None),
])
def test_an_attempt_knows_its_refund_from_the_events_data_id(body, refund_id):
    assert _task(body).refund_id == refund_id


# --------------------------------------------------------- over the handler

@pytest.fixture(scope="module")
def env(runtime):
    """A function's environment in this process, for writing attempts as the deliverer does."""
    with as_function(runtime, "DeliverWebhooksFunction"):
        yield


def open_refund(handlers, login: str = "demo") -> str:
    order_id = handlers.paid_order(merchant_id="demo2" if login == "demo2" else "demo")
    answer = handlers.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com"},
                              login=login)
    assert answer.status == 200, answer
    return answer.body["data"]["id"]


def record(refund_id: str | None, webhook_id: str | None = None, n: int = 1) -> str:
    """One attempt as the deliverer records it (on a new endpoint id unless one is
    given); ``refund_id`` None: as before attempts named their refund."""
    webhook_id = webhook_id or f"whk_{ULID()}"
    with_refund = {"refundId": refund_id} if refund_id else {}
    webhooks.put_attempt(webhook_id, {"eventId": f"evt_{ULID()}", "eventType": "refund.created", "attempt": n,
                                      "statusCode": 204, "error": None, "outcome": "delivered", "at": now_iso(),
                                      "replay": False, **with_refund})
    time.sleep(0.002)  # attempt ids are ULIDs: one per millisecond keeps their order that of n
    return webhook_id


def deliveries(handlers, refund_id: str, query: str = "", login: str | None = "demo", token: str | None = None):
    return handlers.request("GET", f"/v1/refunds/{refund_id}/deliveries{query}", login=None if token else login,
                            token=token)


def test_a_refund_lists_its_own_attempts_on_every_endpoint_newest_first(handlers, env):
    refund_id, other_refund = open_refund(handlers), open_refund(handlers)
    first, second = record(refund_id, n=1), record(refund_id, n=2)
    record(other_refund)
    for login in ("demo", "support"):
        answer = deliveries(handlers, refund_id, login=login)
        assert answer.status == 200 and answer.body["nextCursor"] is None
        assert [(d["webhookId"], d["attempt"]) for d in answer.body["data"]] == [(second, 2), (first, 1)]
    shown = answer.body["data"][0]
    assert set(shown) == {"webhookId", "eventId", "eventType", "statusCode", "outcome", "attempt", "at", "replay",
                          "error"}
    assert (shown["eventType"], shown["statusCode"], shown["outcome"], shown["replay"], shown["error"]) == (
        "refund.created", 204, "delivered", False, None)


def test_an_attempt_recorded_without_its_refund_is_listed_by_its_endpoint_only(handlers, env, dynamodb, table_name):
    refund_id = open_refund(handlers)
    webhook_id = record(None)
    assert deliveries(handlers, refund_id).body == {"data": [], "nextCursor": None}
    stored = dynamodb.query(TableName=table_name, KeyConditionExpression="PK = :pk",
                            ExpressionAttributeValues={":pk": {"S": f"WEBHOOK#{webhook_id}"}})["Items"]
    assert len(stored) == 1 and not {"refundId", "GSI8PK", "GSI8SK"} & set(stored[0])


def test_pages_follow_the_cursor_and_a_cursor_opens_only_for_its_refund_caller_and_limit(handlers, env):
    refund_id, other_refund = open_refund(handlers), open_refund(handlers)
    webhook_id = f"whk_{ULID()}"
    for n in range(1, 6):
        record(refund_id, webhook_id, n)
    record(other_refund, webhook_id)
    seen, cursor = [], None
    while True:
        answer = deliveries(handlers, refund_id, "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status == 200, answer
        seen += [d["attempt"] for d in answer.body["data"]]
        cursor = answer.body["nextCursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]
    cursor = deliveries(handlers, refund_id, "?limit=2").body["nextCursor"]
    for refund, query, login in ((other_refund, "?limit=2", "demo"), (refund_id, "?limit=3", "demo"),
                                 (refund_id, "?limit=2", "support")):
        answer = deliveries(handlers, refund, f"{query}&cursor={cursor}", login=login)
        assert (answer.status, answer.codes) == (400, [15010]), (refund, query, login)


@pytest.mark.parametrize(("query", "field"), [
    ("?limit=0", "limit"), ("?limit=101", "limit"), ("?cursor=e30.AAAA", "cursor"), ("?order=oldest", "order"),
])
def test_a_bad_query_is_15010(handlers, query, field):
    answer = deliveries(handlers, open_refund(handlers), query)
    assert answer.status == 400 and answer.body["errors"][0]["message"] == f"Invalid field value: {field}"


def test_another_merchants_refund_is_not_found_and_shows_nothing(handlers, env):
    refund_id = open_refund(handlers, "demo2")
    record(refund_id)
    for refund in (refund_id, f"rf_{ULID()}", "not-a-refund-id"):
        answer = deliveries(handlers, refund)
        assert (answer.status, answer.codes) == (404, [15070]), refund


def test_only_the_refunds_merchant_and_support_may_read_them(handlers, env):
    refund_id = open_refund(handlers)
    record(refund_id)
    customer = issue_token(Caller("customer:cust-1", Role.CUSTOMER, "demo", "cust-1", minted_by="demo"), ttl=300)[0]
    for answer in (deliveries(handlers, refund_id, token=customer),
                   deliveries(handlers, refund_id, login="orders-service")):
        assert (answer.status, answer.codes) == (403, [15120])
    assert deliveries(handlers, refund_id, login=None).status == 401
    assert json.dumps(deliveries(handlers, refund_id, login="support").body).count('"attempt"') == 1
