"""Endpoints that keep failing are disabled (refunds_core/logic/endpoint_health.py):
the rule, with the clock given (no waiting 5 days), against the runtime's
DynamoDB in this process as the deliverer runs it; the races as the stale
reads concurrent deliveries make; and once end to end through the event path,
from a streak as 5 days of failures leave it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from refunds_core import clock
from refunds_core.dal import webhooks
from refunds_core.logic import endpoint_health
from tests.conftest import as_function
from tests.integration.test_webhook_delivery import Receiver

pytestmark = pytest.mark.server

DAY = timedelta(days=1)
START = datetime.now(UTC).replace(microsecond=0) - 8 * DAY  # so that what is disabled is within the events' 30 days


@pytest.fixture
def deliverer(runtime):
    """refunds_core as DeliverWebhooksFunction has it, in this process."""
    with as_function(runtime, "DeliverWebhooksFunction", fresh_clients=True):
        yield


@pytest.fixture
def endpoint(api, merchant) -> dict:
    """A fresh merchant's endpoint (``merchantId``, ``id``, ``token``)."""
    merchant_id, token = merchant
    created = api.request("POST", "/v1/webhooks", token=token,
                          json_body={"url": "http://127.0.0.1:9/hooks", "events": ["refund.created"]})
    assert created.status == 201, created
    return {"merchantId": merchant_id, "id": created.body["data"]["id"], "token": token}


def read(endpoint: dict) -> dict:
    return webhooks.get_endpoint(endpoint["merchantId"], endpoint["id"])


def disabled_events(api, endpoint: dict) -> list[dict]:
    answer = api.request("GET", "/v1/events?type=webhook_endpoint.disabled", token=endpoint["token"])
    assert answer.status == 200, answer
    return answer.body["data"]


def test_a_streak_starts_at_the_first_failure_and_a_success_ends_it(deliverer, endpoint):
    endpoint_health.note(read(endpoint), False, START)
    assert read(endpoint)["failingSince"] == clock.iso(START)
    endpoint_health.note(read(endpoint), False, START + DAY)  # the first failure's time stays
    assert read(endpoint)["failingSince"] == clock.iso(START)
    endpoint_health.note(read(endpoint), True, START + DAY)
    assert "failingSince" not in read(endpoint)
    endpoint_health.note(read(endpoint), True, START + DAY)  # no streak: nothing to end, nothing written
    assert "failingSince" not in read(endpoint)


def test_every_delivery_failing_for_5_days_disables_the_endpoint_and_keeps_an_event(api, deliverer, endpoint):
    endpoint_health.note(read(endpoint), False, START)
    endpoint_health.note(read(endpoint), False, START + 5 * DAY - timedelta(milliseconds=1))
    assert read(endpoint).get("enabled", True) is True  # not yet 5 days
    endpoint_health.note(read(endpoint), False, START + 5 * DAY)
    stored = read(endpoint)
    assert (stored["enabled"], stored["disabledReason"], stored["failingSince"]) == (False, "failing",
                                                                                     clock.iso(START))
    (event,) = disabled_events(api, endpoint)
    assert (event["type"], event["merchantId"], event["createdAt"]) == (
        "webhook_endpoint.disabled", endpoint["merchantId"], clock.iso(START + 5 * DAY))
    # Which endpoint and why; its URL and description only GET /v1/webhooks shows (manage_webhooks).
    assert event["data"] == {"id": endpoint["id"], "enabled": False, "disabledReason": "failing",
                             "failingSince": clock.iso(START)}
    endpoint_health.note(read(endpoint), False, START + 6 * DAY)  # disabled once
    assert len(disabled_events(api, endpoint)) == 1


def test_of_two_failures_racing_only_one_disables_and_keeps_its_event(api, deliverer, endpoint):
    endpoint_health.note(read(endpoint), False, START)
    first, second = read(endpoint), read(endpoint)  # both read before either wrote
    assert endpoint_health.disable(first, START + 6 * DAY) is True
    assert endpoint_health.disable(second, START + 6 * DAY) is False
    endpoint_health.note(second, False, START + 6 * DAY)
    assert len(disabled_events(api, endpoint)) == 1


def test_a_success_after_the_failure_read_the_streak_wins(api, deliverer, endpoint):
    endpoint_health.note(read(endpoint), False, START)
    failing = read(endpoint)                                     # a delivery reads, POSTs, fails...
    endpoint_health.note(read(endpoint), True, START + 6 * DAY)  # ...while another one succeeds
    endpoint_health.note(failing, False, START + 6 * DAY)
    stored = read(endpoint)
    assert stored.get("enabled", True) is True and disabled_events(api, endpoint) == []
    assert stored["failingSince"] == clock.iso(START + 6 * DAY)  # a streak of its own starts


def test_a_deleted_endpoint_is_not_brought_back_by_a_late_outcome(api, deliverer, endpoint):
    gone = read(endpoint)
    assert api.request("DELETE", f"/v1/webhooks/{endpoint['id']}", token=endpoint["token"]).status == 200
    for delivered in (False, True):
        endpoint_health.note(gone, delivered, START)
    assert read(endpoint) is None


def test_enabling_it_again_starts_a_new_count(api, deliverer, endpoint):
    endpoint_health.note(read(endpoint), False, START)
    endpoint_health.note(read(endpoint), False, START + 5 * DAY)
    enabled = api.request("PATCH", f"/v1/webhooks/{endpoint['id']}", token=endpoint["token"],
                          json_body={"enabled": True})
    assert (enabled.body["data"]["enabled"], enabled.body["data"]["failingSince"]) == (True, None)
    endpoint_health.note(read(endpoint), False, START + 6 * DAY)  # the first failure of a new streak
    assert read(endpoint).get("enabled", True) is True


def test_a_failing_endpoint_is_disabled_misses_nothing_and_gets_it_all_replayed(api, runtime, merchant, dynamodb):
    """Through the event path: an endpoint whose deliveries have failed for 5 days
    fails once more and is disabled; what happens while it is disabled is not
    delivered, and is replayed once the merchant enables it again."""
    merchant_id, token = merchant
    receiver = Receiver(fail=1)
    try:
        created = api.request("POST", "/v1/webhooks", token=token,
                              json_body={"url": receiver.url, "events": ["refund.created", "refund.cancelled"]})
        webhook_id, secret = created.body["data"]["id"], created.body["data"]["secret"]
        since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        # Five days and a minute of failed deliveries, as they leave the endpoint.
        dynamodb.update_item(TableName=runtime.physical_ids["RefundsTable"],
                             Key={"PK": {"S": f"MERCHANT#{merchant_id}"}, "SK": {"S": f"WEBHOOK#{webhook_id}"}},
                             UpdateExpression="SET failingSince = :at", ExpressionAttributeValues={
                                 ":at": {"S": clock.iso(datetime.now(UTC) - 5 * DAY - timedelta(minutes=1))}})
        first = open_refund(api, token, merchant_id)
        runtime.events.drain()
        receiver.wait_for(1)  # answered 500: the failure that disables it
        shown = api.request("GET", f"/v1/webhooks/{webhook_id}", token=token).body["data"]
        assert (shown["enabled"], shown["disabledReason"]) == (False, "failing")

        second = open_refund(api, token, merchant_id)  # while it is disabled
        runtime.events.drain()
        assert len(receiver.deliveries) == 1  # neither the first's retry nor the second's delivery was sent
        refused = api.request("POST", f"/v1/webhooks/{webhook_id}/replay", token=token, json_body={"since": since})
        assert (refused.status, refused.codes) == (409, [15260])

        assert api.request("PATCH", f"/v1/webhooks/{webhook_id}", token=token,
                           json_body={"enabled": True}).status == 200
        replayed = api.request("POST", f"/v1/webhooks/{webhook_id}/replay", token=token, json_body={"since": since})
        assert replayed.body["data"] == {"queued": 2, "nextSince": None}
        runtime.events.drain()
        deliveries = receiver.wait_for(3)
    finally:
        receiver.close()
    got = [Webhook(secret).verify(d["body"], d["headers"]) for d in deliveries[1:]]
    assert sorted(event["data"]["id"] for event in got) == sorted([first, second])
    assert all(json.loads(d["body"])["type"] == "refund.created" for d in deliveries)


def open_refund(api, token: str, merchant_id: str) -> str:
    answer = api.request("POST", f"/v1/order/{api.paid_order(merchant_id=merchant_id)}/refund", token=token,
                         json_body={"email": "m@example.com"})
    assert answer.status == 200, answer
    return answer.body["data"]["id"]
