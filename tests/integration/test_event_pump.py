"""The local event source mappings with the real runtime (localrun/event_sources/):
the template's stream, topic subscription and queues as provisioned on the
embedded moto, refund changes reaching the publisher through the stream, the
queues' messages reaching their functions, redrive to a dead-letter queue,
the local-only function settings, and `make run` stopping cleanly.

Tests wait with runtime.events.drain(), never with a sleep; they find what a
function got in runtime.events.batches(). The end-to-end webhook (a signed
POST reaching a receiver) is tested with the webhook features.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from ulid import ULID

from localrun.event_sources.pump import EventPump
from localrun.event_sources.specs import QueueSettings
from localrun.lambda_pool import Invocation
from localrun.runtime import LOCAL_FUNCTION_DEFAULTS
from localrun.seed import LOCAL_ACCOUNTS
from tests.conftest import ROOT

pytestmark = pytest.mark.server

DRAIN_SECONDS = 60  # a cold start of each function of the chain on a busy machine


def client(runtime, service: str):
    return boto3.client(service, endpoint_url=runtime.aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def arn_of(runtime, logical_id: str) -> str:
    return runtime._resolver.get_att(logical_id, "Arn")


def records_of(runtime, function: str) -> list[dict]:
    return [record for batch in runtime.events.batches(function) for record in batch.records]


def new_event(merchant_id: str, event_type: str = "refund.issued") -> dict:
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"id": f"evt_{ULID()}", "type": event_type, "createdAt": at, "merchantId": merchant_id,
            "sequence": 1, "data": {"id": f"r-{uuid.uuid4().hex[:8]}"}}


# ------------------------------------------------------------ provisioning

def test_the_table_stream_is_on_and_get_att_stream_arn_resolves(runtime, dynamodb, table_name):
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert runtime._resolver.get_att("RefundsTable", "StreamArn") == table["LatestStreamArn"]


def test_the_topic_feeds_the_events_queue_raw(runtime):
    sns = client(runtime, "sns")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=runtime.physical_ids["RefundEventsTopic"])
    (subscription,) = subscriptions["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("sqs", arn_of(runtime, "WebhookEventsQueue"))
    assert subscription["SubscriptionArn"] == runtime.physical_ids["WebhookEventsSubscription"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"


@pytest.mark.parametrize(("queue", "dead_letters", "max_receives"), [
    ("WebhookEventsQueue", "WebhookEventsDeadLetterQueue", 5),
    ("WebhookDeliveriesQueue", "WebhookDeliveriesDeadLetterQueue", 10),
])
def test_queues_redrive_to_their_dead_letter_queue(runtime, queue, dead_letters, max_receives):
    attributes = client(runtime, "sqs").get_queue_attributes(
        QueueUrl=runtime.physical_ids[queue], AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": arn_of(runtime, dead_letters),
                                                       "maxReceiveCount": max_receives}
    assert attributes["VisibilityTimeout"] == "180"


def test_every_stream_and_queue_event_of_the_template_is_pumped(runtime):
    assert sorted(runtime.events.source_names) == ["DeliverWebhooksFunction.Deliveries",
                                                    "DispatchWebhookEventsFunction.RefundEvents",
                                                    "PublishRefundEventsFunction.RefundChanges"]


# ---------------------------------------------------------- the stream

def test_a_refund_created_through_the_api_reaches_the_publisher_and_the_dispatcher(runtime, api):
    order_id = api.paid_order()
    answer = api.request("POST", f"/v1/order/{order_id}/refund", login="demo",
                         json_body={"email": "merchant@example.com", "refundOnly": True})
    assert answer.status == 200, answer
    refund_id = answer.body["data"]["id"]
    runtime.events.drain(timeout=DRAIN_SECONDS)

    published = [r for r in records_of(runtime, "PublishRefundEventsFunction")
                 if refund_id in json.dumps(r["dynamodb"].get("NewImage", {}))]
    assert [r["eventName"] for r in published] == ["INSERT"]
    (record,) = published
    assert record["eventSource"] == "aws:dynamodb" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == runtime.attributes["RefundsTable"]["StreamArn"]
    # The event kept with the refund (the refund's own change names it: the filter keeps it out).
    assert record["dynamodb"]["NewImage"]["type"] == {"S": "Event"}
    assert record["dynamodb"]["NewImage"]["eventType"] == {"S": "refund.created"}
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {"Keys", "SequenceNumber", "SizeBytes", "ApproximateCreationDateTime"} <= record["dynamodb"].keys()
    # The filter: the order written just before never reached the publisher.
    assert not [r for r in records_of(runtime, "PublishRefundEventsFunction")
                if order_id in json.dumps(r["dynamodb"].get("NewImage", {}))
                and r["dynamodb"]["NewImage"]["type"] != {"S": "Event"}]
    # drain() waited for the whole chain: stream -> publisher -> topic -> queue -> dispatcher.
    dispatched = [json.loads(r["body"]) for r in records_of(runtime, "DispatchWebhookEventsFunction")]
    events = [event for event in dispatched if event["data"].get("id") == refund_id]
    assert [event["type"] for event in events] == ["refund.created"]
    for batch in runtime.events.batches():
        if any(refund_id in json.dumps(r) for r in batch.records):
            assert batch.invocation.ok and not (batch.invocation.payload or {}).get("batchItemFailures"), batch


def test_the_stream_is_still_read_after_moto_rolls_a_transaction_back(runtime, api, dynamodb, table_name):
    """moto undoes a failed transaction by putting back a copy of the table,
    stream included: the pump must read the copy's stream from then on."""
    key, missing = ({"PK": {"S": f"PUMP#{uuid.uuid4().hex}"}, "SK": {"S": "x"}} for _ in range(2))
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": {**key, "type": {"S": "Refund"}}}},
            {"ConditionCheck": {"TableName": table_name, "Key": missing,
                                "ConditionExpression": "attribute_exists(PK)"}},
        ])
    order_id = api.paid_order()
    answer = api.request("POST", f"/v1/order/{order_id}/refund", login="demo",
                         json_body={"email": "merchant@example.com", "refundOnly": True})
    assert answer.status == 200, answer
    runtime.events.drain(timeout=DRAIN_SECONDS)
    records = records_of(runtime, "PublishRefundEventsFunction")
    assert [r for r in records if answer.body["data"]["id"] in json.dumps(r["dynamodb"].get("NewImage", {}))]
    assert not [r for r in records if key["PK"]["S"] in json.dumps(r)]  # the rolled back write made no record


# ----------------------------------------------------------- the queues

def test_what_the_topic_publishes_reaches_the_dispatcher_in_lambdas_sqs_shape(runtime):
    event = new_event(f"pump-{uuid.uuid4().hex[:8]}")
    message = json.dumps(event)
    published = client(runtime, "sns").publish(
        TopicArn=runtime.physical_ids["RefundEventsTopic"], Message=message,
        MessageAttributes={"eventType": {"DataType": "String", "StringValue": event["type"]}})
    runtime.events.drain(timeout=DRAIN_SECONDS)

    (record,) = [r for r in records_of(runtime, "DispatchWebhookEventsFunction") if r["body"] == message]
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == arn_of(runtime, "WebhookEventsQueue")
    assert record["messageAttributes"]["eventType"] == {"stringValue": event["type"], "stringListValues": [],
                                                        "binaryListValues": [], "dataType": "String"}
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId"} <= record["attributes"].keys()
    assert record["messageId"] and record["receiptHandle"] and record["md5OfBody"]
    assert record["messageId"] != published["MessageId"]  # SNS's id is not the queue message's
    (batch,) = [b for b in runtime.events.batches("DispatchWebhookEventsFunction") if record in b.records]
    assert batch.invocation.ok and batch.invocation.payload == {"batchItemFailures": []}


def test_a_message_sent_to_the_deliveries_queue_is_consumed_and_deleted(runtime):
    sqs = client(runtime, "sqs")
    queue_url = runtime.physical_ids["WebhookDeliveriesQueue"]
    # A task for an endpoint that does not exist: the deliverer drops it (nothing to deliver to).
    body = json.dumps({"webhookId": "whk_00000000000000000000000000", "merchantId": f"pump-{uuid.uuid4().hex[:8]}",
                       "eventId": f"evt_{uuid.uuid4().hex}", "eventType": "refund.issued", "body": "{}"})
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    runtime.events.drain(timeout=DRAIN_SECONDS)

    (batch,) = [b for b in runtime.events.batches("DeliverWebhooksFunction")
                if any(r["messageId"] == sent["MessageId"] for r in b.records)]
    assert batch.invocation.ok, batch.invocation
    failures = [f["itemIdentifier"] for f in (batch.invocation.payload or {}).get("batchItemFailures", [])]
    assert sent["MessageId"] not in failures
    # Deleted, not merely received: nothing visible or in flight is left of it.
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_failed_messages_come_back_then_go_to_the_dead_letter_queue(runtime):
    """The pump's SQS rules against moto's: a queue of this test's own, and a
    function that fails one message every time and succeeds with the other."""
    sqs = client(runtime, "sqs")
    name = f"pump-test-{uuid.uuid4().hex[:8]}"
    dead_letters = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "0",  # a failed message is visible again at once (drain() sees it)
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
    good = sqs.send_message(QueueUrl=queue_url, MessageBody="good")["MessageId"]
    bad = sqs.send_message(QueueUrl=queue_url, MessageBody="bad")["MessageId"]
    seen: list[tuple[str, str]] = []

    def function(_logical_id: str, event: dict) -> Invocation:
        seen.extend((r["body"], r["attributes"]["ApproximateReceiveCount"]) for r in event["Records"])
        failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
        return Invocation("ok", {"batchItemFailures": failures}, False, 1.0, "test")

    settings = QueueSettings("TestFunction", "Test", queue_arn=dlq_arn.removesuffix("-dlq"),
                                report_batch_item_failures=True)
    pump = EventPump([settings], function, lambda service: client(runtime, service), region="us-east-1",
                        account_id=runtime.account_id).start()
    try:
        pump.drain(timeout=DRAIN_SECONDS)
    finally:
        pump.stop()
        pump.join()
    # Received twice (its ApproximateReceiveCount says so), then moved on the next receive.
    assert sorted(count for body, count in seen if body == "bad") == ["1", "2"]
    # With no visibility timeout "good" may be received again before its delete: at least once.
    assert ("good", "1") in seen
    moved = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in moved] == [(bad, "bad")]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    assert good not in [m["MessageId"] for m in moved]
    for url in (queue_url, dead_letters):
        sqs.delete_queue(QueueUrl=url)


# ------------------------------------------------------- local settings

def test_functions_get_the_local_webhook_settings_fixed_when_the_runtime_started(runtime, monkeypatch):
    """The local defaults unless the environment the runtime started in set its
    own (test_faults.py starts one with a short schedule); what this process's
    environment says later changes nothing."""
    env = runtime.function_env("DeliverWebhooksFunction")
    assert env["WEBHOOK_ALLOW_LOOPBACK"] == "true"
    started_with = runtime._environ.get("WEBHOOK_RETRY_SCHEDULE")  # a developer's own setting, if any
    assert env["WEBHOOK_RETRY_SCHEDULE"] == (started_with or LOCAL_FUNCTION_DEFAULTS["WEBHOOK_RETRY_SCHEDULE"])
    assert int(env["WEBHOOK_RETRY_SCHEDULE"].split(",")[0]) <= 10  # the first retry within 10 s
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "1,1,1")
    assert runtime.function_env("DeliverWebhooksFunction")["WEBHOOK_RETRY_SCHEDULE"] == env["WEBHOOK_RETRY_SCHEDULE"]
    # Local only: the template never sets them.
    text = (ROOT / "template.yaml").read_text()
    assert "WEBHOOK_ALLOW_LOOPBACK" not in text and "WEBHOOK_RETRY_SCHEDULE" not in text


# ------------------------------------------------------------- shutdown

def test_make_run_says_the_events_are_live_names_the_connections_and_stops_cleanly_on_ctrl_c():
    env = {**os.environ, "PORT": "0"}
    server = subprocess.Popen([sys.executable, "-m", "localrun", "serve"], cwd=ROOT, env=env,  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner: list[str] = []
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(server.stderr), daemon=True)
    reader.start()
    try:
        for line in server.stdout:
            banner.append(line)
            if "Ctrl-C stops" in line:
                break
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    reader.join(timeout=5)
    text = "".join(banner)
    assert "events: live" in text and "stream of table RefundsTable" in text, text
    assert "queue WebhookDeliveriesQueue" in text and "-> DeliverWebhooksFunction" in text, text
    assert "WEBHOOK_RETRY_SCHEDULE=" in text
    assert re.search(r"^  console: http://127\.0\.0\.1:\d+/console/ ", text, flags=re.M), text
    # Seed 003's clients need a connection id: each local merchant's is in the banner.
    assert all(f"{a.merchant_id} " in text and a.connection_id in text for a in LOCAL_ACCOUNTS if a.connection_id)
    assert errors and errors[-1].strip() == "stopped", errors[-5:]
