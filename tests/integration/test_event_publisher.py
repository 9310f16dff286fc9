"""The outbox's publisher: events go out in SNS PublishBatch calls of up to 10
(and 256 KiB), in stream order; a failed publish is reported as that record's
failure, with every record after it (so Lambda retries from it), and the retry
publishes the very same events."""

from __future__ import annotations

import copy
import json
import math
import uuid

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from refunds_core import aws
from refunds_core.logic.publishing import MAX_REQUEST_BYTES, entry_size
from refunds_core.settings import settings
from tests.conftest import ROOT, LambdaContext, load_handler

pytestmark = pytest.mark.server
EVENT = json.loads((ROOT / "events" / "publish_refund_events.json").read_text())


@pytest.fixture
def observer(runtime):
    """A queue of our own subscribed to the topic: what SNS delivered, without the dispatcher.
    Subscribed once the runtime has published what earlier tests changed: only this test's events arrive."""
    runtime.events.drain()
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
        fault.setattr(client, "publish_batch", unavailable)
        answer = publisher({"Records": [order_record, refund_record]}, LambdaContext())
        with pytest.raises(EndpointConnectionError):  # the whole batch failed: Lambda retries all of it
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
    publish_batch = client.publish_batch
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
        return publish_batch(**kwargs)

    with monkeypatch.context() as fault:
        fault.setattr(client, "publish_batch", flaky)
        with pytest.raises(EndpointConnectionError):  # the first failed, the later one was not even tried
            publisher({"Records": [first, later]}, LambdaContext())
    assert observer() == []
    assert publisher({"Records": [first, later]}, LambdaContext()) == {"batchItemFailures": []}
    bodies = [json.loads(m["Body"]) for m in observer()]
    assert [body["type"] for body in bodies] == ["refund.created", "refund.cancelled"]  # once each, in order


# ------------------------------------------------------------ in batches

def refund_records(count: int, *, description: str = "Wrong product") -> list[dict]:
    """``count`` stream records, each a new refund of its own, in stream order."""
    sample = EVENT["Records"][0]
    records = []
    for i in range(count):
        refund_id = f"rf_{uuid.uuid4().hex[:20].upper()}{i:06d}"
        image = {**sample["dynamodb"]["NewImage"], "id": {"S": refund_id}, "PK": {"S": f"REFUND#{refund_id}"},
                 "description": {"S": description}}
        records.append({**sample, "eventID": f"change-{i}", "dynamodb": {
            **sample["dynamodb"], "Keys": {"PK": {"S": f"REFUND#{refund_id}"}, "SK": {"S": "REFUND"}},
            "NewImage": image, "SequenceNumber": f"{5_000_000 + i:024d}"}})
    return records


def refund_id_of(record: dict) -> str:
    return record["dynamodb"]["NewImage"]["id"]["S"]


def failures(*records: dict) -> dict:
    return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records]}


@pytest.fixture
def calls(publisher):
    """The entries of every PublishBatch call the publisher makes (one per API call, not per HTTP attempt)."""
    made: list[list[dict]] = []
    client = aws.sns()
    hook = client.meta.events.register(
        "provide-client-params.sns.PublishBatch",
        lambda params, **_: made.append(copy.deepcopy(params["PublishBatchRequestEntries"])))
    yield made
    client.meta.events.unregister("provide-client-params.sns.PublishBatch", hook)


def delivered(observer) -> list[dict]:
    everything = []
    while batch := observer():
        everything += batch
    return everything


def test_a_batch_of_records_is_published_ten_at_a_time_in_stream_order(publisher, observer, calls):
    records = refund_records(23)
    assert publisher({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    assert len(calls) == math.ceil(23 / 10) == 3
    assert [len(entries) for entries in calls] == [10, 10, 3]
    sent = [json.loads(entry["Message"]) for entries in calls for entry in entries]
    assert [event["data"]["id"] for event in sent] == [refund_id_of(r) for r in records]  # in stream order
    for entries in calls:
        assert len({entry["Id"] for entry in entries}) == len(entries)
    messages = delivered(observer)
    assert sorted(json.loads(m["Body"])["id"] for m in messages) == sorted(event["id"] for event in sent)
    for message in messages:
        body = json.loads(message["Body"])
        assert message["MessageAttributes"]["eventType"]["StringValue"] == body["type"] == "refund.created"
        assert message["MessageAttributes"]["merchantId"]["StringValue"] == body["merchantId"] == "demo"


def test_a_failed_call_in_the_middle_fails_its_records_and_all_after_and_the_retry_sends_the_same_events(
        runtime, publisher, observer, calls):
    records = refund_records(23)
    fault = runtime.aws.faults.inject("sns", "PublishBatch", "InternalError", times=None,
                                      match=refund_id_of(records[10]))  # the second call (records 10-19)
    try:
        answer = publisher({"Records": records}, LambdaContext())
    finally:
        runtime.aws.faults.clear()
    assert fault.hits >= 1
    assert answer == failures(*records[10:])  # its records and everything after: the third call never made
    assert len(calls) == 2
    first_attempt = {json.loads(e["Message"])["data"]["id"]: json.loads(e["Message"])["id"]
                     for entries in calls for e in entries}
    published = [json.loads(m["Body"]) for m in delivered(observer)]
    assert sorted(event["data"]["id"] for event in published) == sorted(refund_id_of(r) for r in records[:10])

    # Lambda retries from the first failed record
    calls.clear()
    assert publisher({"Records": records[10:]}, LambdaContext()) == {"batchItemFailures": []}
    assert [len(entries) for entries in calls] == [10, 3]
    retried = [json.loads(m["Body"]) for m in delivered(observer)]
    assert sorted(event["data"]["id"] for event in retried) == sorted(refund_id_of(r) for r in records[10:])
    for event in retried:  # the events it sent before are the same events (same ids)
        if event["data"]["id"] in first_attempt:
            assert event["id"] == first_attempt[event["data"]["id"]]


def test_an_entry_sns_refuses_fails_from_it_on_and_its_retry_publishes_each_event_at_least_once_same_id(
        publisher, observer, calls, monkeypatch):
    """SNS answers a call in part (``Failed``): the entries it accepted after the refused
    one are published already; the retry publishes them again, with the same event id
    (consumers de-duplicate on it), and nothing after that call is sent in the meantime."""
    records = refund_records(23)
    client = aws.sns()
    publish_batch = client.publish_batch
    refused = refund_id_of(records[13])

    def refuse_one(**kwargs):
        entries = kwargs["PublishBatchRequestEntries"]
        kept = [e for e in entries if refused not in e["Message"]]
        answer = publish_batch(**{**kwargs, "PublishBatchRequestEntries": kept})
        answer.setdefault("Failed", []).extend(
            {"Id": e["Id"], "Code": "InternalError", "Message": "try again", "SenderFault": False}
            for e in entries if refused in e["Message"])
        return answer

    with monkeypatch.context() as fault:
        fault.setattr(client, "publish_batch", refuse_one)
        answer = publisher({"Records": records}, LambdaContext())
    assert answer == failures(*records[13:])
    assert len(calls) == 2  # the third call waits for the second to be whole
    first = {event["data"]["id"]: event["id"] for event in (json.loads(m["Body"]) for m in delivered(observer))}
    assert set(first) == {refund_id_of(r) for r in records[:20]} - {refused}

    assert publisher({"Records": records[13:]}, LambdaContext()) == {"batchItemFailures": []}
    again = [json.loads(m["Body"]) for m in delivered(observer)]
    assert sorted(event["data"]["id"] for event in again) == sorted(refund_id_of(r) for r in records[13:])
    assert all(event["id"] == first[event["data"]["id"]] for event in again if event["data"]["id"] in first)
    assert len({event["id"] for event in again} | set(first.values())) == 23  # each event, one id


def test_a_call_carries_at_most_256_kib(publisher, observer, calls):
    records = refund_records(5, description="x" * 60_000)  # five 60 KB events: more than 256 KiB together
    assert publisher({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    assert [len(entries) for entries in calls] == [4, 1]
    assert all(sum(entry_size(e) for e in entries) <= MAX_REQUEST_BYTES for entries in calls)
    sent = [json.loads(entry["Message"])["data"]["id"] for entries in calls for entry in entries]
    assert sent == [refund_id_of(r) for r in records]
    assert len(delivered(observer)) == 5
