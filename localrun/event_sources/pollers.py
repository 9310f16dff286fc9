"""The pollers: one thread per event source, reading it as Lambda's event
source mappings do and handing batches to the pump.

- A DynamoDB stream's shard is read in order; records that no FilterCriteria
  pattern matches are dropped; the others go to the function BatchSize at a
  time, one batch at a time. A failed invocation retries the batch
  (BisectBatchOnFunctionError halves it); with ReportBatchItemFailures the
  batch restarts at the first failed record. Retries back off (0.25 s
  doubling, at most 4 s) and keep the order; after MaximumRetryAttempts (-1:
  never) the batch's description goes to the OnFailure destination.
- An SQS queue: ReceiveMessage (BatchSize, every attribute), invoke, then
  delete what succeeded: every message of a successful batch except those
  listed in batchItemFailures, none after a failed invocation. What is not
  deleted comes back after its visibility timeout (the function may change
  it); the queue's RedrivePolicy moves it to its dead-letter queue. Up to
  ScalingConfig.MaximumConcurrency batches (default 5) run at once, a new
  one beside a running one only once that one is slow (SCALE_UP_AFTER).

Polling: every call to the embedded moto goes through one lock, so a long
poll (WaitTimeSeconds) would stall every other call: receives and reads are
short, and a poller sleeps between them. It wakes as soon as a call that may
have given it work completes (the pump hears of them), at most every
MIN_INTERVAL seconds; unwoken, it looks now and then (the *_INTERVAL
constants below): a visibility timeout ends without any call. Another
endpoint reports nothing: there every source looks again after each
invocation, and more often. MaximumBatchingWindowInSeconds is not waited
for: a batch is what is there when the poller looks.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from localrun.event_sources.filter_patterns import matches_any
from localrun.event_sources.record_shapes import failed_items, sqs_filter_view, sqs_record, stream_record
from localrun.event_sources.specs import QueueSettings, StreamSettings
from localrun.lambda_pool import Invocation, log_line

if TYPE_CHECKING:  # the pump makes the pollers and they report to it
    from localrun.event_sources.pump import EventPump

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


class Poller:
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


class StreamPoller(Poller):
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


class QueuePoller(Poller):
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
