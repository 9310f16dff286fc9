"""Faults that must lose nothing. AWS errors are injected into the embedded AWS
(runtime.aws.faults, localrun/faults.py), so the Lambda workers' own boto3
gets them over the wire and retries them as it would in AWS; the webhook
endpoint is a real socket that refuses, then answers. After each fault the
table's invariants are checked (scripts/invariants.py: one open request per
order at most, nothing refunded beyond what was paid, one ``refund.issued``
event per ISSUED refund).

The module runs its own runtime: webhook retries after 1 s and 1 s
(WEBHOOK_RETRY_SCHEDULE), so an endpoint's whole retry schedule takes
seconds, and no fault can reach another module's tests.

What the functions promise (refunds_core/aws.py, api.py, dal/transactions.py):
boto3 makes three attempts of a throttled or 5xx call; when all fail the
answer is 500, error 100, with Retry-After, and nothing was written. A
TransactionConflict is Contention: create and every decision read again and
retry, five attempts in all, then the same retryable 500.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from functools import partial

import pytest
from standardwebhooks.webhooks import Webhook

from localrun.provision import local_client
from scripts.invariants import check
from tests.conftest import ROOT, Client
from tests.integration.test_webhook_delivery import Receiver

pytestmark = pytest.mark.server

RETRY_SCHEDULE = "1,1"  # three attempts: the first, then after 1 s and 1 s


@pytest.fixture(scope="module")
def faulty():
    from localrun.runtime import LocalRuntime

    with pytest.MonkeyPatch.context() as env:
        env.setenv("WEBHOOK_RETRY_SCHEDULE", RETRY_SCHEDULE)  # the runtime's functions keep what it started with
        with LocalRuntime(ROOT, port=0, throttling=False) as local:
            env.delenv("WEBHOOK_RETRY_SCHEDULE")
            yield local


@pytest.fixture(autouse=True)
def faults(faulty):
    yield faulty.aws.faults
    faulty.aws.faults.clear()  # a failed test leaves no fault behind


@pytest.fixture(scope="module")
def api(faulty) -> Client:
    return Client(faulty.url)


@pytest.fixture(scope="module")
def aws(faulty):
    """A client of the runtime's embedded AWS, per service: aws("dynamodb")."""
    return partial(local_client, endpoints={"default": faulty.aws_endpoint})


@pytest.fixture(scope="module")
def table(faulty) -> str:
    return faulty.physical_ids["RefundsTable"]


@pytest.fixture(scope="module")
def orders_seen() -> set[str]:
    """Every order a test of this module made: the invariants are checked over all of them."""
    return set()


@pytest.fixture
def paid_order(api, orders_seen):
    def make(**overrides) -> str:
        order_id = api.paid_order(**overrides)
        orders_seen.add(order_id)
        return order_id
    return make


@pytest.fixture
def invariants_hold(faulty, aws, table, orders_seen):
    """Call at the end of a test: the event path drained, every invariant holds over the module's orders."""
    def assert_hold() -> None:
        faulty.events.drain()
        report = check(aws("dynamodb"), table, orders_seen)
        assert report.violations == []
        assert report.orders == len(orders_seen)
    return assert_hold


# ------------------------------------------------------------ helpers

def create(api, order_id: str, **body):
    return api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com", **body},
                       login="demo")


def decide(api, refund_id: str, action: str, **fields):
    return api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": action, **fields}, login="support")


def approved_refund(api, order_id: str) -> str:
    answer = create(api, order_id)
    assert answer.status == 200, answer
    refund_id = answer.body["data"]["id"]
    assert decide(api, refund_id, "APPROVE").status == 200
    return refund_id


def stored(aws, table: str, pk: str, sk: str) -> dict | None:
    return aws("dynamodb").get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                                    ConsistentRead=True).get("Item")


def refunds_of(aws, table: str, order_id: str) -> list[dict]:
    return aws("dynamodb").query(TableName=table, IndexName="ByOrder", KeyConditionExpression="GSI3PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}})["Items"]


def assert_retryable_500(answer) -> None:
    """The clean answer to a failure a retry may not meet: the errors body, 100, Retry-After."""
    assert answer.status == 500, answer
    assert answer.codes == [100]
    assert answer.headers.get("retry-after") == "1"
    assert answer.headers.get("x-correlation-id")


def wait_until(condition, what: str, timeout: float = 30.0):
    """Polls an observable state until it holds (a deadline, not a guessed sleep)."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.1)
    return result


THROTTLED = "ProvisionedThroughputExceededException"


# ---------------------------------------------------- DynamoDB throttling

def test_a_create_throttled_fewer_times_than_boto3_retries_succeeds(api, faults, paid_order, aws, table,
                                                                    invariants_hold):
    order_id = paid_order()
    fault = faults.inject("dynamodb", "TransactWriteItems", THROTTLED, times=2, match=f"ORDER#{order_id}")
    answer = create(api, order_id)
    assert answer.status == 200, answer
    assert fault.hits == 2  # the function's boto3 met both throttles and retried through them
    assert [item["id"]["S"] for item in refunds_of(aws, table, order_id)] == [answer.body["data"]["id"]]
    invariants_hold()


def test_a_create_throttled_beyond_boto3s_retries_is_a_clean_500_that_wrote_nothing(api, faults, paid_order, aws,
                                                                                    table, invariants_hold):
    order_id = paid_order()
    before = stored(aws, table, f"ORDER#{order_id}", "ORDER")
    fault = faults.inject("dynamodb", "TransactWriteItems", THROTTLED, times=3, match=f"ORDER#{order_id}")
    assert_retryable_500(create(api, order_id))
    assert fault.hits == 3
    # Neither the lock nor the refund: the order is exactly as it was, and no refund names it.
    assert stored(aws, table, f"ORDER#{order_id}", "ORDER") == before
    assert refunds_of(aws, table, order_id) == []
    invariants_hold()

    answer = create(api, order_id)  # the client's retry, DynamoDB is back
    assert answer.status == 200, answer
    order = stored(aws, table, f"ORDER#{order_id}", "ORDER")
    assert order["openRefundId"]["S"] == answer.body["data"]["id"]
    assert len(refunds_of(aws, table, order_id)) == 1
    invariants_hold()


# -------------------------------------------- DynamoDB 500 on a decision

@pytest.mark.parametrize(("action", "operation", "on"), [
    ("APPROVE", "GetItem", "refund"), ("APPROVE", "TransactWriteItems", "refund"),
    ("ISSUE", "GetItem", "order"), ("ISSUE", "TransactWriteItems", "refund"),
])
def test_a_decision_meeting_dynamodb_500s_is_a_clean_500_that_changed_nothing(
        api, faults, paid_order, aws, table, invariants_hold, action, operation, on):
    order_id = paid_order()
    answer = create(api, order_id)
    refund_id = answer.body["data"]["id"]
    if action == "ISSUE":
        assert decide(api, refund_id, "APPROVE").status == 200
    keys = {"refund": (f"REFUND#{refund_id}", "REFUND"), "order": (f"ORDER#{order_id}", "ORDER")}
    before = {name: stored(aws, table, *key) for name, key in keys.items()}
    fault = faults.inject("dynamodb", operation, "InternalServerError", times=None, match=keys[on][0])

    assert_retryable_500(decide(api, refund_id, action))
    assert fault.hits == 3  # every attempt of the one call boto3 made
    faults.clear()  # (before our own reads, which the fault would match too)
    assert {name: stored(aws, table, *key) for name, key in keys.items()} == before

    answer = decide(api, refund_id, action)  # the client's retry
    assert answer.status == 200, answer
    assert answer.body["data"]["status"] == {"APPROVE": "PROCESSING", "ISSUE": "ISSUED"}[action]
    assert [entry["action"] for entry in answer.body["data"]["history"]].count(action) == 1
    invariants_hold()


def test_a_list_meeting_dynamodb_500s_on_its_query_is_a_clean_500(api, faults, paid_order):
    order_id = paid_order()
    assert create(api, order_id).status == 200
    fault = faults.inject("dynamodb", "Query", "InternalServerError", times=None, match=f"ORDER#{order_id}")
    assert_retryable_500(api.request("GET", f"/v1/refunds?orderId={order_id}", login="demo"))
    assert fault.hits == 3
    faults.clear()
    answer = api.request("GET", f"/v1/refunds?orderId={order_id}", login="demo")
    assert answer.status == 200 and len(answer.body["data"]) == 1


# ------------------------------------------------------ TransactionConflict

def conflict(faults, match: str, times: int | None):
    # The first item (the order's lock on create, the refund on ISSUE) is held by another transaction.
    return faults.inject("dynamodb", "TransactWriteItems", "TransactionCanceledException", times=times,
                         match=match, reasons=["TransactionConflict"])


def test_a_create_meeting_transaction_conflicts_retries_and_opens_one_request(api, faults, paid_order, aws, table,
                                                                               invariants_hold):
    order_id = paid_order()
    fault = conflict(faults, f"ORDER#{order_id}", times=3)
    answer = create(api, order_id)
    assert answer.status == 200, answer
    assert fault.hits == 3
    assert answer.body["data"]["number"].endswith("-R1")  # the attempts that lost wrote nothing, not even a count
    assert len(refunds_of(aws, table, order_id)) == 1
    invariants_hold()


def test_a_create_conflicting_on_every_attempt_is_a_clean_500_that_wrote_nothing(api, faults, paid_order, aws,
                                                                                  table, invariants_hold):
    order_id = paid_order()
    before = stored(aws, table, f"ORDER#{order_id}", "ORDER")
    fault = conflict(faults, f"ORDER#{order_id}", times=None)
    assert_retryable_500(create(api, order_id))
    assert fault.hits == 5  # the code's five attempts (botocore does not retry a cancellation)
    assert stored(aws, table, f"ORDER#{order_id}", "ORDER") == before
    assert refunds_of(aws, table, order_id) == []
    faults.clear()
    assert create(api, order_id).status == 200
    invariants_hold()


def test_an_issue_meeting_transaction_conflicts_retries_and_counts_the_refund_once(api, faults, paid_order, aws,
                                                                                   table, invariants_hold):
    order_id = paid_order()
    refund_id = approved_refund(api, order_id)
    fault = conflict(faults, f"REFUND#{refund_id}", times=2)
    answer = decide(api, refund_id, "ISSUE")
    assert answer.status == 200, answer
    assert fault.hits == 2 and answer.body["data"]["status"] == "ISSUED"
    order = api.request("GET", f"/v1/orders/{order_id}", login="demo").body["data"]
    assert (order["refundedAmount"], order["status"]) == ("59.50", "refunded")
    invariants_hold()


def test_an_issue_conflicting_on_every_attempt_is_a_clean_500_and_the_retry_issues_once(
        api, faults, paid_order, aws, table, invariants_hold):
    order_id = paid_order()
    refund_id = approved_refund(api, order_id)
    keys = [(f"REFUND#{refund_id}", "REFUND"), (f"ORDER#{order_id}", "ORDER")]
    before = [stored(aws, table, *key) for key in keys]
    fault = conflict(faults, f"REFUND#{refund_id}", times=None)
    assert_retryable_500(decide(api, refund_id, "ISSUE"))
    assert fault.hits == 5
    assert [stored(aws, table, *key) for key in keys] == before  # still PROCESSING, the order's lock still held
    faults.clear()
    answer = decide(api, refund_id, "ISSUE")
    assert answer.status == 200 and answer.body["data"]["status"] == "ISSUED"
    invariants_hold()


# ------------------------------------------------------------ SNS down

@pytest.fixture
def topic_observer(faulty, aws):
    """A queue of our own subscribed to the events topic: every copy SNS delivered."""
    sqs, sns = aws("sqs"), aws("sns")
    url = sqs.create_queue(QueueName=f"observer-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(TopicArn=faulty.physical_ids["RefundEventsTopic"], Protocol="sqs", Endpoint=arn,
                                 Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    received: list[dict] = []

    def receive() -> list[dict]:
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            received.extend(json.loads(message["Body"]) for message in messages)
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return received

    yield receive
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


@pytest.mark.parametrize("code", ["ServiceUnavailable", "InternalError", "Throttling"])
def test_events_published_while_sns_is_down_arrive_once_it_is_back_each_exactly_once(
        api, faults, faulty, paid_order, topic_observer, invariants_hold, code):
    """End to end through the stream and the publisher's worker (test_event_publisher.py has the
    handler's side: the failed record is reported, and its retry publishes the same event)."""
    order_id = paid_order()
    fault = faults.inject("sns", "PublishBatch", code, times=None)  # the publisher's only SNS call
    refund_id = approved_refund(api, order_id)  # no handler calls SNS: the API answers as usual
    assert decide(api, refund_id, "ISSUE").status == 200
    # The publisher tried (and its boto3 retried) while SNS was down; nothing got through.
    wait_until(lambda: fault.hits >= 3, "the publisher met SNS down")
    assert [event for event in topic_observer() if event["data"]["id"] == refund_id] == []

    faults.clear()  # SNS is back: the stream record is retried until it is published
    faulty.events.drain()
    events = [event for event in topic_observer() if event["data"]["id"] == refund_id]
    assert sorted(event["type"] for event in events) == ["refund.approved", "refund.created", "refund.issued"]
    assert len({event["id"] for event in events}) == 3  # each once: no copy of any
    invariants_hold()


# ---------------------------------------------------- the webhook endpoint down

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queue_depth(aws, url: str) -> int:
    attributes = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_an_endpoint_down_is_retried_on_schedule_then_dead_lettered_and_its_replay_delivers(
        api, faulty, aws, paid_order, invariants_hold):
    port = free_port()  # nothing listens there: every attempt is refused
    answer = api.request("POST", "/v1/webhooks", login="demo", json_body={
        "url": f"http://127.0.0.1:{port}/hooks", "events": ["refund.issued"]})
    assert answer.status == 201, answer
    endpoint = answer.body["data"]
    deliveries = f"/v1/webhooks/{endpoint['id']}/deliveries"
    try:
        refund_id = approved_refund(api, paid_order())
        assert decide(api, refund_id, "ISSUE").status == 200

        def attempts() -> list[dict]:
            return api.request("GET", deliveries, login="demo").body["data"]

        # The first attempt, then one per delay of the schedule; the last is recorded failed.
        recorded = wait_until(lambda: (found := attempts()) and found[0]["outcome"] == "failed" and found,
                              "the delivery recorded failed")
        assert [(a["attempt"], a["statusCode"], a["outcome"], a["error"]) for a in recorded] == [
            (3, None, "failed", "ConnectionRefusedError"), (2, None, "retrying", "ConnectionRefusedError"),
            (1, None, "retrying", "ConnectionRefusedError")]
        event_id = recorded[0]["eventId"]
        assert {a["eventId"] for a in recorded} == {event_id}
        faulty.events.drain()
        # Its retries spent, the task left the queue for the dead-letter queue, as it was queued.
        assert queue_depth(aws, faulty.physical_ids["WebhookDeliveriesQueue"]) == 0
        dead_letters = faulty.physical_ids["WebhookDeliveriesDeadLetterQueue"]
        dead, = aws("sqs").receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10,
                                           MessageAttributeNames=["All"])["Messages"]
        aws("sqs").delete_message(QueueUrl=dead_letters, ReceiptHandle=dead["ReceiptHandle"])
        task = json.loads(dead["Body"])
        assert (task["webhookId"], task["eventId"], task["eventType"], task["replay"]) == (
            endpoint["id"], event_id, "refund.issued", False)
        assert json.loads(task["body"])["id"] == event_id
        assert {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()} == {
            "attempts": "3", "lastError": "ConnectionRefusedError"}

        receiver = Receiver(port=port)  # the endpoint is back
        try:
            replay = api.request("POST", f"/v1/webhooks/{endpoint['id']}/replay", login="demo",
                                 json_body={"eventId": event_id})
            assert replay.status == 202 and replay.body["data"]["queued"] == 1
            faulty.events.drain()
            delivery, = receiver.wait_for(1)
            faulty.events.drain()
            assert len(receiver.deliveries) == 1
        finally:
            receiver.close()
        latest = api.request("GET", deliveries, login="demo").body["data"][0]
    finally:
        api.request("DELETE", f"/v1/webhooks/{endpoint['id']}", login="demo")
    event = Webhook(endpoint["secret"]).verify(delivery["body"], delivery["headers"])
    assert event["id"] == event_id == delivery["headers"]["webhook-id"]  # the same event, the same id
    assert (event["type"], event["data"]["id"], event["data"]["status"]) == ("refund.issued", refund_id, "ISSUED")
    assert (latest["statusCode"], latest["outcome"], latest["replay"], latest["eventId"]) == (
        204, "delivered", True, event_id)
    invariants_hold()
