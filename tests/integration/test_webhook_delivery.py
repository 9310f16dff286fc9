"""Refund events end to end, through the local runtime's event sources (what
Lambda's event source mappings do in AWS): table stream -> publisher -> SNS ->
queue -> dispatcher -> deliveries queue -> deliverer -> a receiver on 127.0.0.1,
signed per Standard Webhooks and verified with the ``standardwebhooks`` library."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import boto3
import pytest
from standardwebhooks.webhooks import Webhook

from refunds_core.callers import Role
from refunds_core.events import TYPES
from refunds_core.logic import delivery
from refunds_core.observability import metrics
from tests.conftest import LambdaContext, as_function, load_handler

pytestmark = pytest.mark.server


class Receiver:
    """A merchant's endpoint: records every delivery; answers 500 to the first ``fail`` ones.
    ``port``: listen there (an endpoint that was down comes back at its URL)."""

    def __init__(self, fail: int = 0, port: int = 0):
        self.deliveries: list[dict] = []
        self.fail = fail
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with receiver._arrived:
                    failing = receiver.fail > 0
                    receiver.fail -= failing
                    receiver.deliveries.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                                "body": body, "path": self.path,
                                                "answered": 500 if failing else 204})
                    receiver._arrived.notify_all()
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        """Blocks until ``count`` deliveries arrived (the retries' delays are real time)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.deliveries) >= count, timeout):
                raise AssertionError(f"{len(self.deliveries)} of {count} deliveries arrived in {timeout}s")
            return list(self.deliveries)

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def merchant(admin, api):
    """A merchant of its own (no other test's endpoints or events), with a login."""
    merchant_id = f"hooks-{uuid.uuid4().hex[:10]}"
    admin.create_merchant(merchant_id)
    admin.create_login(merchant_id, "a-long-password", Role.MERCHANT, merchant_id)
    for mode in ("live", "test"):
        api.sign_in(merchant_id, "a-long-password", mode)
    return merchant_id


def register(api, merchant_id: str, url: str, events=TYPES, mode: str = "live") -> dict:
    answer = api.request("POST", "/v1/webhooks", json_body={"url": url, "events": list(events)}, login=merchant_id,
                         mode=mode)
    assert answer.status == 201, answer
    return answer.body["data"]


def open_refund(api, merchant_id: str, mode: str = "live", **body) -> str:
    order_id, answer = api.put_order(merchant_id=merchant_id, mode=mode)
    assert answer.status == 200, answer
    answer = api.request("POST", f"/v1/order/{order_id}/refund",
                         json_body={"email": "m@example.com", **body}, login=merchant_id, mode=mode)
    assert answer.status == 200, answer
    return answer.body["data"]["id"]


def act(api, refund_id: str, action: str, **fields) -> None:
    answer = api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": action, **fields}, login="support")
    assert answer.status == 200, answer


def test_an_issued_refund_reaches_the_merchant_signed_and_verifiable(api, runtime, merchant):
    receiver = Receiver()
    try:
        endpoint = register(api, merchant, receiver.url, events=["refund.issued"])
        refund_id = open_refund(api, merchant)
        act(api, refund_id, "APPROVE")
        act(api, refund_id, "ISSUE")
        runtime.events.drain()
        delivery, = receiver.wait_for(1)
    finally:
        receiver.close()
    event = Webhook(endpoint["secret"]).verify(delivery["body"], delivery["headers"])
    assert event["type"] == "refund.issued" and event["merchantId"] == merchant
    assert event["data"]["id"] == refund_id and event["data"]["status"] == "ISSUED"
    assert event["data"]["amount"] == "59.50" and event["data"]["currency"] == "USD"
    assert delivery["headers"]["webhook-id"] == event["id"] and event["id"].startswith("evt_")
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY").verify(delivery["body"], delivery["headers"])


def test_a_test_refunds_events_reach_the_test_endpoint_only_and_a_live_refunds_the_live_one(api, runtime, merchant):
    """docs/test-mode.md: a simulated decision is delivered like support's, to the
    merchant's test-mode endpoints, signed, with livemode false; live endpoints see none."""
    live, test = Receiver(), Receiver()
    try:
        live_endpoint = register(api, merchant, live.url, events=["refund.approved"])
        test_endpoint = register(api, merchant, test.url, events=["refund.approved"], mode="test")
        test_refund = open_refund(api, merchant, mode="test")
        answer = api.request("POST", f"/v1/test/refunds/{test_refund}/simulate", json_body={"action": "APPROVE"},
                             login=merchant, mode="test")
        assert answer.status == 200, answer
        live_refund = open_refund(api, merchant)
        act(api, live_refund, "APPROVE")
        runtime.events.drain()
        (test_delivery,), (live_delivery,) = test.wait_for(1), live.wait_for(1)
        runtime.events.drain()
        assert (len(test.deliveries), len(live.deliveries)) == (1, 1)  # nothing crossed over
    finally:
        live.close()
        test.close()
    test_event = Webhook(test_endpoint["secret"]).verify(test_delivery["body"], test_delivery["headers"])
    assert (test_event["data"]["id"], test_event["livemode"], test_event["data"]["livemode"]) == (
        test_refund, False, False)
    assert test_event["data"]["history"][-1]["role"] == "support"
    live_event = Webhook(live_endpoint["secret"]).verify(live_delivery["body"], live_delivery["headers"])
    assert (live_event["data"]["id"], live_event["livemode"]) == (live_refund, True)
    # Each mode lists its own endpoints and their attempts only.
    listed = {mode: [e["id"] for e in api.request("GET", "/v1/webhooks", login=merchant, mode=mode).body["data"]]
              for mode in ("live", "test")}
    assert listed == {"live": [live_endpoint["id"]], "test": [test_endpoint["id"]]}
    assert api.request("GET", f"/v1/webhooks/{test_endpoint['id']}/deliveries", login=merchant).status == 404
    attempts = api.request("GET", f"/v1/webhooks/{test_endpoint['id']}/deliveries", login=merchant, mode="test")
    assert [a["eventId"] for a in attempts.body["data"]] == [test_event["id"]]


def test_every_transition_emits_exactly_one_event_of_its_type(api, runtime, merchant):
    receiver = Receiver()
    try:
        register(api, merchant, receiver.url)
        returned = open_refund(api, merchant, refundOnly=False)   # created
        act(api, returned, "APPROVE")                             # approved (WAITING)
        answer = api.request("PATCH", f"/v1/refunds/{returned}", login=merchant,
                             json_body={"action": "SHIP_INIT", "trackingId": "1Z9", "carrierName": "UPS"})
        assert answer.status == 200                               # shipment_provided
        act(api, returned, "FAIL", responseReason="Bank refused")  # failed
        denied = open_refund(api, merchant)
        act(api, denied, "DENY", responseReason="Too late", declineReason="final_sale")  # created, denied
        cancelled = open_refund(api, merchant)
        assert api.request("DELETE", f"/v1/refunds/{cancelled}", login=merchant).status == 200
        issued = open_refund(api, merchant)
        act(api, issued, "APPROVE")
        act(api, issued, "ISSUE")
        runtime.events.drain()
        deliveries = receiver.wait_for(11)
        runtime.events.drain()
        assert len(receiver.deliveries) == 11  # nothing more came
    finally:
        receiver.close()
    events = [json.loads(d["body"]) for d in deliveries]
    by_refund: dict[str, list[str]] = {}
    for event in sorted(events, key=lambda e: (e["data"]["id"], e["sequence"])):  # what docs/webhooks.md says
        assert event["sequence"] == len(by_refund.setdefault(event["data"]["id"], [])) + 1
        by_refund[event["data"]["id"]].append(event["type"])
    assert by_refund == {
        returned: ["refund.created", "refund.approved", "refund.shipment_provided", "refund.failed"],
        denied: ["refund.created", "refund.denied"],
        cancelled: ["refund.created", "refund.cancelled"],
        issued: ["refund.created", "refund.approved", "refund.issued"],
    }
    assert len({e["id"] for e in events}) == len(events) == 11  # one each, no duplicate


def test_an_endpoint_answering_500_gets_the_same_event_again_and_the_attempts_are_listed(api, runtime, merchant):
    receiver = Receiver(fail=1)
    try:
        endpoint = register(api, merchant, receiver.url, events=["refund.created"])
        open_refund(api, merchant)
        runtime.events.drain()
        first, second = receiver.wait_for(2)  # the local schedule retries within seconds
    finally:
        receiver.close()
    assert (first["answered"], second["answered"]) == (500, 204)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    Webhook(endpoint["secret"]).verify(second["body"], second["headers"])
    runtime.events.drain()
    attempts = api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries", login=merchant).body["data"]
    assert [(a["attempt"], a["statusCode"], a["outcome"]) for a in attempts] == [
        (2, 204, "delivered"), (1, 500, "retrying")]
    assert {a["eventId"] for a in attempts} == {first["headers"]["webhook-id"]}


def test_a_refund_lists_the_deliveries_its_events_caused_on_every_endpoint(api, runtime, merchant):
    receivers = [Receiver(fail=1), Receiver()]
    try:
        endpoints = [register(api, merchant, receiver.url, events=["refund.created"]) for receiver in receivers]
        refund_id = open_refund(api, merchant)
        runtime.events.drain()
        receivers[0].wait_for(2)  # the first endpoint's failed attempt, then its retry
        receivers[1].wait_for(1)
        open_refund(api, merchant)  # another refund's deliveries are not this one's
        runtime.events.drain()
        receivers[0].wait_for(3)
        receivers[1].wait_for(2)
        runtime.events.drain()
    finally:
        for receiver in receivers:
            receiver.close()
    answer = api.request("GET", f"/v1/refunds/{refund_id}/deliveries", login=merchant)
    assert answer.status == 200 and answer.body["nextCursor"] is None
    listed = answer.body["data"]
    assert sorted((d["webhookId"], d["attempt"], d["statusCode"], d["outcome"]) for d in listed) == sorted([
        (endpoints[0]["id"], 1, 500, "retrying"), (endpoints[0]["id"], 2, 204, "delivered"),
        (endpoints[1]["id"], 1, 204, "delivered")])
    assert [d["at"] for d in listed] == sorted((d["at"] for d in listed), reverse=True)  # newest first
    assert {d["eventType"] for d in listed} == {"refund.created"} and len({d["eventId"] for d in listed}) == 1
    assert api.request("GET", f"/v1/refunds/{refund_id}/deliveries", login="support").body == answer.body


def test_a_refunds_events_carry_its_version_as_a_signed_sequence_and_a_replay_keeps_it(api, runtime, merchant):
    receiver = Receiver()
    try:
        endpoint = register(api, merchant, receiver.url)
        refund_id = open_refund(api, merchant, refundOnly=False)
        act(api, refund_id, "APPROVE")
        answer = api.request("PATCH", f"/v1/refunds/{refund_id}", login=merchant,
                             json_body={"action": "SHIP_INIT", "trackingId": "1Z9", "carrierName": "UPS"})
        assert answer.status == 200
        act(api, refund_id, "ISSUE")
        runtime.events.drain()
        deliveries = receiver.wait_for(4)
        events = {}
        for delivery in deliveries:
            event = Webhook(endpoint["secret"]).verify(delivery["body"], delivery["headers"])  # sequence is signed
            events[event["sequence"]] = (event["type"], delivery)
        assert {n: kind for n, (kind, _) in events.items()} == {
            1: "refund.created", 2: "refund.approved", 3: "refund.shipment_provided", 4: "refund.issued"}
        _, approved = events[2]
        tampered = approved["body"].replace('"sequence":2', '"sequence":9')
        with pytest.raises(Exception, match="(?i)signature"):
            Webhook(endpoint["secret"]).verify(tampered, approved["headers"])

        replay = api.request("POST", f"/v1/webhooks/{endpoint['id']}/replay", login=merchant,
                             json_body={"eventId": approved["headers"]["webhook-id"]})
        assert replay.status == 202, replay
        runtime.events.drain()
        replayed = receiver.wait_for(5)[4]
    finally:
        receiver.close()
    assert replayed["body"] == approved["body"]  # the stored event, its sequence included
    assert Webhook(endpoint["secret"]).verify(replayed["body"], replayed["headers"])["sequence"] == 2


def test_an_iri_endpoint_is_stored_and_answered_as_its_uri_and_delivered_there(api, runtime, merchant):
    receiver = Receiver()
    try:
        endpoint = register(api, merchant, receiver.url + "/café?x=ü", events=["refund.created"])
        uri = receiver.url + "/caf%C3%A9?x=%C3%BC"
        assert endpoint["url"] == uri
        listed = api.request("GET", "/v1/webhooks", login=merchant).body["data"]
        assert [e["url"] for e in listed] == [uri]
        open_refund(api, merchant)
        runtime.events.drain()
        delivery, = receiver.wait_for(1)
    finally:
        receiver.close()
    assert delivery["path"] == "/hooks/caf%C3%A9?x=%C3%BC"
    Webhook(endpoint["secret"]).verify(delivery["body"], delivery["headers"])
    runtime.events.drain()
    attempts = api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries", login=merchant).body["data"]
    assert [(a["attempt"], a["statusCode"], a["outcome"]) for a in attempts] == [(1, 204, "delivered")]


def test_an_endpoint_stored_as_an_iri_before_urls_were_encoded_is_delivered_too(api, runtime, merchant, dynamodb,
                                                                                 table_name):
    receiver = Receiver()
    try:
        endpoint = register(api, merchant, receiver.url, events=["refund.created"])
        dynamodb.update_item(TableName=table_name, UpdateExpression="SET #url = :iri",
                             Key={"PK": {"S": f"MERCHANT#{merchant}"}, "SK": {"S": f"WEBHOOK#{endpoint['id']}"}},
                             ExpressionAttributeNames={"#url": "url"},
                             ExpressionAttributeValues={":iri": {"S": receiver.url + "/café"}})
        open_refund(api, merchant)
        runtime.events.drain()
        delivery, = receiver.wait_for(1)
    finally:
        receiver.close()
    assert delivery["path"] == "/hooks/caf%C3%A9"


def test_rotating_with_no_overlap_signs_the_next_delivery_with_the_new_secret_alone(api, runtime, merchant):
    receiver = Receiver()
    try:
        endpoint = register(api, merchant, receiver.url, events=["refund.created"])
        rotated = api.request("POST", f"/v1/webhooks/{endpoint['id']}/rotate-secret", login=merchant,
                              json_body={"previousSecretExpiresIn": 0})
        assert rotated.status == 200, rotated
        open_refund(api, merchant)
        runtime.events.drain()
        delivery, = receiver.wait_for(1)
    finally:
        receiver.close()
    assert len(delivery["headers"]["webhook-signature"].split()) == 1
    Webhook(rotated.body["data"]["secret"]).verify(delivery["body"], delivery["headers"])
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(endpoint["secret"]).verify(delivery["body"], delivery["headers"])


@pytest.fixture
def deliverer(runtime, monkeypatch):
    """DeliverWebhooksFunction's handler, run in this process on queues of this test's own
    (a deliveries queue whose messages stay hidden 5 minutes unless the deliverer says
    otherwise, and a dead-letter queue), with a schedule of two immediate retries."""
    from localrun.event_sources.record_shapes import sqs_record

    sqs = boto3.client("sqs", endpoint_url=runtime.aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    suffix = uuid.uuid4().hex[:8]
    tasks = sqs.create_queue(QueueName=f"deliveries-{suffix}", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    dead = sqs.create_queue(QueueName=f"dead-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=tasks, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def receive(queue_url: str) -> list[dict]:
        return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                   MessageAttributeNames=["All"]).get("Messages", [])

    with as_function(runtime, "DeliverWebhooksFunction", env={
            "WEBHOOK_DELIVERIES_QUEUE_URL": tasks, "WEBHOOK_DEAD_LETTER_QUEUE_URL": dead,
            "WEBHOOK_RETRY_SCHEDULE": "0,0"}, fresh_clients=True):
        handler = load_handler("DeliverWebhooksFunction")

        def invoke(message: dict) -> dict:
            return handler({"Records": [sqs_record(message, arn, "us-east-1")]}, LambdaContext())

        yield SimpleNamespace(sqs=sqs, tasks=tasks, dead=dead, receive=receive, invoke=invoke)
    sqs.delete_queue(QueueUrl=tasks)
    sqs.delete_queue(QueueUrl=dead)
    metrics.clear_metrics()


def test_an_attempt_that_raises_unexpectedly_is_recorded_retried_then_dead_lettered(api, merchant, deliverer,
                                                                                      monkeypatch):
    endpoint = register(api, merchant, "http://127.0.0.1:9/hooks", events=["refund.issued"])
    secret = endpoint["secret"]

    def broken_signer(*_args, **_kwargs):
        raise RuntimeError(f"could not sign with {secret}\nsecond line")

    monkeypatch.setattr(delivery, "signature_headers", broken_signer)
    task = {"webhookId": endpoint["id"], "merchantId": merchant, "eventId": "evt_01M81B5H80RNXZ98W5K0QCDWVQ",
            "eventType": "refund.issued", "body": '{"id": "evt_01M81B5H80RNXZ98W5K0QCDWVQ"}', "replay": False}
    deliverer.sqs.send_message(QueueUrl=deliverer.tasks, MessageBody=json.dumps(task))
    error = "RuntimeError: could not sign with whsec_[secret]"

    for attempt in (1, 2):
        # Back at once (the schedule's delay is 0), not after the queue's 5 minutes: the retry was scheduled.
        message, = deliverer.receive(deliverer.tasks)
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        assert deliverer.invoke(message) == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    message, = deliverer.receive(deliverer.tasks)
    assert deliverer.invoke(message) == {"batchItemFailures": []}  # Lambda deletes it then
    deliverer.sqs.delete_message(QueueUrl=deliverer.tasks, ReceiptHandle=message["ReceiptHandle"])

    attempts = api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries", login=merchant).body["data"]
    assert [(a["attempt"], a["statusCode"], a["outcome"], a["error"]) for a in attempts] == [
        (3, None, "failed", error), (2, None, "retrying", error), (1, None, "retrying", error)]
    dead, = deliverer.receive(deliverer.dead)
    assert json.loads(dead["Body"]) == task
    assert {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()} == {
        "attempts": "3", "lastError": error}
    assert secret.removeprefix("whsec_") not in json.dumps(attempts) + json.dumps(dead)


def test_a_test_mode_delivery_that_fails_for_good_is_recorded_not_dead_lettered(api, merchant, deliverer):
    """docs/test-mode.md: a sandbox endpoint being down is no work an operator gave up on."""
    endpoint = register(api, merchant, "http://127.0.0.1:9/hooks", events=["refund.issued"], mode="test")
    task = {"webhookId": endpoint["id"], "merchantId": merchant, "eventId": "evt_01M81B5H80RNXZ98W5K0QCDWVQ",
            "eventType": "refund.issued", "body": '{"id": "evt_01M81B5H80RNXZ98W5K0QCDWVQ"}', "replay": False,
            "livemode": False}
    deliverer.sqs.send_message(QueueUrl=deliverer.tasks, MessageBody=json.dumps(task))
    for _ in (1, 2):
        message, = deliverer.receive(deliverer.tasks)
        assert deliverer.invoke(message) == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    message, = deliverer.receive(deliverer.tasks)
    assert deliverer.invoke(message) == {"batchItemFailures": []}

    attempts = api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries", login=merchant, mode="test")
    assert [(a["attempt"], a["outcome"]) for a in attempts.body["data"]] == [(3, "failed"), (2, "retrying"),
                                                                              (1, "retrying")]
    assert deliverer.receive(deliverer.dead) == []


def test_a_task_failing_around_its_attempt_keeps_the_schedule_then_is_dead_lettered(merchant, deliverer,
                                                                                   monkeypatch):
    """The table throttled past botocore's retries when the endpoint is read: no
    attempt can be recorded, yet the receive is spent like one: retried on the
    schedule, then dead-lettered with its attributes (review: such a task used
    to burn its receives until the queue's own redrive dropped its attributes)."""
    from botocore.exceptions import ClientError

    def throttled(*_args, **_kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                          "GetItem")

    monkeypatch.setattr(delivery.webhooks, "get_endpoint", throttled)
    task = {"webhookId": "whk_01M81B5H80RNXZ98W5K0QCDWVQ", "merchantId": merchant,
            "eventId": "evt_01M81B5H80RNXZ98W5K0QCDWVQ", "eventType": "refund.issued", "body": "{}", "replay": False}
    deliverer.sqs.send_message(QueueUrl=deliverer.tasks, MessageBody=json.dumps(task))

    for attempt in (1, 2):
        message, = deliverer.receive(deliverer.tasks)  # back at once: the schedule's delay, not the queue's 5 min
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        assert deliverer.invoke(message) == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    message, = deliverer.receive(deliverer.tasks)
    assert deliverer.invoke(message) == {"batchItemFailures": []}

    dead, = deliverer.receive(deliverer.dead)
    assert json.loads(dead["Body"]) == task
    assert {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()} == {
        "attempts": "3", "lastError": "ClientError: An error occurred (ProvisionedThroughputExceededException) "
                                      "when calling the GetItem operation: slow down"}


# ---------------------------------------------------------------- test pings

def test_a_test_ping_reaches_the_endpoint_signed_at_once_and_answers_what_it_did(api, merchant):
    receiver = Receiver(fail=1)
    try:
        # Two endpoints of one receiver that answers its first POST 500: an endpoint is tested once in 5 s.
        endpoints = [register(api, merchant, receiver.url, events=["refund.issued"]) for _ in range(2)]
        failed, passed = (api.request("POST", f"/v1/webhooks/{endpoint['id']}/test", login=merchant)
                          for endpoint in endpoints)
        pings = receiver.wait_for(2)  # nothing drained: sent by the request itself
    finally:
        receiver.close()
    assert failed.status == passed.status == 200
    assert {k: failed.body["data"][k] for k in ("delivered", "statusCode", "error")} == {
        "delivered": False, "statusCode": 500, "error": None}
    assert {k: passed.body["data"][k] for k in ("delivered", "statusCode", "error")} == {
        "delivered": True, "statusCode": 204, "error": None}
    assert passed.body["data"]["latencyMs"] >= 0
    for ping, answer, endpoint in zip(pings, (failed, passed), endpoints, strict=True):
        event = Webhook(endpoint["secret"]).verify(ping["body"], ping["headers"])  # signed as every delivery
        assert ping["headers"]["webhook-id"] == event["id"] == answer.body["data"]["eventId"]
        assert (event["type"], event["merchantId"], event["data"]) == (
            "webhook.test", merchant, {"webhookId": endpoint["id"]})
        # Not a delivery: not listed, not kept, not retried.
        assert api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries", login=merchant).body["data"] == []
    assert api.request("GET", "/v1/events", login=merchant).body["data"] == []


def test_a_test_ping_says_why_nothing_answered_in_words_that_name_no_address(api, merchant, dynamodb, runtime):
    closed, disabled, moved = (register(api, merchant, "http://127.0.0.1:9/hooks", events=["refund.issued"])
                               for _ in range(3))
    path = f"/v1/webhooks/{closed['id']}/test"
    answer = api.request("POST", path, login=merchant)
    assert {k: answer.body["data"][k] for k in ("delivered", "statusCode", "error")} == {
        "delivered": False, "statusCode": None, "error": "connection refused"}
    # Disabled, it is still tested: the merchant checks a fix before enabling it again.
    turned_off = api.request("PATCH", f"/v1/webhooks/{disabled['id']}", login=merchant, json_body={"enabled": False})
    assert turned_off.status == 200 and turned_off.body["data"]["enabled"] is False
    assert api.request("POST", f"/v1/webhooks/{disabled['id']}/test", login=merchant
                       ).body["data"]["error"] == "connection refused"
    # Its host resolves to a private address by now: refused, and the answer says no more.
    dynamodb.update_item(TableName=runtime.physical_ids["RefundsTable"],
                         Key={"PK": {"S": f"MERCHANT#{merchant}"}, "SK": {"S": f"WEBHOOK#{moved['id']}"}},
                         UpdateExpression="SET #url = :url", ExpressionAttributeNames={"#url": "url"},
                         ExpressionAttributeValues={":url": {"S": "https://10.20.30.40/hooks"}})
    refused = api.request("POST", f"/v1/webhooks/{moved['id']}/test", login=merchant)
    assert {k: refused.body["data"][k] for k in ("delivered", "statusCode", "error")} == {
        "delivered": False, "statusCode": None, "error": "refused"}
    assert "10.20.30.40" not in json.dumps(refused.body)
    other = api.request("POST", path, login="demo")
    assert (other.status, other.codes) == (404, [15160])
