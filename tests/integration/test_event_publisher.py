"""The outbox's publisher: a failed SNS publish is reported as that record's
failure (so Lambda retries it), and the retry publishes the very same event."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import EndpointConnectionError

from refunds_core import aws
from refunds_core.settings import settings
from tests.conftest import ROOT, LambdaContext, load_handler

pytestmark = pytest.mark.server
EVENT = json.loads((ROOT / "events" / "publish_refund_events.json").read_text())


@pytest.fixture
def observer(runtime):
    """A queue of our own subscribed to the topic: what SNS delivered, without the dispatcher."""
    endpoint = {"endpoint_url": runtime.aws_endpoint, "region_name": "us-east-1",
                "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    sqs, sns = boto3.client("sqs", **endpoint), boto3.client("sns", **endpoint)
    url = sqs.create_queue(QueueName=f"observer-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(TopicArn=runtime.physical_ids["RefundEventsTopic"], Protocol="sqs", Endpoint=arn,
                                 Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    yield lambda: sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                      MessageAttributeNames=["All"]).get("Messages", [])
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def publisher(runtime, monkeypatch):
    for key, value in runtime.function_env("PublishRefundEventsFunction").items():
        monkeypatch.setenv(key, value)
    settings.cache_clear()
    aws.sns.cache_clear()
    yield load_handler("PublishRefundEventsFunction")
    aws.sns.cache_clear()
    settings.cache_clear()


def test_sns_down_fails_the_record_and_the_retry_publishes_the_same_event(publisher, observer, monkeypatch):
    client = aws.sns()

    def unavailable(**_):
        raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")

    refund_record = EVENT["Records"][0]
    order_record = {**refund_record, "eventID": "order-change", "dynamodb": {
        **refund_record["dynamodb"], "SequenceNumber": "111100000000000000000000",
        "NewImage": {"PK": {"S": "ORDER#1001"}, "SK": {"S": "ORDER"}, "type": {"S": "Order"}}}}
    with monkeypatch.context() as fault:
        fault.setattr(client, "publish", unavailable)
        answer = publisher({"Records": [order_record, refund_record]}, LambdaContext())
        with pytest.raises(BatchProcessingError):  # the whole batch failed: Lambda retries all of it
            publisher(EVENT, LambdaContext())
    # Only the refund's record failed: Lambda retries from its sequence number.
    assert answer == {"batchItemFailures": [{"itemIdentifier": refund_record["dynamodb"]["SequenceNumber"]}]}
    assert observer() == []

    # SNS is back: Lambda's retry of the same record
    assert publisher(EVENT, LambdaContext()) == {"batchItemFailures": []}
    again = publisher(EVENT, LambdaContext())  # a stream record replayed once more
    assert again == {"batchItemFailures": []}
    messages = observer()
    bodies = [json.loads(m["Body"]) for m in messages]
    assert len(bodies) == 2 and bodies[0]["id"] == bodies[1]["id"]  # the same event, the same id
    assert bodies[0]["type"] == "refund.created" and bodies[0]["data"]["id"] == "rf_01JD8Z7Q5W3X2Y1V0T9S8R7Q6P"
    assert messages[0]["MessageAttributes"]["eventType"]["StringValue"] == "refund.created"
    assert messages[0]["MessageAttributes"]["merchantId"]["StringValue"] == "demo"


def test_a_failed_record_stops_its_batch_so_nothing_after_it_is_published_twice(publisher, observer, monkeypatch):
    """Lambda retries a stream batch from its first failed record: a later record
    published meanwhile would be published again then, and overtake the failed one."""
    client = aws.sns()
    publish = client.publish
    first = EVENT["Records"][0]
    image = first["dynamodb"]["NewImage"]
    later = {**first, "eventID": "later-change", "dynamodb": {
        **first["dynamodb"], "SequenceNumber": "999900000000000000000000",
        "NewImage": {**image, "version": {"N": "2"}, "status": {"S": "CANCELLED"}, "history": {"L": [
            *image["history"]["L"], {"M": {"status": {"S": "CANCELLED"}, "action": {"S": "CANCEL"},
                                           "actor": {"S": "demo"}, "role": {"S": "merchant"},
                                           "at": {"S": "2026-11-22T10:05:00.000Z"}, "reason": {"NULL": True}}}]}},
        "OldImage": image}}
    down_once = iter([True])

    def flaky(**kwargs):
        if next(down_once, False):
            raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")
        return publish(**kwargs)

    with monkeypatch.context() as fault:
        fault.setattr(client, "publish", flaky)
        with pytest.raises(BatchProcessingError):  # the first failed, the later one was not even tried
            publisher({"Records": [first, later]}, LambdaContext())
    assert observer() == []
    assert publisher({"Records": [first, later]}, LambdaContext()) == {"batchItemFailures": []}
    bodies = [json.loads(m["Body"]) for m in observer()]
    assert [body["type"] for body in bodies] == ["refund.created", "refund.cancelled"]  # once each, in order
