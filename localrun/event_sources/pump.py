"""The pump: the pollers of a template's event sources, started and stopped
together, woken by the AWS calls that may have given them work, and
drained (drain() waits, without sleeping for a guessed time, until a round
of polls that began after the last activity, an invocation ending or a write
reported, found nothing to do); pause() and resume() hold the pollers.

The embedded AWS reports each call it completes (EmbeddedAws(on_call=) ->
notify_aws_call): a DynamoDB write wakes its table's stream, an SQS send or
an SNS publish to a topic feeding a queue wakes that queue.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localrun.event_sources.pollers import (
    BUSY_FOR,
    ENDPOINT_STREAM_IDLE_INTERVAL,
    STREAM_IDLE_INTERVAL,
    Poller,
    QueuePoller,
    StreamPoller,
)
from localrun.event_sources.specs import (
    QueueSettings,
    StreamSettings,
    event_source_specs,
    queue_subscriptions,
    settings_of,
)
from localrun.lambda_pool import Invocation, log_line
from localrun.template import Resolver

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
        self._pollers: list[Poller] = []
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

    def _wake(self, pollers: list[Poller]) -> None:
        if pollers:
            with self._changed:
                self.activity += 1
                for poller in pollers:
                    poller.woken = True
                self._changed.notify_all()

    def _next_turn(self, poller: Poller) -> bool:
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

    def _polled(self, poller: Poller, quiet_since: int | None, *, again: bool = False) -> None:
        """A poll's outcome: quiet_since is the activity count when it began
        if it found nothing to do, else None; again: poll again at once."""
        with self._changed:
            poller.quiet_since = quiet_since
            if quiet_since is None:
                poller.busy_until = time.monotonic() + BUSY_FOR
            if again:
                poller.forced = True
            self._changed.notify_all()

    def _poll_done(self, poller: Poller) -> None:
        with self._changed:
            poller.polling = False
            self._changed.notify_all()

    def _retry_at(self, poller: StreamPoller, when: float) -> None:
        with self._changed:
            poller.retry_at = when
            poller.forced = True  # as soon as the backoff allows
            self._changed.notify_all()

    def _start_batch(self, poller: Poller, records: list[dict], process: Callable[[list[dict]], None]) -> None:
        started = time.monotonic()
        with self._changed:
            poller.running += 1
            poller.batch_starts.append(started)
        thread = threading.Thread(target=self._run_batch, args=(poller, started, process, records),
                                  name=f"batch-{poller.label}", daemon=True)
        self._batch_threads.add(thread)
        thread.start()

    def _run_batch(self, poller: Poller, started: float, process: Callable[[list[dict]], None],
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

    def _invoke(self, poller: Poller, records: list[dict], *, counted: bool = False) -> Invocation:
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
