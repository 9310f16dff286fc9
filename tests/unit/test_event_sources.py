"""The local event source mappings (localrun/event_sources/): the template's
DynamoDB and SQS events, FilterCriteria patterns, Lambda's event shapes and
partial-batch rules, and the pump itself against in-memory fakes of the
stream and queue APIs (the real ones: tests/integration/test_event_pump.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from localrun import template as cfn
from localrun.event_sources import pollers
from localrun.event_sources.filter_patterns import matches, matches_any, parse_pattern
from localrun.event_sources.pollers import QueuePoller
from localrun.event_sources.pump import EventPump
from localrun.event_sources.record_shapes import failed_items, sqs_filter_view, sqs_record, stream_record
from localrun.event_sources.specs import (
    QueueSettings,
    StreamSettings,
    event_source_specs,
    queue_subscriptions,
    settings_of,
)
from localrun.lambda_pool import Invocation

ROOT = Path(__file__).resolve().parents[2]
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/RefundsTable/stream/2026-01-01T00:00:00.000"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:WebhookEventsQueue"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:RefundEventsTopic"
REFUND_FILTER = '{"dynamodb": {"NewImage": {"type": {"S": ["Refund"]}}}}'


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn.load_template(ROOT / "template.yaml")


def resolver_for(template: dict) -> cfn.Resolver:
    queues = {logical_id for logical_id, r in template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
    physical_ids = {"RefundsTable": "RefundsTable", "RefundEventsTopic": TOPIC_ARN,
                    **{queue: f"http://127.0.0.1:5000/123456789012/{queue}" for queue in queues}}
    return cfn.Resolver(template, physical_ids, attributes={"RefundsTable": {"StreamArn": STREAM_ARN}})


# ------------------------------------------------------------- template

def test_the_templates_stream_and_queue_events_are_found(template):
    specs = {(spec.function, spec.name): spec for spec in event_source_specs(template)}
    assert {key: spec.type for key, spec in specs.items()} == {
        ("PublishRefundEventsFunction", "RefundChanges"): "DynamoDB",
        ("DispatchWebhookEventsFunction", "RefundEvents"): "SQS",
        ("DeliverWebhooksFunction", "Deliveries"): "SQS",
    }
    # Api events are the gateway's, not the pump's.
    assert all(spec.type in ("DynamoDB", "SQS") for spec in specs.values())


def test_event_settings_resolve_with_lambdas_defaults(template):
    resolver = resolver_for(template)
    settings = {(s.function, s.name): s for s in
                (settings_of(spec, resolver) for spec in event_source_specs(template))}
    stream = settings["PublishRefundEventsFunction", "RefundChanges"]
    assert isinstance(stream, StreamSettings)
    assert stream.stream_arn == STREAM_ARN
    assert (stream.starting_position, stream.batch_size, stream.maximum_retry_attempts) == ("TRIM_HORIZON", 100, -1)
    assert stream.report_batch_item_failures and stream.bisect_on_error
    declared = template["Resources"]["PublishRefundEventsFunction"]["Properties"]["Events"]["RefundChanges"]
    assert stream.filters == tuple(json.loads(f["Pattern"])
                                   for f in declared["Properties"]["FilterCriteria"]["Filters"])
    assert len(stream.filters) == 3
    assert stream.on_failure_arn == "arn:aws:sqs:us-east-1:123456789012:RefundEventsFailedQueue"
    dispatch = settings["DispatchWebhookEventsFunction", "RefundEvents"]
    assert isinstance(dispatch, QueueSettings)
    assert (dispatch.queue_arn, dispatch.batch_size, dispatch.report_batch_item_failures) == (QUEUE_ARN, 10, True)
    deliver = settings["DeliverWebhooksFunction", "Deliveries"]
    assert deliver.queue_arn.endswith(":WebhookDeliveriesQueue")
    # ScalingConfig.MaximumConcurrency: the parameters' defaults.
    parameters = template["Parameters"]
    assert dispatch.maximum_concurrency == parameters["WebhookDispatchMaxConcurrency"]["Default"]
    assert deliver.maximum_concurrency == parameters["WebhookDeliveryMaxConcurrency"]["Default"]


def test_the_topic_feeds_the_events_queue(template):
    assert queue_subscriptions(template, resolver_for(template)) == {TOPIC_ARN: {QUEUE_ARN}}


def test_disabled_events_and_other_types_are_left_out():
    template = cfn.load_text("""
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Events:
                Paused: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn, Enabled: false}}
                Live: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn, ScalingConfig: {MaximumConcurrency: 2}}}
                Web: {Type: Api, Properties: {Path: /x, Method: get}}
                Timer: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}
          Q: {Type: AWS::SQS::Queue}
    """)
    specs = event_source_specs(template)
    assert [(spec.name, spec.type) for spec in specs] == [("Live", "SQS")]
    settings = settings_of(specs[0], cfn.Resolver(template, {"Q": "http://h/123456789012/Q"}))
    assert settings.maximum_concurrency == 2 and not settings.report_batch_item_failures
    assert settings.queue_arn == "arn:aws:sqs:us-east-1:123456789012:Q" and settings.batch_size == 10


def test_get_att_stream_arn_comes_from_what_provisioning_learnt(template):
    assert resolver_for(template).resolve({"Fn::GetAtt": ["RefundsTable", "StreamArn"]}) == STREAM_ARN
    with pytest.raises(cfn.UnresolvableError, match="StreamArn"):
        cfn.Resolver(template, {"RefundsTable": "RefundsTable"}).resolve({"Fn::GetAtt": ["RefundsTable", "StreamArn"]})


def test_get_att_of_queues_and_topics_from_their_physical_ids(template):
    resolver = resolver_for(template)
    assert resolver.resolve({"Fn::GetAtt": ["WebhookEventsQueue", "Arn"]}) == QUEUE_ARN
    assert resolver.resolve({"Fn::GetAtt": ["WebhookEventsQueue", "QueueName"]}) == "WebhookEventsQueue"
    assert resolver.resolve({"Fn::GetAtt": ["RefundEventsTopic", "TopicName"]}) == "RefundEventsTopic"
    assert resolver.resolve(template["Resources"]["WebhookEventsQueue"]["Properties"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:WebhookEventsDeadLetterQueue",
        "maxReceiveCount": 5}


def test_subscriptions_are_created_after_their_topic_and_queue(template):
    from localrun.provision import creation_order

    order = creation_order(template)
    assert order.index("WebhookEventsSubscription") > order.index("WebhookEventsQueue")
    assert order.index("WebhookEventsSubscription") > order.index("RefundEventsTopic")
    assert order.index("WebhookEventsQueue") > order.index("WebhookEventsDeadLetterQueue")
    assert "WebhookEventsQueuePolicy" not in order  # moto enforces no queue policy


# ------------------------------------------------------ filter patterns

def refund_change(kind: str = "Refund", name: str = "MODIFY") -> dict:
    images = {"NewImage": {"type": {"S": kind}, "amount": {"N": "12.50"}}} if name != "REMOVE" else {}
    return {"eventName": name, "dynamodb": {"Keys": {"PK": {"S": "R#1"}}, **images}}


def test_the_templates_pattern_keeps_refund_changes_only():
    pattern = parse_pattern(REFUND_FILTER)
    assert matches(pattern, refund_change())
    assert not matches(pattern, refund_change("Order"))
    assert not matches(pattern, refund_change(name="REMOVE"))  # no NewImage
    assert not matches(pattern, {"eventName": "INSERT"})


@pytest.mark.parametrize(("leaf", "value", "expected"), [
    (["a", "b"], "b", True),
    (["a"], "A", False),
    ([5], 5.0, True),
    ([5], "5", False),
    ([True], True, True),
    ([True], 1, False),
    ([None], None, True),
    ([{"prefix": "refund."}], "refund.issued", True),
    ([{"prefix": "refund."}], "order.paid", False),
    ([{"suffix": ".issued"}], "refund.issued", True),
    ([{"equals-ignore-case": "ISSUED"}], "issued", True),
    ([{"anything-but": ["a", "b"]}], "c", True),
    ([{"anything-but": "a"}], "a", False),
    ([{"anything-but": {"prefix": "x"}}], "xy", False),
    ([{"numeric": [">", 0, "<=", 5]}], 5, True),
    ([{"numeric": [">", 0, "<=", 5]}], 6, False),
    ([{"numeric": ["=", 1]}], "1", False),
    (["b"], ["a", "b"], True),  # an array in the event: any element
    (["c"], ["a", "b"], False),
])
def test_leaf_matchers(leaf, value, expected):
    assert matches(parse_pattern({"k": leaf}), {"k": value}) is expected


def test_exists_and_missing_keys():
    assert matches(parse_pattern({"k": [{"exists": True}]}), {"k": "x"})
    assert not matches(parse_pattern({"k": [{"exists": True}]}), {})
    assert matches(parse_pattern({"k": [{"exists": False}]}), {})
    assert not matches(parse_pattern({"k": ["x"]}), {})
    assert matches(parse_pattern({"a": {"b": [{"exists": False}]}}), {"a": {"c": 1}})


def test_all_keys_must_match_and_any_filter_may():
    pattern = parse_pattern({"a": ["1"], "b": {"c": ["2"]}})
    assert matches(pattern, {"a": "1", "b": {"c": "2"}, "extra": 0})
    assert not matches(pattern, {"a": "1", "b": {"c": "3"}})
    assert matches_any([], {"anything": 1})
    assert matches_any([{"a": ["x"]}, {"a": ["y"]}], {"a": "y"})
    assert not matches_any([{"a": ["x"]}, {"a": ["y"]}], {"a": "z"})


@pytest.mark.parametrize("pattern", ['["a"]', '{"a": "x"}', '{"a": [{"regex": "x"}]}',
                                     '{"a": [{"prefix": "x", "suffix": "y"}]}', "not json"])
def test_bad_patterns_are_refused_when_the_pump_is_made(pattern):
    with pytest.raises(ValueError):
        parse_pattern(pattern)


def test_sqs_filters_see_a_json_body_parsed():
    record = {"body": json.dumps({"type": "refund.issued"}), "messageId": "m"}
    assert matches(parse_pattern({"body": {"type": ["refund.issued"]}}), sqs_filter_view(record))
    assert sqs_filter_view({"body": "plain"}) == {"body": "plain"}


# ---------------------------------------------------------- event shapes

def raw_stream_record(seq: int, kind: str = "Refund", name: str = "INSERT") -> dict:
    """A record as boto3's GetRecords returns it (a datetime, bytes for B)."""
    return {"eventID": f"e{seq}", "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {"ApproximateCreationDateTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                         "Keys": {"PK": {"S": f"R#{seq}"}, "SK": {"S": "R"}},
                         "NewImage": {"PK": {"S": f"R#{seq}"}, "type": {"S": kind}, "blob": {"B": b"\x00\x01"}},
                         "SequenceNumber": str(1000 + seq), "SizeBytes": 50,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def test_a_stream_record_in_lambdas_shape():
    shaped = stream_record(raw_stream_record(1), STREAM_ARN, "us-east-1")
    assert shaped == {
        "eventID": "e1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1", "eventSourceARN": STREAM_ARN,
        "dynamodb": {"ApproximateCreationDateTime": 1767225600,
                     "Keys": {"PK": {"S": "R#1"}, "SK": {"S": "R"}},
                     "NewImage": {"PK": {"S": "R#1"}, "type": {"S": "Refund"}, "blob": {"B": "AAE="}},
                     "SequenceNumber": "1001", "SizeBytes": 50, "StreamViewType": "NEW_AND_OLD_IMAGES"}}
    json.dumps(shaped)  # it crosses the worker's JSON protocol


def test_the_shape_passes_powertools_parsing():
    from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, SQSEvent

    stream = DynamoDBStreamEvent({"Records": [stream_record(raw_stream_record(1), STREAM_ARN, "us-east-1")]})
    record = next(stream.records)
    assert record.dynamodb.new_image["type"] == "Refund" and record.dynamodb.sequence_number == "1001"
    sqs = SQSEvent({"Records": [sqs_record(sqs_message(), QUEUE_ARN, "us-east-1")]})
    message = next(sqs.records)
    assert message.message_attributes["eventType"].string_value == "refund.issued"
    assert message.attributes.approximate_receive_count == "1"


def sqs_message(message_id: str = "m-1") -> dict:
    """A message as boto3's ReceiveMessage returns it."""
    return {"MessageId": message_id, "ReceiptHandle": f"rh-{message_id}", "MD5OfBody": "abc", "Body": '{"a": 1}',
            "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000",
                           "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1767225600001"},
            "MD5OfMessageAttributes": "def",
            "MessageAttributes": {"eventType": {"StringValue": "refund.issued", "DataType": "String"},
                                  "raw": {"BinaryValue": b"\xff", "DataType": "Binary"}}}


def test_an_sqs_message_in_lambdas_shape():
    assert sqs_record(sqs_message(), QUEUE_ARN, "us-east-1") == {
        "messageId": "m-1", "receiptHandle": "rh-m-1", "body": '{"a": 1}',
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000", "SenderId": "AIDAEXAMPLE",
                       "ApproximateFirstReceiveTimestamp": "1767225600001"},
        "messageAttributes": {
            "eventType": {"stringValue": "refund.issued", "stringListValues": [], "binaryListValues": [],
                          "dataType": "String"},
            "raw": {"binaryValue": "/w==", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"}},
        "md5OfBody": "abc", "md5OfMessageAttributes": "def", "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN, "awsRegion": "us-east-1"}


# ------------------------------------------------- partial batch rules

def ok(payload=None) -> Invocation:
    return Invocation("ok", payload, False, 1.0, "req")


IDS = ["a", "b", "c"]


@pytest.mark.parametrize(("invocation", "report", "expected"), [
    (ok(), True, []),
    (ok({}), True, []),
    (ok({"batchItemFailures": []}), True, []),
    (ok({"batchItemFailures": None}), True, []),
    (ok({"batchItemFailures": [{"itemIdentifier": "b"}]}), True, ["b"]),
    (ok({"batchItemFailures": [{"itemIdentifier": "b"}]}), False, []),  # not asked for: ignored
    (ok({"batchItemFailures": [{"itemIdentifier": "zz"}]}), True, None),  # not in the batch
    (ok({"batchItemFailures": [{"itemIdentifier": ""}]}), True, None),
    (ok({"batchItemFailures": [{"itemIdentifier": None}]}), True, None),
    (ok({"batchItemFailures": [{"id": "b"}]}), True, None),
    (ok({"batchItemFailures": "b"}), True, None),
    (ok("done"), True, None),
    (Invocation("error", {"type": "X"}, False, 1.0, "req"), True, None),
    (Invocation("timeout", {"type": "X"}, False, 1.0, "req"), False, None),
])
def test_which_items_a_response_fails(invocation, report, expected):
    assert failed_items(invocation, IDS, report) == expected


# ------------------------------------------------------- the pump, faked

class FakeStreams:
    """dynamodbstreams with one shard, records appended by the test."""

    def __init__(self):
        self.records: list[dict] = []
        self.lock = threading.Lock()

    def describe_stream(self, StreamArn):  # noqa: N803 - boto3's names
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, StreamArn, ShardId, ShardIteratorType, SequenceNumber=None):  # noqa: N803
        with self.lock:
            numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in self.records]
        index = {"TRIM_HORIZON": 0, "LATEST": len(numbers)}.get(ShardIteratorType)
        if index is None:
            index = sum(1 for n in numbers if n <= int(SequenceNumber))
        return {"ShardIterator": str(index)}

    def get_records(self, ShardIterator, Limit):  # noqa: N803
        start = int(ShardIterator)
        with self.lock:
            records = self.records[start:start + Limit]
        return {"Records": records, "NextShardIterator": str(start + len(records))}


class FakeSqs:
    """sqs: messages are visible, or in flight until the test expires them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.visible: list[dict] = []
        self.in_flight: dict[str, dict] = {}
        self.deleted: list[str] = []
        self.sent: list[tuple[str, str]] = []

    def add(self, *ids: str) -> None:
        with self.lock:
            self.visible += [{"MessageId": i, "ReceiptHandle": f"rh-{i}", "Body": json.dumps({"id": i}),
                              "MD5OfBody": "x", "Attributes": {"ApproximateReceiveCount": "1"}} for i in ids]

    def expire(self) -> None:
        with self.lock:
            self.visible += self.in_flight.values()
            self.in_flight.clear()

    def get_queue_url(self, QueueName):  # noqa: N803
        return {"QueueUrl": f"https://queue/{QueueName}"}

    def receive_message(self, QueueUrl, MaxNumberOfMessages, **_):  # noqa: N803
        with self.lock:
            batch, self.visible = self.visible[:MaxNumberOfMessages], self.visible[MaxNumberOfMessages:]
            self.in_flight.update({m["ReceiptHandle"]: m for m in batch})
        return {"Messages": batch} if batch else {}

    def delete_message_batch(self, QueueUrl, Entries):  # noqa: N803
        with self.lock:
            for entry in Entries:
                self.deleted.append(self.in_flight.pop(entry["ReceiptHandle"])["MessageId"])

    def send_message(self, QueueUrl, MessageBody):  # noqa: N803
        self.sent.append((QueueUrl, MessageBody))


class Function:
    """A fake function: answers from a script of callables, records what it got."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()

    def __call__(self, _logical_id: str, event: dict) -> Invocation:
        ids = [r.get("messageId") or r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        with self.lock:
            self.calls.append(ids)
            answer = self.answers.pop(0) if self.answers else (lambda _ids: ok())
        return answer(ids)


def fail_from(position: int):
    return lambda ids: ok({"batchItemFailures": [{"itemIdentifier": i} for i in ids[position:]]})


def crash(_ids):
    return Invocation("error", {"type": "Boom", "message": "boom"}, False, 1.0, "req")


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(pollers, "RETRY_BACKOFF", (0.01, 0.02))


def run_pump(sources, function, streams=None, sqs=None) -> EventPump:
    clients = {"dynamodbstreams": streams or FakeStreams(), "sqs": sqs or FakeSqs()}
    return EventPump(sources, function, clients.__getitem__, region="us-east-1",
                        account_id="123456789012").start()


def stream_settings(**overrides) -> StreamSettings:
    values = {"function": "Fn", "name": "Changes", "stream_arn": STREAM_ARN, "batch_size": 100,
              "report_batch_item_failures": True, "filters": (parse_pattern(REFUND_FILTER),)}
    return StreamSettings(**{**values, **overrides})


def queue_settings(**overrides) -> QueueSettings:
    values = {"function": "Fn", "name": "Queue", "queue_arn": QUEUE_ARN, "batch_size": 10,
              "report_batch_item_failures": True}
    return QueueSettings(**{**values, **overrides})


@pytest.fixture
def stopping():
    pumps = []
    yield pumps.append
    for pump in pumps:
        pump.stop()
        pump.join()


def test_stream_batches_keep_order_and_size(stopping):
    streams, function = FakeStreams(), Function()
    streams.records = [raw_stream_record(n) for n in range(1, 251)]
    pump = run_pump([stream_settings()], function, streams=streams)
    stopping(pump)
    pump.drain(timeout=10)
    assert [len(call) for call in function.calls] == [100, 100, 50]
    assert sum(function.calls, []) == [str(1000 + n) for n in range(1, 251)]
    assert [b.function for b in pump.batches()] == ["Fn"] * 3


def test_filtered_out_records_never_reach_the_function(stopping):
    streams, function = FakeStreams(), Function()
    streams.records = [raw_stream_record(1, "Order"), raw_stream_record(2), raw_stream_record(3, "Account"),
                       raw_stream_record(4, name="REMOVE")]
    del streams.records[3]["dynamodb"]["NewImage"]
    pump = run_pump([stream_settings()], function, streams=streams)
    stopping(pump)
    pump.drain(timeout=10)
    assert function.calls == [["1002"]]


def test_a_reported_stream_failure_retries_from_that_record_in_order(stopping, fast_retries):
    streams, function = FakeStreams(), Function(fail_from(2), fail_from(1))
    streams.records = [raw_stream_record(n) for n in range(1, 6)]
    pump = run_pump([stream_settings()], function, streams=streams)
    stopping(pump)
    pump.drain(timeout=10)
    assert function.calls == [["1001", "1002", "1003", "1004", "1005"], ["1003", "1004", "1005"],
                              ["1004", "1005"]]


def test_a_failed_invocation_retries_the_batch_bisected(stopping, fast_retries):
    streams, function = FakeStreams(), Function(crash, crash)
    streams.records = [raw_stream_record(n) for n in range(1, 5)]
    pump = run_pump([stream_settings(bisect_on_error=True)], function, streams=streams)
    stopping(pump)
    pump.drain(timeout=10)
    assert function.calls == [["1001", "1002", "1003", "1004"], ["1001", "1002"], ["1001"], ["1002", "1003", "1004"]]


def test_without_bisect_the_same_batch_is_retried(stopping, fast_retries):
    streams, function = FakeStreams(), Function(crash)
    streams.records = [raw_stream_record(n) for n in range(1, 3)]
    pump = run_pump([stream_settings()], function, streams=streams)
    stopping(pump)
    pump.drain(timeout=10)
    assert function.calls == [["1001", "1002"], ["1001", "1002"]]


def test_exhausted_retries_go_to_the_on_failure_destination(stopping, fast_retries):
    streams, sqs, function = FakeStreams(), FakeSqs(), Function(crash, crash)
    streams.records = [raw_stream_record(n) for n in range(1, 4)]
    settings = stream_settings(batch_size=2, maximum_retry_attempts=1,
                               on_failure_arn="arn:aws:sqs:us-east-1:123456789012:Failed")
    pump = run_pump([settings], function, streams=streams, sqs=sqs)
    stopping(pump)
    pump.drain(timeout=10)
    assert function.calls == [["1001", "1002"], ["1001", "1002"], ["1003"]]
    (queue_url, body), = sqs.sent
    info = json.loads(body)
    assert queue_url == "https://queue/Failed"
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["DDBStreamBatchInfo"] == {
        "shardId": "shard-1", "startSequenceNumber": "1001", "endSequenceNumber": "1002", "batchSize": 2,
        "streamArn": STREAM_ARN, "approximateArrivalOfFirstRecord": 1767225600,
        "approximateArrivalOfLastRecord": 1767225600}


def test_sqs_deletes_what_succeeded(stopping):
    sqs, function = FakeSqs(), Function(lambda ids: ok({"batchItemFailures": [{"itemIdentifier": "m2"}]}))
    sqs.add("m1", "m2", "m3")
    pump = run_pump([queue_settings()], function, sqs=sqs)
    stopping(pump)
    pump.drain(timeout=10)
    assert function.calls == [["m1", "m2", "m3"]]
    assert sorted(sqs.deleted) == ["m1", "m3"] and list(sqs.in_flight) == ["rh-m2"]
    sqs.expire()  # its visibility timeout ends: it comes back, alone
    pump.drain(timeout=10)
    assert function.calls[-1] == ["m2"] and sorted(sqs.deleted) == ["m1", "m2", "m3"]


@pytest.mark.parametrize("answer", [crash, lambda ids: ok({"batchItemFailures": [{"itemIdentifier": "nope"}]})])
def test_a_failed_sqs_batch_deletes_nothing(stopping, answer):
    sqs, function = FakeSqs(), Function(answer)
    sqs.add("m1", "m2")
    pump = run_pump([queue_settings()], function, sqs=sqs)
    stopping(pump)
    pump.drain(timeout=10)
    assert sqs.deleted == [] and sorted(sqs.in_flight) == ["rh-m1", "rh-m2"]


def test_sqs_batch_size_and_filters(stopping):
    sqs, function = FakeSqs(), Function()
    sqs.add(*[f"m{n}" for n in range(7)])
    settings = queue_settings(batch_size=3, filters=(parse_pattern({"body": {"id": ["m1", "m2", "m5"]}}),))
    pump = run_pump([settings], function, sqs=sqs)
    stopping(pump)
    pump.drain(timeout=10)
    assert sorted(sum(function.calls, [])) == ["m1", "m2", "m5"]
    assert all(len(call) <= 3 for call in function.calls)
    assert sorted(sqs.deleted) == [f"m{n}" for n in range(7)]  # Lambda deletes what no filter keeps


def test_drain_says_what_is_stuck(stopping, fast_retries):
    streams, called = FakeStreams(), threading.Event()

    def always_failing(ids):
        called.set()
        return crash(ids)

    streams.records = [raw_stream_record(1)]
    pump = run_pump([stream_settings()], Function(*[always_failing] * 10000), streams=streams)
    stopping(pump)
    assert called.wait(10)
    with pytest.raises(TimeoutError, match=r"Fn.Changes: 1 record\(s\) waiting, retry"):
        pump.drain(timeout=0.5)


def test_pause_holds_the_pollers_until_resume(stopping):
    sqs, function = FakeSqs(), Function()
    pump = run_pump([queue_settings()], function, sqs=sqs)
    stopping(pump)
    pump.drain(timeout=10)
    pump.pause()
    sqs.add("m1")
    with pytest.raises(RuntimeError, match="paused"):
        pump.drain(timeout=1)
    assert sqs.visible and not function.calls  # nothing polled while paused
    pump.resume()
    pump.drain(timeout=10)
    assert function.calls == [["m1"]]


def test_stop_and_join_end_every_thread():
    sqs, streams = FakeSqs(), FakeStreams()
    sqs.add("m1")
    before = set(threading.enumerate())
    pump = run_pump([queue_settings(), stream_settings()], Function(), streams=streams, sqs=sqs)
    pump.drain(timeout=10)
    pump.stop()
    pump.join()
    # Only the pump's own threads count: the session's servers start and end theirs meanwhile.
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith(("event-source-", "batch-"))]


def test_aws_calls_wake_only_the_sources_they_concern(stopping):
    other_queue = queue_settings(name="Other", queue_arn="arn:aws:sqs:us-east-1:123456789012:Other")
    pump = EventPump([queue_settings(), other_queue, stream_settings()], Function(),
                        {"dynamodbstreams": FakeStreams(), "sqs": FakeSqs()}.__getitem__, region="us-east-1",
                        account_id="123456789012", subscriptions={TOPIC_ARN: {QUEUE_ARN}}).start()
    stopping(pump)
    pump.drain(timeout=10)
    queue, other, stream = pump._pollers
    pump.pause()  # nobody polls: the flags stay as the notifications leave them

    def woken(target: str, body: dict | str | None = None) -> set[str]:
        for poller in (queue, other, stream):
            poller.woken = False
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode() if body else b""
        pump.notify_aws_call(target, data)
        return {poller.settings.name for poller in (queue, other, stream) if poller.woken}

    assert woken("DynamoDB_20120810.GetItem", {"TableName": "RefundsTable"}) == set()
    assert woken("AmazonSQS.ReceiveMessage", {"QueueUrl": "https://queue/WebhookEventsQueue"}) == set()
    assert woken("DynamoDB_20120810.PutItem", {"TableName": "RefundsTable"}) == {"Changes"}
    assert woken("DynamoDB_20120810.PutItem", {"TableName": "SomethingElse"}) == set()
    assert woken("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        {"Update": {"TableName": "RefundsTable"}}, {"ConditionCheck": {"TableName": "X"}}]}) == {"Changes"}
    assert woken("DynamoDB_20120810.BatchWriteItem", {"RequestItems": {"RefundsTable": []}}) == {"Changes"}
    assert woken("DynamoDB_20120810.ExecuteStatement", {"Statement": "UPDATE ..."}) == {"Changes"}
    assert woken("AmazonSQS.SendMessage", {"QueueUrl": "http://127.0.0.1:1/123456789012/Other"}) == {"Other"}
    assert woken("AmazonSQS.ChangeMessageVisibility", {"QueueUrl": "https://q/WebhookEventsQueue"}) == {"Queue"}
    assert woken("", f"Action=Publish&TopicArn={TOPIC_ARN}&Message=x") == {"Queue"}  # the topic feeds it alone
    assert woken("", "Action=Publish&TopicArn=arn:aws:sns:us-east-1:123456789012:Unknown") == {"Queue", "Other"}
    assert woken("", "Action=CreateTopic&Name=x") == set()
    pump.resume()


def test_a_slow_batch_does_not_hold_up_the_queue(stopping, monkeypatch):
    """Quick batches follow each other on one worker; once one is slow (a hung
    webhook endpoint), the next starts beside it."""
    monkeypatch.setattr(pollers, "SCALE_UP_AFTER", 0.05)
    release, second_started = threading.Event(), threading.Event()

    def function(_logical_id: str, event: dict) -> Invocation:
        if event["Records"][0]["messageId"] == "slow":
            assert release.wait(10)
        else:
            second_started.set()
        return ok()

    sqs = FakeSqs()
    sqs.add("slow")
    pump = run_pump([queue_settings(batch_size=1)], function, sqs=sqs)
    stopping(pump)
    sqs.add("quick")
    pump.wake()
    try:
        assert second_started.wait(10)  # while "slow" still runs
    finally:
        release.set()
    pump.drain(timeout=10)
    assert sorted(sqs.deleted) == ["quick", "slow"]


def test_when_a_woken_poller_looks():
    poller = QueuePoller(None, queue_settings(maximum_concurrency=2), FakeSqs(), "https://queue/Q")
    poller.last_poll, poller.next_poll = 100.0, 101.0
    assert poller.due(100.0) == 101.0  # not woken: at the idle interval
    poller.woken = True
    assert poller.due(100.0) == 100.0 + pollers.MIN_INTERVAL  # a lone change goes at once
    poller.busy_until = 100.5  # it found work lately: a burst is gathered into fewer batches
    assert poller.due(100.0) == 100.0 + pollers.BUSY_INTERVAL
    poller.forced = True  # drain() asks
    assert poller.due(100.2) == 100.2
    poller.running, poller.batch_starts = 1, [100.1]  # a batch runs: the next one only once it is slow
    assert poller.due(100.2) == 100.1 + pollers.SCALE_UP_AFTER
    poller.running, poller.batch_starts = 2, [100.1, 100.7]  # MaximumConcurrency: until one ends
    assert poller.due(100.2) == float("inf")
