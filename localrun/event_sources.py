"""Lambda's event source mappings, run locally: the template's DynamoDB stream
and SQS events are polled from the embedded AWS (or AWS_ENDPOINT_URL) and
their records handed to the functions in Lambda's event shapes.

- DynamoDB (a table's stream): the shard is read in order; records that no
  FilterCriteria pattern matches are dropped; the others go to the function
  BatchSize at a time, one batch at a time. A failed invocation retries the
  batch (BisectBatchOnFunctionError halves it); with ReportBatchItemFailures
  the batch restarts at the first failed record. Retries back off (0.25 s
  doubling, at most 4 s) and keep the order; after MaximumRetryAttempts (-1:
  never) the batch's description goes to the OnFailure destination.
- SQS: ReceiveMessage (BatchSize, every attribute), invoke, then delete what
  succeeded: every message of a successful batch except those listed in
  batchItemFailures, none after a failed invocation. What is not deleted
  comes back after its visibility timeout (the function may change it);
  the queue's RedrivePolicy moves it to its dead-letter queue. Up to
  ScalingConfig.MaximumConcurrency batches (default 5) run at once, a new
  one beside a running one only once that one is slow (SCALE_UP_AFTER).

Polling: every call to the embedded moto goes through one lock, so a long
poll (WaitTimeSeconds) would stall every other call: receives and reads are
short, and a poller sleeps between them. It wakes as soon as a call that may
have given it work completes (a DynamoDB write for a stream; an SQS send or
SNS publish to a topic feeding the queue: the embedded AWS reports its
calls, see EmbeddedAws(on_call=)), at most every MIN_INTERVAL seconds;
unwoken, it looks now and then (the *_INTERVAL constants below): a
visibility timeout ends without any call. Another endpoint reports nothing:
there every source looks again after each invocation, and more often.
MaximumBatchingWindowInSeconds is not waited for: a batch is what is there
when the poller looks.

drain() waits, without sleeping for a guessed time, until a round of polls
that began after the last activity (an invocation ending, a write reported)
found nothing to do; pause() and resume() hold the pollers.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from localrun.lambda_pool import Invocation, log_line
from localrun.template import Resolver, UnresolvableError

MIN_INTERVAL = 0.1          # a woken poller polls at most this often
# While a source keeps finding work (a burst of changes), a woken poller
# waits longer, so that what comes in meanwhile goes in the same batch: fewer
# invocations for the same records (Lambda's batching window does this). A
# lone change still goes at once.
BUSY_INTERVAL = 0.5
BUSY_FOR = 1.0               # a source is busy this long after a poll that found work
# Unwoken polls. A stream record only appears with a write, and the embedded
# AWS reports writes: its stream is looked at unwoken only now and then.
# Another endpoint reports nothing.
STREAM_IDLE_INTERVAL = 5.0
ENDPOINT_STREAM_IDLE_INTERVAL = 0.25
# A message becomes visible again when its visibility timeout ends, which no
# call reports: within QUEUE_ACTIVE_WINDOW of the queue's last message (retries,
# failed batches) it is looked at every QUEUE_IDLE_INTERVAL, then less often.
QUEUE_IDLE_INTERVAL = 1.0
QUEUE_RESTING_INTERVAL = 5.0
QUEUE_ACTIVE_WINDOW = 600.0
RETRY_BACKOFF = (0.25, 4.0)  # first retry of a stream batch, longest wait
DEFAULT_QUEUE_CONCURRENCY = 5  # Lambda's first pollers of a standard queue
# A queue's next batch starts beside a running one only once that one has run
# this long: quick batches follow each other on one warm worker (a cold start
# costs a core for a second here), a slow one (a hung webhook endpoint) does
# not hold the queue up.
SCALE_UP_AFTER = 0.5
# The embedded moto's stream is read on from each NextShardIterator, asked
# anew this often (iterators expire). Another endpoint's is read from a fresh
# iterator each time: an unpatched moto undoes a failed transaction by putting
# a copy of the table back, so an older iterator reads the shard that still
# holds the undone writes.
ITERATOR_REFRESH = 60.0
STOP_GRACE_SECONDS = 1.0     # how long stop() lets running batches finish
HISTORY_LENGTH = 256         # the last batches kept in EventPump.history

_STREAM_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
                  "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}
_QUEUE_WRITES = {"SendMessage", "SendMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"}


def _json_document(body: bytes) -> dict:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _tables_written(action: str, body: bytes) -> set[str] | None:
    """The tables a DynamoDB write names (None: it does not say, as PartiQL)."""
    document = _json_document(body)
    if not document:
        return None
    if action == "TransactWriteItems":
        return {operation.get("TableName") for item in document.get("TransactItems", [])
                for operation in item.values() if isinstance(operation, dict)}
    if action == "BatchWriteItem":
        return set(document.get("RequestItems", {}))
    return {document["TableName"]} if "TableName" in document else None

Invoke = Callable[[str, dict], Invocation]


# ------------------------------------------------------------- template

@dataclass(frozen=True)
class EventSourceSpec:
    function: str      # logical id of the function
    name: str          # the event's name under the function's Events
    type: str          # "DynamoDB" or "SQS"
    properties: dict   # as the template writes them (intrinsics unresolved)


POLLED_EVENT_TYPES = ("DynamoDB", "SQS")


def event_source_specs(template: dict) -> list[EventSourceSpec]:
    """Every DynamoDB and SQS event of the template's functions (Enabled:
    false left out), in template order."""
    specs = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for name, event in (resource.get("Properties", {}).get("Events") or {}).items():
            properties = event.get("Properties", {}) or {}
            if event.get("Type") in POLLED_EVENT_TYPES and properties.get("Enabled", True) not in (False, "false"):
                specs.append(EventSourceSpec(logical_id, name, event["Type"], properties))
    return specs


@dataclass(frozen=True)
class StreamSettings:
    function: str
    name: str
    stream_arn: str
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = 100
    filters: tuple[dict, ...] = ()
    report_batch_item_failures: bool = False
    maximum_retry_attempts: int = -1
    bisect_on_error: bool = False
    on_failure_arn: str | None = None


@dataclass(frozen=True)
class QueueSettings:
    function: str
    name: str
    queue_arn: str
    batch_size: int = 10
    filters: tuple[dict, ...] = ()
    report_batch_item_failures: bool = False
    maximum_concurrency: int = DEFAULT_QUEUE_CONCURRENCY


def settings_of(spec: EventSourceSpec, resolver: Resolver) -> StreamSettings | QueueSettings:
    """The event's properties resolved, with Lambda's defaults."""
    props = resolver.resolve(spec.properties)
    filters = tuple(parse_pattern(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", []))
    report = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
    if spec.type == "DynamoDB":
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        return StreamSettings(
            spec.function, spec.name, stream_arn=props["Stream"],
            starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
            batch_size=int(props.get("BatchSize", 100)), filters=filters, report_batch_item_failures=report,
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
            bisect_on_error=props.get("BisectBatchOnFunctionError") in (True, "true"),
            on_failure_arn=destination)
    return QueueSettings(
        spec.function, spec.name, queue_arn=props["Queue"], batch_size=int(props.get("BatchSize", 10)),
        filters=filters, report_batch_item_failures=report,
        maximum_concurrency=int((props.get("ScalingConfig") or {}).get("MaximumConcurrency",
                                                                        DEFAULT_QUEUE_CONCURRENCY)))


# ------------------------------------------------------ filter patterns
# Lambda's FilterCriteria use EventBridge's pattern language: a pattern is an
# object whose leaves are lists of what the event's value may be; all keys
# must match, any value of a list. Supported: exact values (strings,
# numbers, booleans, null), prefix, suffix, equals-ignore-case,
# anything-but, numeric, exists.

_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists"}
_MISSING = object()


def parse_pattern(pattern: str | dict) -> dict:
    """A filter's Pattern (JSON text or already an object), checked: leaves
    must be lists, operators known."""
    value = json.loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(value, dict):
        raise ValueError(f"a filter pattern is a JSON object, not {value!r}")
    _check_pattern(value, "")
    return value


def _check_pattern(pattern: dict, path: str) -> None:
    for key, expected in pattern.items():
        where = f"{path}.{key}" if path else key
        if isinstance(expected, dict):
            _check_pattern(expected, where)
        elif not isinstance(expected, list):
            raise ValueError(f"filter pattern {where}: a leaf is a list of values, not {expected!r}")
        else:
            for matcher in expected:
                if isinstance(matcher, dict):
                    unknown = set(matcher) - _OPERATORS
                    if len(matcher) != 1 or unknown:
                        raise ValueError(f"filter pattern {where}: unsupported matcher {matcher!r}")


def matches(pattern: dict, event: Any) -> bool:
    """Whether an event (a record, as the function would get it) matches a pattern."""
    if not isinstance(event, dict):
        return False
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, dict):
            if not matches(expected, value):
                return False
        elif not any(_leaf_matches(matcher, value) for matcher in expected):
            return False
    return True


def matches_any(patterns: Iterable[dict], event: Any) -> bool:
    """No patterns: everything passes; else any one of them (filters are OR-ed)."""
    patterns = list(patterns)
    return not patterns or any(matches(pattern, event) for pattern in patterns)


def _leaf_matches(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, dict) and "exists" in matcher:
        present = value is not _MISSING and not (isinstance(value, dict | list) and not value)
        return present == bool(matcher["exists"])
    if value is _MISSING:
        return False
    if isinstance(value, list):  # an array in the event matches when one element does
        return any(_leaf_matches(matcher, item) for item in value)
    if not isinstance(matcher, dict):
        return _same(matcher, value)
    (operator, argument), = matcher.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(argument).lower()
    if operator == "anything-but":
        if isinstance(argument, dict):  # {"anything-but": {"prefix": "x"}}
            return not _leaf_matches(argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_same(item, value) for item in excluded)
    if operator == "numeric":
        return _numeric(argument, value)
    raise ValueError(f"unsupported filter operator {operator}")


def _same(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None or value is None:
        return expected is value or (expected == value and type(expected) is type(value))
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and expected == value


def _numeric(conditions: list, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    checks = {"=": float.__eq__, "<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
    for operator, bound in zip(conditions[::2], conditions[1::2], strict=True):
        if not checks[operator](float(value), float(bound)):
            return False
    return True


# ---------------------------------------------------------- event shapes

def _json_safe(value: Any) -> Any:
    """boto3 gives binary attribute values as bytes; Lambda's events carry base64."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    return value


def _epoch_seconds(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return value


def stream_record(record: dict, stream_arn: str, region: str) -> dict:
    """A GetRecords record as Lambda hands it to a function."""
    change = dict(record.get("dynamodb", {}))
    if "ApproximateCreationDateTime" in change:
        change["ApproximateCreationDateTime"] = _epoch_seconds(change["ApproximateCreationDateTime"])
    shaped = {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": _json_safe(change),
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:  # TTL deletions
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def sqs_record(message: dict, queue_arn: str, region: str) -> dict:
    """A ReceiveMessage message as Lambda hands it to a function."""
    shaped = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {name: _lambda_message_attribute(value)
                              for name, value in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        shaped["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return shaped


def _lambda_message_attribute(value: dict) -> dict:
    shaped = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _json_safe(value["BinaryValue"])
    return shaped


def sqs_filter_view(record: dict) -> dict:
    """What an SQS filter pattern sees: the record, its body parsed when it is JSON."""
    try:
        body = json.loads(record["body"])
    except (TypeError, ValueError):
        return record
    return {**record, "body": body}


def failed_items(invocation: Invocation, identifiers: list[str], report: bool) -> list[str] | None:
    """The items of a batch to retry: [] when all succeeded, None when the
    whole batch failed. Lambda's rules: a failed invocation fails the batch;
    without ReportBatchItemFailures a successful one succeeds; with it, no
    response, {} or an empty/null batchItemFailures is a success, and a
    response it cannot use (not an object, an identifier that is missing,
    empty or not in the batch) fails the whole batch."""
    if not invocation.ok:
        return None
    payload = invocation.payload
    if not report or payload is None:
        return []
    if not isinstance(payload, dict):
        return None
    failures = payload.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        return None
    failed = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in identifiers:
            return None
        failed.append(identifier)
    return failed


# ------------------------------------------------------------- pollers

class _Poller:
    """One event source: its thread, and what the pump knows of its progress.
    The fields are read and written with the pump's lock held."""

    idle_interval = QUEUE_RESTING_INTERVAL

    def __init__(self, pump: EventPump, settings: StreamSettings | QueueSettings):
        self.pump, self.settings = pump, settings
        self.label = f"{settings.function}.{settings.name}"
        self.woken = False          # a call may have given it work
        self.forced = False         # drain() wants a poll now, whatever MIN_INTERVAL says
        self.last_poll = 0.0
        self.next_poll = 0.0        # when the idle interval has passed
        self.busy_until = 0.0       # found work lately: batches are gathered (BUSY_INTERVAL)
        self.quiet_since: int | None = None  # activity count when a poll that found nothing began
        self.running = 0            # batches being invoked
        self.polling = False        # a poll is under way (a stream's batch included)
        self.batch_starts: list[float] = []  # when each running batch of a queue began
        self.thread: threading.Thread | None = None

    def due(self, now: float) -> float:
        """When the next poll may start."""
        if self.forced:
            return now
        if self.woken:
            interval = BUSY_INTERVAL if self.last_poll < self.busy_until else MIN_INTERVAL
            return min(self.next_poll, self.last_poll + interval)
        return self.next_poll

    def drained(self, activity: int) -> bool:
        return self.running == 0 and self.quiet_since is not None and self.quiet_since >= activity

    def pending(self) -> str:
        return f"{self.label}: {self.running} batch(es) running" if self.running else ""

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=f"event-source-{self.label}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.pump._next_turn(self):
            try:
                self.poll()
            except Exception as exc:  # noqa: BLE001 - an AWS hiccup must not end the pump
                if self.pump.stopping:
                    return
                log_line(f"[event-source {self.label}] poll failed: {exc!r}")
                self.pump._polled(self, None)
            finally:
                self.pump._poll_done(self)

    def poll(self) -> None:
        raise NotImplementedError


class StreamPoller(_Poller):
    """A DynamoDB stream's shards, read in order, one batch at a time."""

    settings: StreamSettings

    def __init__(self, pump: EventPump, settings: StreamSettings, client, *, start_at_latest: bool):
        super().__init__(pump, settings)
        self.client = client
        self.idle_interval = pump.stream_idle_interval
        self.start_at_latest = start_at_latest
        self.positions: dict[str, str | None] = {}  # shard id -> last sequence number read (None: none yet)
        self.closed_shards: set[str] = set()
        self.chained: dict[str, str] = {}          # shard id -> the last NextShardIterator
        self.fresh_at: dict[str, float] = {}       # shard id -> when its iterator was last asked for anew
        self.buffer: deque[dict] = deque()         # matching records read, not yet processed
        self.attempts = 0                          # failed tries of the batch at the buffer's head
        self.batch_limit = settings.batch_size     # smaller while bisecting
        self.retry_at = 0.0
        # arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
        self.table_name = settings.stream_arn.split(":", 5)[-1].split("/")[1]

    def due(self, now: float) -> float:
        return max(super().due(now), self.retry_at)

    def drained(self, activity: int) -> bool:
        return not self.buffer and super().drained(activity)

    def pending(self) -> str:
        parts = [super().pending()] if self.running else []
        if self.buffer:
            retry = (f", retry {self.attempts} in {max(0.0, self.retry_at - time.monotonic()):.1f}s"
                     if self.attempts else "")
            parts.append(f"{self.label}: {len(self.buffer)} record(s) waiting{retry}")
        return "; ".join(parts)

    def start(self) -> None:
        self._discover_shards(initial=True)
        super().start()

    # ------------------------------------------------------------ reading

    def _discover_shards(self, initial: bool = False) -> None:
        description = self.client.describe_stream(StreamArn=self.settings.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self.positions or shard_id in self.closed_shards:
                continue
            self.positions[shard_id] = None
            if initial and self.start_at_latest:
                # A long-lived endpoint: what was written before we started is not ours.
                self.chained[shard_id] = self.client.get_shard_iterator(
                    StreamArn=self.settings.stream_arn, ShardId=shard_id,
                    ShardIteratorType="LATEST")["ShardIterator"]

    def _iterator(self, shard_id: str) -> str:
        """The last NextShardIterator, or one asked for anew after the last
        record read (see ITERATOR_REFRESH)."""
        position, now = self.positions[shard_id], time.monotonic()
        refresh = ITERATOR_REFRESH if self.pump.writes_reported else 0.0
        if shard_id in self.chained and (position is None or now - self.fresh_at.get(shard_id, 0) < refresh):
            return self.chained[shard_id]
        self.fresh_at[shard_id] = now
        if position is not None:
            return self.client.get_shard_iterator(
                StreamArn=self.settings.stream_arn, ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=position)["ShardIterator"]
        # Nothing read yet: from the start, or from now on if that is where we started.
        return self.client.get_shard_iterator(
            StreamArn=self.settings.stream_arn, ShardId=shard_id,
            ShardIteratorType="LATEST" if self.start_at_latest else "TRIM_HORIZON")["ShardIterator"]

    def _read(self) -> None:
        """New records of every shard into the buffer: those a filter keeps."""
        for shard_id in list(self.positions):
            while len(self.buffer) < 10 * self.settings.batch_size:
                answer = self.client.get_records(ShardIterator=self._iterator(shard_id), Limit=1000)
                records = answer.get("Records", [])
                for record in records:
                    shaped = stream_record(record, self.settings.stream_arn, self.pump.region)
                    if matches_any(self.settings.filters, shaped):
                        self.buffer.append(shaped)
                if records:
                    self.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                if answer.get("NextShardIterator"):
                    self.chained[shard_id] = answer["NextShardIterator"]
                else:  # a closed shard, read to its end: its children follow
                    del self.positions[shard_id]
                    self.chained.pop(shard_id, None)
                    self.closed_shards.add(shard_id)
                    self._discover_shards()
                    break
                if len(records) < 1000:
                    break

    # ------------------------------------------------------------ a poll

    def poll(self) -> None:
        activity = self.pump.activity
        if len(self.buffer) < self.batch_limit:
            try:
                self._read()
            except Exception:
                self.chained.clear()  # an iterator that failed (expired, forgotten) is asked for anew
                raise
        if not self.buffer:
            self.pump._polled(self, activity)
            return
        self.pump._polled(self, None)
        batch = [self.buffer[i] for i in range(min(len(self.buffer), self.batch_limit))]
        invocation = self.pump._invoke(self, batch)
        if self.pump.stopping:
            return
        numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        failed = failed_items(invocation, numbers, self.settings.report_batch_item_failures)
        if failed == []:
            self._forget(len(batch))
            self.attempts, self.batch_limit = 0, self.settings.batch_size
            self.pump._polled(self, None, again=bool(self.buffer))
            return
        # Retried from the first failed record: all of the batch when the invocation failed.
        first = 0 if failed is None else min(numbers.index(number) for number in failed)
        self._forget(first)
        self.attempts += 1
        if failed is None and self.settings.bisect_on_error and len(batch) > 1:
            self.batch_limit = max(1, len(batch) // 2)
        if 0 <= self.settings.maximum_retry_attempts < self.attempts:
            self._give_up(batch[first:], invocation)
            return
        delay = min(RETRY_BACKOFF[0] * 2 ** (self.attempts - 1), RETRY_BACKOFF[1])
        what = f"invocation {invocation.outcome}" if failed is None else f"{len(failed)} item(s) reported"
        log_line(f"[event-source {self.label}] {len(batch) - first} record(s) to retry ({what}); "
                 f"retry {self.attempts} in {delay:.2f}s")
        self.pump._retry_at(self, time.monotonic() + delay)

    def _forget(self, count: int) -> None:
        for _ in range(count):
            self.buffer.popleft()

    def _give_up(self, records: list[dict], invocation: Invocation) -> None:
        """Retries exhausted: the records' description to the OnFailure destination, then on."""
        log_line(f"[event-source {self.label}] gave up on {len(records)} record(s) after "
                 f"{self.attempts - 1} retries")
        if self.settings.on_failure_arn:
            first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
            self.pump.send_to_queue(self.settings.on_failure_arn, {
                "requestContext": {"requestId": invocation.request_id,
                                   "functionArn": self.pump.function_arn(self.settings.function),
                                   "condition": "RetryAttemptsExhausted", "approximateInvokeCount": self.attempts},
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                    **({} if invocation.ok else {"functionError": "Unhandled"})},
                "version": "1.0",
                "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "DDBStreamBatchInfo": {
                    "shardId": next(iter(self.positions), None),
                    "startSequenceNumber": first["SequenceNumber"], "endSequenceNumber": last["SequenceNumber"],
                    "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                    "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                    "batchSize": len(records), "streamArn": self.settings.stream_arn}})
        self._forget(len(records))
        self.attempts, self.batch_limit = 0, self.settings.batch_size
        self.pump._polled(self, None, again=bool(self.buffer))


class QueuePoller(_Poller):
    """An SQS queue: it receives batches while fewer than MaximumConcurrency run."""

    settings: QueueSettings

    def __init__(self, pump: EventPump, settings: QueueSettings, client, queue_url: str):
        super().__init__(pump, settings)
        self.client, self.queue_url = client, queue_url
        self.last_message_at = float("-inf")

    def is_queue(self, url: str) -> bool:
        return url.rstrip("/").rsplit("/", 1)[-1] == self.queue_url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def idle_interval(self) -> float:
        recent = time.monotonic() - self.last_message_at < QUEUE_ACTIVE_WINDOW
        return QUEUE_IDLE_INTERVAL if recent else QUEUE_RESTING_INTERVAL

    def due(self, now: float) -> float:
        if self.running >= self.settings.maximum_concurrency:
            return float("inf")  # the end of a batch wakes it
        if self.running and self.batch_starts:  # beside running batches only when the newest is slow
            return max(super().due(now), max(self.batch_starts) + SCALE_UP_AFTER)
        return super().due(now)

    def poll(self) -> None:
        activity = self.pump.activity
        most = min(self.settings.batch_size, 10)  # SQS's limit; Lambda gathers more over a batching window
        answer = self.client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=most, WaitTimeSeconds=0,
                                             AttributeNames=["All"], MessageAttributeNames=["All"])
        messages = answer.get("Messages", [])
        if not messages:
            self.pump._polled(self, activity)
            return
        self.last_message_at = time.monotonic()
        records = [sqs_record(message, self.settings.queue_arn, self.pump.region) for message in messages]
        kept = [record for record in records if matches_any(self.settings.filters, sqs_filter_view(record))]
        if len(kept) < len(records):  # Lambda deletes what no filter matches
            self._delete([record for record in records if record not in kept])
        if kept:
            self.pump._start_batch(self, kept, self._process)
        # More may be right behind: a full batch, or another endpoint (that
        # reports nothing, and may answer a short poll with part of a queue).
        self.pump._polled(self, None, again=len(messages) >= most or not self.pump.writes_reported)

    def _process(self, records: list[dict]) -> None:
        invocation = self.pump._invoke(self, records, counted=True)
        if self.pump.stopping:
            return
        failed = failed_items(invocation, [record["messageId"] for record in records],
                              self.settings.report_batch_item_failures)
        if failed is None:
            log_line(f"[event-source {self.label}] {len(records)} message(s) failed (invocation "
                     f"{invocation.outcome}): back after their visibility timeout")
            return
        self._delete([record for record in records if record["messageId"] not in failed])

    def _delete(self, records: list[dict]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start:start + 10]
            self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": record["receiptHandle"]} for i, record in enumerate(chunk)])


# ----------------------------------------------------------------- pump

@dataclass(frozen=True)
class Batch:
    """One invocation the pump made: for tests and for a look at what ran."""

    source: str              # "<function>.<event name>"
    function: str
    records: list[dict]      # as the function got them
    invocation: Invocation


class EventPump:
    """The local event source mappings of a template.

    sources: the events' settings; invoke(logical_id, event) runs a function;
    clients(service) makes a boto3 client ("dynamodbstreams", "sqs");
    start_at_latest: streams are read from now on rather than from their
    start (an endpoint that outlives the runtime); writes_reported: every
    write is reported to notify_aws_call() (the embedded AWS); subscriptions:
    the queues each topic feeds (a publish wakes those)."""

    def __init__(self, sources: list[StreamSettings | QueueSettings], invoke: Invoke, clients: Callable[[str], Any],
                 *, region: str, account_id: str, start_at_latest: bool = False,
                 stream_idle_interval: float = STREAM_IDLE_INTERVAL, writes_reported: bool = False,
                 subscriptions: dict[str, set[str]] | None = None):
        self.sources, self._invoke_function, self._clients = sources, invoke, clients
        self.subscriptions = subscriptions or {}  # topic ARN -> the ARNs of the queues it feeds
        self.region, self.account_id = region, account_id
        self.start_at_latest, self.stream_idle_interval = start_at_latest, stream_idle_interval
        # Whether notify_aws_call() hears of every write (the embedded AWS); if
        # not, every source looks again after any invocation.
        self.writes_reported = writes_reported
        self.wake_after_invocations = not writes_reported
        self.activity = 0  # counts what may have given a source work: invocations, reported writes
        self.stopping = self.paused = False
        self._pollers: list[_Poller] = []
        self._changed = threading.Condition()
        self._batch_threads: set[threading.Thread] = set()
        self.history: deque[Batch] = deque(maxlen=HISTORY_LENGTH)  # the latest invocations, oldest first

    def batches(self, function: str | None = None) -> list[Batch]:
        """The latest invocations (of one function), oldest first."""
        with self._changed:
            history = list(self.history)
        return [batch for batch in history if function in (None, batch.function)]

    @property
    def source_names(self) -> list[str]:
        return [f"{s.function}.{s.name}" for s in self.sources]

    # ---------------------------------------------------------- lifecycle

    def start(self) -> EventPump:
        for settings in self.sources:
            if isinstance(settings, StreamSettings):
                poller = StreamPoller(self, settings, self._clients("dynamodbstreams"),
                                      start_at_latest=self.start_at_latest)
            else:
                client = self._clients("sqs")
                queue_url = client.get_queue_url(QueueName=settings.queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
                poller = QueuePoller(self, settings, client, queue_url)
            self._pollers.append(poller)
        for poller in self._pollers:
            poller.start()
        return self

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """No poll or batch starts any more; running batches get `grace`
        seconds to finish. What is still running ends when the workers are
        killed (the pool's close()); join() then waits for the threads."""
        with self._changed:
            self.stopping = True
            self._changed.notify_all()
            deadline = time.monotonic() + grace
            while any(p.running for p in self._pollers) and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())

    def join(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        threads = [p.thread for p in self._pollers if p.thread is not None] + list(self._batch_threads)
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------ control

    def pause(self) -> None:
        """No poll or batch starts until resume(). Returns once no poll is under
        way (a stream's batch included; a queue's running batches finish on
        their own)."""
        with self._changed:
            self.paused = True
            self._changed.notify_all()
            while any(poller.polling for poller in self._pollers) and not self.stopping:
                self._changed.wait()

    def resume(self) -> None:
        with self._changed:
            self.paused = False
            for poller in self._pollers:
                poller.woken = True
            self._changed.notify_all()

    def wake(self) -> None:
        """Something may have changed anywhere: every source looks soon."""
        self._wake(self._pollers)

    def notify_aws_call(self, target: str, body: bytes = b"") -> None:
        """The embedded AWS finished a call (its X-Amz-Target, "" for the query
        protocol, and its request body): the sources it may have given work
        look soon. A write names its table or queue; a publish, its topic."""
        streams = [p for p in self._pollers if isinstance(p, StreamPoller)]
        queues = [p for p in self._pollers if isinstance(p, QueuePoller)]
        service, _, action = target.partition(".")
        if service.startswith("DynamoDB_") and action in _STREAM_WRITES and streams:
            tables = _tables_written(action, body)
            self._wake([p for p in streams if tables is None or p.table_name in tables])
        elif service == "AmazonSQS" and action in _QUEUE_WRITES and queues:
            url = _json_document(body).get("QueueUrl")
            self._wake([p for p in queues if not isinstance(url, str) or p.is_queue(url)])
        elif not service and queues:  # SNS (or an older client's SQS): form-encoded
            form = urllib.parse.parse_qs(body.decode(errors="replace"))
            action = form.get("Action", [""])[0]
            if action in ("Publish", "PublishBatch"):
                topic = (form.get("TopicArn") or form.get("TargetArn") or [""])[0]
                subscribed = self.subscriptions.get(topic)
                self._wake([p for p in queues if subscribed is None or p.settings.queue_arn in subscribed])
            elif action in _QUEUE_WRITES:
                url = form.get("QueueUrl", [""])[0]
                self._wake([p for p in queues if not url or p.is_queue(url)])

    def drain(self, timeout: float = 30.0) -> None:
        """Returns once every stream is read and processed, every queue has no
        visible message and no batch runs, i.e. a poll of every source that
        began after the last activity found nothing to do. TimeoutError says
        what is still pending. A message a function made invisible (a retry
        scheduled with ChangeMessageVisibility) is not waited for."""
        deadline = time.monotonic() + timeout
        with self._changed:
            if self.paused:
                raise RuntimeError("the event pump is paused: resume() it before drain()")
            while True:
                # A fresh round of polls: what changed without a reported call
                # (a test's fake, a visibility timeout, another endpoint) is seen too.
                self.activity += 1
                target = self.activity
                for poller in self._pollers:
                    poller.forced = True
                self._changed.notify_all()
                while self.activity == target and not all(p.drained(target) for p in self._pollers):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self.stopping:
                        pending = "; ".join(filter(None, (p.pending() for p in self._pollers)))
                        raise TimeoutError(f"the event sources did not drain in {timeout}s"
                                           + (f": {pending}" if pending else ""))
                    self._changed.wait(remaining)
                if self.activity == target:
                    return

    # ------------------------------------------- for the pollers (internal)

    def _wake(self, pollers: list[_Poller]) -> None:
        if pollers:
            with self._changed:
                self.activity += 1
                for poller in pollers:
                    poller.woken = True
                self._changed.notify_all()

    def _next_turn(self, poller: _Poller) -> bool:
        """Waits until the poller may poll; False once the pump stops."""
        with self._changed:
            while True:
                if self.stopping:
                    return False
                now = time.monotonic()
                due = float("inf") if self.paused else poller.due(now)
                if due <= now:
                    poller.woken = poller.forced = False
                    poller.last_poll, poller.next_poll = now, now + poller.idle_interval
                    poller.polling = True
                    return True
                self._changed.wait(None if due == float("inf") else due - now)

    def _polled(self, poller: _Poller, quiet_since: int | None, *, again: bool = False) -> None:
        """A poll's outcome: quiet_since is the activity count when it began
        if it found nothing to do, else None; again: poll again at once."""
        with self._changed:
            poller.quiet_since = quiet_since
            if quiet_since is None:
                poller.busy_until = time.monotonic() + BUSY_FOR
            if again:
                poller.forced = True
            self._changed.notify_all()

    def _poll_done(self, poller: _Poller) -> None:
        with self._changed:
            poller.polling = False
            self._changed.notify_all()

    def _retry_at(self, poller: StreamPoller, when: float) -> None:
        with self._changed:
            poller.retry_at = when
            poller.forced = True  # as soon as the backoff allows
            self._changed.notify_all()

    def _start_batch(self, poller: _Poller, records: list[dict], process: Callable[[list[dict]], None]) -> None:
        started = time.monotonic()
        with self._changed:
            poller.running += 1
            poller.batch_starts.append(started)
        thread = threading.Thread(target=self._run_batch, args=(poller, started, process, records),
                                  name=f"batch-{poller.label}", daemon=True)
        self._batch_threads.add(thread)
        thread.start()

    def _run_batch(self, poller: _Poller, started: float, process: Callable[[list[dict]], None],
                   records: list[dict]) -> None:
        try:
            process(records)
        except Exception as exc:  # noqa: BLE001 - an AWS hiccup must not end the pump
            if not self.stopping:
                log_line(f"[event-sources] batch failed: {exc!r}")
        finally:
            self._batch_threads.discard(threading.current_thread())
            with self._changed:  # running until its messages are deleted: drain() waits for that too
                poller.running -= 1
                poller.batch_starts.remove(started)
                if not self.writes_reported:  # else what was sent meanwhile woke it
                    poller.forced = True
                self._changed.notify_all()

    def _invoke(self, poller: _Poller, records: list[dict], *, counted: bool = False) -> Invocation:
        """The function's invocation with these records; `counted`: the batch
        is in poller.running already, for longer than the invocation."""
        if not counted:
            with self._changed:
                poller.running += 1
        try:
            invocation = self._invoke_function(poller.settings.function, {"Records": records})
            with self._changed:
                self.history.append(Batch(poller.label, poller.settings.function, records, invocation))
            log_line(f"[event-source {poller.label}] {len(records)} record(s) -> {poller.settings.function} "
                     f"{invocation.outcome} {invocation.duration_ms:.0f}ms{' (cold)' if invocation.cold else ''}")
            return invocation
        finally:
            with self._changed:
                if not counted:
                    poller.running -= 1
                self.activity += 1  # whatever the function wrote or sent
                if self.wake_after_invocations:  # else the embedded AWS reports what it wrote
                    for other in self._pollers:
                        other.woken = True
                self._changed.notify_all()

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{logical_id}"

    def send_to_queue(self, arn: str, document: dict) -> None:
        """An on-failure destination's record (only SQS destinations are sent locally)."""
        if not arn.startswith("arn:aws:sqs:"):
            log_line(f"[event-sources] on-failure destination {arn} is not a queue: not sent locally")
            return
        client = self._clients("sqs")
        queue_url = client.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
        client.send_message(QueueUrl=queue_url, MessageBody=json.dumps(document))


def event_pump(template: dict, resolver: Resolver, invoke: Invoke, clients: Callable[[str], Any], *,
               start_at_latest: bool = False, writes_reported: bool = False) -> EventPump:
    """The pump of every DynamoDB and SQS event of the template (not started)."""
    return EventPump([settings_of(spec, resolver) for spec in event_source_specs(template)], invoke, clients,
                     region=resolver.region, account_id=resolver.account_id, start_at_latest=start_at_latest,
                     stream_idle_interval=STREAM_IDLE_INTERVAL if writes_reported else ENDPOINT_STREAM_IDLE_INTERVAL,
                     writes_reported=writes_reported, subscriptions=queue_subscriptions(template, resolver))


def queue_subscriptions(template: dict, resolver: Resolver) -> dict[str, set[str]]:
    """{topic ARN: ARNs of the queues subscribed to it} from the template's AWS::SNS::Subscription."""
    subscriptions: dict[str, set[str]] = {}
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::SNS::Subscription" and props.get("Protocol") == "sqs":
            try:
                topic, queue = resolver.resolve(props.get("TopicArn")), resolver.resolve(props.get("Endpoint"))
            except UnresolvableError:
                continue
            subscriptions.setdefault(topic, set()).add(queue)
    return subscriptions
