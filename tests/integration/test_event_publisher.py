"""The outbox's publisher: the events kept with their changes go out in SNS
PublishBatch calls of up to 10 (and 256 KiB), in stream order; a failed publish
is reported as that record's failure, with every record after it (so Lambda
retries from it), and the retry publishes the very same events. A refund change
written without its event kept (by the version before events were kept with
their change) gets it kept by the publisher, and published in turn."""

from __future__ import annotations

import copy
import json
import math
import uuid
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import EndpointConnectionError

from refunds_core import aws
from refunds_core.dal import events as kept_events
from refunds_core.logic.publishing import MAX_REQUEST_BYTES, entry_size
from refunds_core.logic.refunds import event_of
from tests.conftest import ROOT, LambdaContext, as_function, load_handler

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
def publisher(runtime):
    with as_function(runtime, "PublishRefundEventsFunction", fresh_clients=True):
        yield load_handler("PublishRefundEventsFunction")


def test_sns_down_fails_the_record_and_the_retry_publishes_the_same_event(publisher, observer, monkeypatch):
    client = aws.sns()

    def unavailable(**_):
        raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")

    refund_record = EVENT["Records"][0]
    order_record = {**refund_record, "eventID": "order-change", "eventName": "MODIFY", "dynamodb": {
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
    assert messages[0]["MessageAttributes"]["livemode"]["StringValue"] == "true"  # a live refund's (test-mode.md)


def test_a_failed_record_stops_its_batch_so_nothing_after_it_is_published_twice(publisher, observer, monkeypatch):
    """Lambda retries a stream batch from its first failed record: a later record
    published meanwhile would be published again then, and overtake the failed one."""
    client = aws.sns()
    publish_batch = client.publish_batch
    refund = stored_refund("rf_01JD8Z7Q5W3X2Y1V0T9S8R7Q6Q")
    first = event_record(refund, 1)
    later = event_record({**refund, "version": 2, "status": "CANCELLED", "history": [
        *refund["history"], {"status": "CANCELLED", "action": "CANCEL", "actor": "demo", "role": "merchant",
                             "at": "2026-11-22T10:05:00.000Z", "reason": None}]}, 2)
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

def stored_refund(refund_id: str, *, description: str = "Wrong product", merchant_id: str = "demo") -> dict:
    """A new refund as the table holds it (REQUESTED, version 1)."""
    at = "2026-11-22T10:00:00.000Z"
    return {"type": "Refund", "id": refund_id, "number": "SO-1001-R1", "orderId": "1001", "merchantId": merchant_id,
            "customerId": "cust-1", "status": "REQUESTED", "description": description, "email": "m@example.com",
            "refundOnly": True, "kind": "full", "items": [], "tax": Decimal("4.50"), "amount": Decimal("59.50"),
            "currency": "USD",
            "requester": "demo", "createdAt": at, "updatedAt": at, "version": 1,
            "history": [{"status": "REQUESTED", "action": "CREATE", "actor": "demo", "role": "merchant", "at": at,
                         "reason": None}]}


def _image(values: dict) -> dict:
    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in values.items() if value is not None}


def event_record(refund: dict, sequence: int) -> dict:
    """The stream record of the event kept with ``refund``'s latest change (its INSERT)."""
    item = kept_events.item_of(event_of(refund))
    return {"eventID": f"event-{uuid.uuid4().hex}", "eventName": "INSERT", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": {
                "Keys": {"PK": item["PK"], "SK": item["SK"]}, "NewImage": item,
                "SequenceNumber": f"{9_000_000 + sequence:024d}", "SizeBytes": 1024,
                "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "eventSourceARN": EVENT["Records"][0]["eventSourceARN"]}


def refund_change_record(old: dict | None, new: dict, sequence: int) -> dict:
    """The stream record of a change of a refund item (``old`` None: its creation)."""
    images = {"NewImage": _image(new), **({"OldImage": _image(old)} if old else {})}
    return {**event_record(new, sequence), "eventName": "MODIFY" if old else "INSERT",
            "dynamodb": {"Keys": {"PK": {"S": f"REFUND#{new['id']}"}, "SK": {"S": "REFUND"}}, **images,
                         "SequenceNumber": f"{9_500_000 + sequence:024d}", "SizeBytes": 1024,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def refund_records(count: int, *, description: str = "Wrong product") -> list[dict]:
    """``count`` stream records, each the refund.created kept with a new refund of its own, in stream order."""
    records = []
    for i in range(count):
        record = event_record(stored_refund(f"rf_{uuid.uuid4().hex[:20].upper()}{i:06d}", description=description),
                              i)
        records.append({**record, "dynamodb": {**record["dynamodb"], "SequenceNumber": f"{5_000_000 + i:024d}"}})
    return records


def refund_id_of(record: dict) -> str:
    return json.loads(record["dynamodb"]["NewImage"]["body"]["S"])["data"]["id"]


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


# --------------------------------------------- what is and is not published

def test_only_the_insert_of_a_kept_refund_event_is_published(publisher, observer, calls):
    """A kept event is written once: its INSERT is published; a MODIFY or REMOVE of
    it (TTL), an endpoint's own event, and any other item are not."""
    record = event_record(stored_refund(f"rf_{uuid.uuid4().hex[:20].upper()}000000"), 1)
    modified = {**record, "eventName": "MODIFY"}
    removed = {**record, "eventName": "REMOVE", "dynamodb": {**record["dynamodb"], "NewImage": None}}
    image = record["dynamodb"]["NewImage"]
    disabled = {**record, "dynamodb": {**record["dynamodb"], "NewImage": {
        **image, "eventType": {"S": "webhook_endpoint.disabled"}}}}
    answer = publisher({"Records": [modified, removed, disabled, record]}, LambdaContext())
    assert answer == {"batchItemFailures": []}
    assert [[entry["Message"] for entry in entries] for entries in calls] == [[image["body"]["S"]]]  # as kept
    assert [m["Body"] for m in delivered(observer)] == [image["body"]["S"]]


def test_a_refund_change_written_without_its_event_gets_it_kept_then_published(
        runtime, publisher, calls, dynamodb, table_name):
    """A change written by the version before events were kept with their change
    (its item names no eventId): the publisher keeps its event, whose INSERT is
    published in turn, once, however often the change's record comes again."""
    merchant_id = f"legacy-{uuid.uuid4().hex[:8]}"
    refund = stored_refund(f"rf_{uuid.uuid4().hex[:20].upper()}000000", merchant_id=merchant_id)
    change = refund_change_record(None, refund, 1)
    assert publisher({"Records": [change]}, LambdaContext()) == {"batchItemFailures": []}
    assert publisher({"Records": [change]}, LambdaContext()) == {"batchItemFailures": []}  # a replayed record
    assert calls == []  # nothing published from the change itself
    kept = dynamodb.query(TableName=table_name, KeyConditionExpression="PK = :pk",
                          ExpressionAttributeValues={":pk": {"S": f"EVENTS#{merchant_id}"}})["Items"]
    assert len(kept) == 1 and json.loads(kept[0]["body"]["S"])["data"]["id"] == refund["id"]
    assert kept[0]["GSI8PK"]["S"] == f"EVENTS#{merchant_id}#TYPE#refund.created"  # listed by type, and by refund
    assert kept[0]["GSI3PK"]["S"] == f"EVENTS#{merchant_id}#REFUND#{refund['id']}"

    # Its INSERT comes through the stream in turn (here by hand: the runtime's own pump publishes it too).
    inserted = {**change, "eventName": "INSERT", "dynamodb": {**change["dynamodb"], "NewImage": kept[0]}}
    assert publisher({"Records": [inserted]}, LambdaContext()) == {"batchItemFailures": []}
    assert [[json.loads(e["Message"])["id"] for e in entries] for entries in calls] == [[kept[0]["eventId"]["S"]]]

    # A change whose event was kept with it (the item names it) is none of the publisher's business.
    written_with = refund_change_record(None, {**refund, "id": refund["id"][:-1] + "1", "eventId": "evt_x",
                                               "eventVersion": 1}, 2)
    assert publisher({"Records": [written_with]}, LambdaContext()) == {"batchItemFailures": []}
    assert dynamodb.query(TableName=table_name, KeyConditionExpression="PK = :pk",
                          ExpressionAttributeValues={":pk": {"S": f"EVENTS#{merchant_id}"}})["Count"] == 1


def test_a_refund_created_with_its_event_then_moved_by_an_earlier_version_gets_that_event_kept(
        runtime, publisher, calls, dynamodb, table_name):
    """During a deploy an old function moves a refund a new one created: its item
    still names the creation's event (eventId, eventVersion 1) at version 2. The
    move's event is kept from the stream; a move written with its event is not."""
    merchant_id = f"mixed-{uuid.uuid4().hex[:8]}"
    created = stored_refund(f"rf_{uuid.uuid4().hex[:20].upper()}000000", merchant_id=merchant_id)
    created |= {"eventId": event_of(created)["eventId"], "eventVersion": 1}
    at = "2026-11-22T10:05:00.000Z"
    moved = {**created, "status": "CANCELLED", "version": 2, "updatedAt": at, "history": [
        *created["history"], {"status": "CANCELLED", "action": "CANCEL", "actor": "demo", "role": "merchant",
                              "at": at, "reason": None}]}
    # Another refund, moved by a new function: its item names the move's event (already kept with it).
    other = {**moved, "id": moved["id"][:-1] + "1"}
    written_with = {**other, "eventId": event_of(other)["eventId"], "eventVersion": 2}
    for record in (refund_change_record({**created, "id": other["id"]}, written_with, 1),
                   refund_change_record(created, moved, 2)):
        assert publisher({"Records": [record]}, LambdaContext()) == {"batchItemFailures": []}
    kept = dynamodb.query(TableName=table_name, KeyConditionExpression="PK = :pk",
                          ExpressionAttributeValues={":pk": {"S": f"EVENTS#{merchant_id}"}})["Items"]
    assert [(item["eventType"]["S"], item["refundId"]["S"]) for item in kept] == [("refund.cancelled", moved["id"])]
    assert kept[0]["eventId"]["S"] == event_of(moved)["eventId"] and calls == []
