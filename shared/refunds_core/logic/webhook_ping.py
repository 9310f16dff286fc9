"""POST /v1/webhooks/{id}/test: a ``webhook.test`` event sent to the endpoint at
once, signed and POSTed exactly as every delivery is (``delivery.send``: the
URL vetted again, the vetted address connected to, no redirect followed, 15
seconds at most), and the outcome answered: the endpoint's status, how long
it took, or why there was no answer, as one of a few fixed words
(``delivery.Outcome.problem``: never an address, a port or an exception's
text). A disabled endpoint is tested too (to check it before enabling it
again). The test event is not kept, not retried, not listed among the
endpoint's deliveries, and counts for nothing towards disabling it.

A test is a request our network makes at once, whose timing and failure the
caller sees: unlimited, it would probe hosts and ports for whoever calls it.
So each endpoint is tested at most once every ``TEST_INTERVAL``, and each
merchant at most ``TESTS_PER_MINUTE`` times a minute (a calendar minute, UTC;
its 10 endpoints once each): 429 (15150) with ``Retry-After`` beyond either,
nothing sent. Both are counted in DynamoDB by the transaction that lets the
ping go (``dal/webhooks.note_test``, ``count_test``), with the caller's
account checks, before it is sent: concurrent tests on every function and
execution environment share them, and a refused one writes nothing.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

from refunds_core import clock, errors, events, modes, shapes
from refunds_core.auth import account_guards, require_active_account
from refunds_core.callers import Caller
from refunds_core.dal import webhooks
from refunds_core.dal.transactions import retry_on_contention, transact_write
from refunds_core.errors import ApiError
from refunds_core.logic.delivery import send
from refunds_core.logic.webhooks import visible_endpoint
from refunds_core.observability import count

TEST_INTERVAL = timedelta(seconds=5)
TESTS_PER_MINUTE = 10
_MINUTE_MS = 60_000


def ping(caller: Caller, webhook_id: str) -> shapes.WebhookTestResult:
    require_active_account(caller)
    endpoint = visible_endpoint(caller, webhook_id)
    now = clock.now()
    # Counted, with the account's checks, before anything is sent: a revoked key sends nothing.
    retry_on_contention(lambda _attempt: _count(caller, endpoint, _millis(now)),
                        gave_up="the endpoint's tests kept changing under the request")
    now_iso = clock.iso(now)
    event_id = events.new_event_id(now_iso)
    body = events.body({"id": event_id, "type": events.TEST, "createdAt": now_iso, "merchantId": caller.merchant_id,
                        "livemode": modes.livemode(caller.mode), "data": {"webhookId": endpoint["id"]}})
    outcome = send(endpoint, event_id, body, webhook_id=endpoint["id"])
    count("WebhookTestDelivered" if outcome.delivered else "WebhookTestFailed")
    return shapes.WebhookTestResult(eventId=event_id, delivered=outcome.delivered, statusCode=outcome.status,
                                    latencyMs=outcome.latency_ms, error=outcome.problem)


class _MinuteStarted(Exception):  # noqa: N818 - what was found, not a failure
    """The merchant has tested in this minute already: count one more in it."""


def _count(caller: Caller, endpoint: dict, now_ms: int) -> None:
    """One transaction: the endpoint's test (none in the last TEST_INTERVAL)
    and the merchant's in this minute (fewer than TESTS_PER_MINUTE before it),
    tried as the minute's first, then as one more in it; 429 when either
    limit is reached, 15160 when the endpoint is gone."""
    interval_ms = TEST_INTERVAL // timedelta(milliseconds=1)
    minute = now_ms // _MINUTE_MS

    def endpoint_refused(stored: dict | None) -> Exception | None:
        if stored is None:
            return ApiError(errors.WEBHOOK_NOT_FOUND)
        last = stored.get("lastTestAt")
        if last is not None and int(last) > now_ms - interval_ms:
            return _throttled(int(last) + interval_ms - now_ms)
        return None  # changed since: count again

    def budget_refused(first_in_minute: bool):
        def explain(merchant: dict | None) -> Exception | None:
            if merchant is None or int(merchant.get(webhooks.TEST_MINUTE, -1)) < minute:
                return None  # a race (or the account's refusal, which its own check explains)
            if int(merchant.get(webhooks.TESTS_IN_MINUTE, 0)) >= TESTS_PER_MINUTE:
                return _throttled((minute + 1) * _MINUTE_MS - now_ms)
            return _MinuteStarted() if first_in_minute else None
        return explain

    def write(first_in_minute: bool) -> None:
        transact_write([
            webhooks.note_test(endpoint, now_ms, now_ms - interval_ms, endpoint_refused),
            webhooks.count_test(caller.merchant_id, minute, TESTS_PER_MINUTE, budget_refused(first_in_minute),
                                first_in_minute=first_in_minute),
            *account_guards(caller),
        ], idempotency_token=str(uuid.uuid4()))

    try:
        write(first_in_minute=True)
    except _MinuteStarted:
        write(first_in_minute=False)


def _throttled(wait_ms: int) -> ApiError:
    return ApiError(errors.THROTTLED, headers={"Retry-After": str(max(1, math.ceil(wait_ms / 1000)))})


def _millis(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
