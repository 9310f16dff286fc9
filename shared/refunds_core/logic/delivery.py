"""One webhook delivery: sign the event (Standard Webhooks), POST it to the
endpoint's vetted address, record the attempt, and schedule the retry.

An attempt fails on any answer but a 2xx, on no answer, and on any exception
raised while making it (a bug included): each failure is recorded with its
error and follows the same schedule, so every task ends delivered, or
recorded ``failed`` and dead-lettered. Each outcome is also noted on the
endpoint (``endpoint_health``: one failing for 5 days is disabled), and a
task for a disabled endpoint is dropped (its event stays replayable).

Retries use the queue itself: a failed attempt sets its message's visibility
timeout to the schedule's next delay and reports the message failed, so SQS
hands it back then (``ApproximateReceiveCount`` is the attempt number). After
the last retry the delivery is recorded ``failed`` and the task sent to the
deliveries' dead-letter queue (an operator sees and can redrive it there);
the event stays kept for ``POST /v1/webhooks/{id}/replay``.

The function dead-letters the task itself rather than leaving it to the
queue's redrive policy: SQS counts receives, not attempts (a crashed or
timed-out invocation is a receive too), so only the function knows when the
schedule is spent. The queue's ``maxReceiveCount`` stays above the schedule's
attempts, the backstop for a task the function never finishes.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from standardwebhooks.webhooks import Webhook
from ulid import ULID

from refunds_core import clock, modes
from refunds_core.aws import dynamodb, sqs
from refunds_core.dal import webhooks
from refunds_core.logic import endpoint_health
from refunds_core.modes import Mode
from refunds_core.observability import count, logger
from refunds_core.settings import settings
from refunds_core.shapes import PingProblem
from refunds_core.webhook_tasks import DeliveryTask
from refunds_core.webhook_urls import UnsafeUrl, as_uri, vetted_addresses

TIMEOUT_SECONDS = 15
_MAX_RESPONSE_BYTES = 64 * 1024  # read (and drop) at most this much of an answer
_USER_AGENT = "refund-requests-webhooks/1"
_MAX_ERROR_CHARS = 200  # of an unforeseen exception's text, in the attempt and the dead letter


class DeliveryFailed(Exception):  # noqa: N818 - the record's outcome
    """This attempt failed; the message comes back after the retry delay."""


def ready_for_threads() -> None:
    """Make, on the main thread, what every delivery thread would otherwise
    make on its first use, where it is not thread-safe: the settings, the task
    model (pydantic builds a deferred model on first use) and the clients
    (boto3's session makes one at a time)."""
    settings()
    DeliveryTask.model_rebuild()
    dynamodb()
    sqs()


def deliver(record: SQSRecord) -> None:
    """One receive of a delivery task: an attempt, recorded, then retried on the
    schedule or dead-lettered. A failure around the attempt (a task that does
    not parse, the table or the queue failing past botocore's retries) spends
    the receive like an attempt: retried on the schedule, and on the last
    receive dead-lettered with its attributes, so no task is lost silently."""
    attempt = int(record.attributes.approximate_receive_count)
    recorded: list[bool] = []  # set once the attempt is in the table: what follows is the schedule's own
    try:
        _deliver(record, attempt, recorded)
    except DeliveryFailed:
        raise
    except Exception as exc:
        if recorded:
            raise  # recording or dead-lettering after the attempt failed: the message comes back as it is
        _around_the_attempt_failed(record, attempt, exc)


def _around_the_attempt_failed(record: SQSRecord, attempt: int, exc: Exception) -> None:
    error = unexpected_error(exc, {})
    logger.error("webhook delivery task failed around its attempt",
                 extra={"attempt": attempt, "error": error, "stack": "".join(traceback.format_tb(exc.__traceback__))})
    delays = settings().retry_delays
    if attempt > len(delays):
        _dead_letter(record, attempt, error)
        return
    with contextlib.suppress(Exception):  # at worst it comes back after the queue's own visibility timeout
        sqs().change_message_visibility(QueueUrl=settings().WEBHOOK_DELIVERIES_QUEUE_URL,
                                        ReceiptHandle=record.receipt_handle, VisibilityTimeout=delays[attempt - 1])
    raise DeliveryFailed(f"attempt {attempt}: {error}") from exc


def _deliver(record: SQSRecord, attempt: int, recorded: list[bool]) -> None:
    task = DeliveryTask.model_validate_json(record.body)
    with modes.acting_in(task.mode):  # its endpoint, attempts and events are in the event's mode
        _deliver_task(task, record, attempt, recorded)


def _deliver_task(task: DeliveryTask, record: SQSRecord, attempt: int, recorded: list[bool]) -> None:
    endpoint = webhooks.get_endpoint(task.merchantId, task.webhookId)
    if endpoint is None:  # deleted since the task was queued: nothing to deliver to
        logger.info("endpoint gone, delivery dropped", extra={"webhook_id": task.webhookId})
        return
    if endpoint.get("enabled") is False:  # its events stay in the events API, and replayable once enabled
        logger.info("endpoint disabled, delivery dropped", extra={"webhook_id": task.webhookId})
        return
    status, error = _attempt(endpoint, task)
    delivered = status is not None and 200 <= status < 300
    delays = settings().retry_delays
    outcome = "delivered" if delivered else "retrying" if attempt <= len(delays) else "failed"
    now = clock.now()
    webhooks.put_attempt(task.webhookId, {
        "attemptId": str(ULID()), "eventId": task.eventId, "eventType": task.eventType, "attempt": attempt,
        "statusCode": status, "error": error, "outcome": outcome, "at": clock.iso(now), "replay": task.replay,
        "refundId": task.refund_id})
    recorded.append(True)
    endpoint_health.note(endpoint, delivered, now)
    count(f"WebhookDelivery{outcome.title()}")
    if outcome == "retrying":
        # The message comes back after the next delay of the schedule, not the queue's default.
        sqs().change_message_visibility(QueueUrl=settings().WEBHOOK_DELIVERIES_QUEUE_URL,
                                        ReceiptHandle=record.receipt_handle, VisibilityTimeout=delays[attempt - 1])
        raise DeliveryFailed(f"attempt {attempt}: {status or error}")
    # A test delivery that failed for good is recorded, not dead-lettered: a sandbox's endpoint
    # being down is no work an operator gave up on (its event is replayable from the events API).
    if outcome == "failed" and task.mode is Mode.LIVE:
        _dead_letter(record, attempt, f"HTTP {status}" if status is not None else str(error))


def _dead_letter(record: SQSRecord, attempts: int, last_error: str) -> None:
    """The task, as it was queued, to the dead-letter queue; the message is then
    deleted. When the send fails the record fails and the last attempt comes again."""
    queue_url = settings().WEBHOOK_DEAD_LETTER_QUEUE_URL
    if queue_url is None:
        raise RuntimeError("WEBHOOK_DEAD_LETTER_QUEUE_URL is not set")
    sqs().send_message(QueueUrl=queue_url, MessageBody=record.body, MessageAttributes={
        "attempts": {"DataType": "Number", "StringValue": str(attempts)},
        "lastError": {"DataType": "String", "StringValue": last_error}})


@dataclass(frozen=True)
class Outcome:
    """What became of one signed POST: the endpoint's ``status``, or ``error`` (as an
    attempt records it) and ``problem`` (the same in words that name nothing of our
    network, for a merchant's own answer: ``POST /v1/webhooks/{id}/test``)."""

    status: int | None
    error: str | None
    problem: PingProblem | None
    latency_ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def send(endpoint: dict, message_id: str, body: str, *, webhook_id: str = "") -> Outcome:
    """Sign ``body`` (Standard Webhooks, every valid secret of the endpoint) and POST it to
    the endpoint's vetted address: what every delivery and every test ping does. Never
    raises: the URL refused, the endpoint unreachable, and anything unforeseen (a bug, a
    secret that does not sign...) are each an outcome."""
    started = time.monotonic()

    def ended(status: int | None = None, error: str | None = None, problem: PingProblem | None = None) -> Outcome:
        return Outcome(status, error, problem, round((time.monotonic() - started) * 1000))

    try:
        return ended(_signed_post(endpoint, message_id, body))
    except UnsafeUrl as exc:
        return ended(error=f"refused: {exc}", problem="refused")
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, TLS, timeout...
        return ended(error=type(exc).__name__, problem=_problem(exc))
    except Exception as exc:  # noqa: BLE001 - anything else fails this attempt, not the task's schedule
        error = unexpected_error(exc, endpoint)
        # The stack without the exception's text, which is in ``error`` with the secrets masked.
        logger.error("webhook attempt raised", extra={"webhook_id": webhook_id, "event_id": message_id,
                                                      "error": error,
                                                      "stack": "".join(traceback.format_tb(exc.__traceback__))})
        return ended(error=error, problem="unexpected error")


def _problem(exc: OSError | http.client.HTTPException) -> PingProblem:
    """Why an endpoint gave no answer, in a few fixed words (never an address or a message)."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return "connection reset"
    if isinstance(exc, ssl.SSLError):
        return "TLS error"
    if isinstance(exc, http.client.HTTPException):
        return "invalid answer"
    return "unreachable"


def _attempt(endpoint: dict, task: DeliveryTask) -> tuple[int | None, str | None]:
    """(HTTP status, None) when the endpoint answered, (None, why) when it did not:
    every failure is an attempt recorded and retried."""
    outcome = send(endpoint, task.eventId, task.body, webhook_id=task.webhookId)
    return outcome.status, outcome.error


def _signed_post(endpoint: dict, message_id: str, body: str) -> int:
    # as_uri: an endpoint registered before URLs were stored as URIs may still hold an IRI.
    uri = as_uri(endpoint["url"])
    host, port, addresses = vetted_addresses(uri)
    headers = {"content-type": "application/json", "user-agent": _USER_AGENT,
               **signature_headers(endpoint, message_id, body)}
    return _post(uri, host, port, addresses[0], body.encode(), headers)


def unexpected_error(exc: Exception, endpoint: dict) -> str:
    """``Type: message`` of an exception no attempt expects: its message's first line,
    each of the endpoint's secrets masked, cut to _MAX_ERROR_CHARS."""
    message = next(iter(str(exc).splitlines()), "")
    for entry in endpoint.get("secrets", []):
        # The key after ``whsec_`` (base64 has no '_'): masks the whole secret too, and the key alone.
        key = str(entry.get("secret", "")).rpartition("_")[2]
        if key:
            message = message.replace(key, "[secret]")
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= _MAX_ERROR_CHARS else text[:_MAX_ERROR_CHARS - 1] + "…"


def signature_headers(endpoint: dict, message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers, signed with every secret still valid: after a
    rotation both the new and the previous secret sign, space-separated."""
    now = now or datetime.now(UTC)
    signatures = [Webhook(entry["secret"]).sign(message_id, now, body) for entry in endpoint["secrets"]
                  if not entry.get("expiresAt") or datetime.fromisoformat(entry["expiresAt"]) > now]
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": " ".join(signatures)}


def _post(url: str, host: str, port: int, address: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to ``address`` (vetted), naming ``host`` in the Host header and TLS; no redirect
    is followed (a 3xx is an answer like any other non-2xx)."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPS(host, port, address)
    else:
        connection = _PinnedHTTP(host, port, address)
    started = time.monotonic()
    # The socket timeout bounds each read, not the whole exchange: an endpoint
    # trickling a byte at a time is cut off at the deadline by closing its socket.
    cut_off = threading.Event()

    def cut() -> None:
        cut_off.set()
        connection.abort()

    watchdog = threading.Timer(TIMEOUT_SECONDS, cut)
    watchdog.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(_MAX_RESPONSE_BYTES)
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        if cut_off.is_set():  # cut off at the deadline: whatever the closed socket raised
            raise TimeoutError(f"no complete answer within {TIMEOUT_SECONDS} s") from exc
        raise
    finally:
        watchdog.cancel()
        connection.close()
        logger.debug("webhook POST", extra={"ms": round((time.monotonic() - started) * 1000)})


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the vetted address, never to what the name resolves to later
    (no DNS rebinding between the check and the connection)."""

    def __init__(self, host: str, port: int, address: str):
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)

    def abort(self) -> None:
        """Ends the exchange now, from another thread: the blocked call raises OSError."""
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _PinnedHTTPS(_PinnedHTTP):
    _context = ssl.create_default_context()

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)
