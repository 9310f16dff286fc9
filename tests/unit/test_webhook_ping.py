"""POST /v1/webhooks/{id}/test is a request our network makes at once: at most
one test per endpoint every 5 seconds and 10 per merchant a minute, counted in
DynamoDB before anything is sent (logic/webhook_ping.py), and the answer names
a class of failure, never what the exception said.

The limits run through the route's own handler in this process against the
runtime's DynamoDB (tests/conftest.py InProcessClient), the clock moved by the
test instead of waited for; each test has a merchant of its own. The ping's
wire (signing, the POST, the endpoint's answers): test_events.py and
tests/integration/test_webhook_delivery.py."""

from __future__ import annotations

import http.client
import ssl
import uuid
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from refunds_core import clock, shapes
from refunds_core.logic import delivery, webhook_ping

pytestmark = pytest.mark.server

MINUTE = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # the clock of every test: it pings endpoints of its own
CLOSED = "http://127.0.0.1:9/hooks"  # nothing listens: each ping is "connection refused" at once


@pytest.fixture
def at(monkeypatch):
    """``at(seconds)``: the clock ``seconds`` after MINUTE from now on."""
    def move(seconds: float) -> None:
        monkeypatch.setattr(clock, "now", lambda: MINUTE + timedelta(seconds=seconds))
    return move


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """The ids of the endpoints a test event was really sent to."""
    posted: list[str] = []
    real = webhook_ping.send

    def send(endpoint, message_id, body, **kwargs):
        posted.append(endpoint["id"])
        return real(endpoint, message_id, body, **kwargs)

    monkeypatch.setattr(webhook_ping, "send", send)
    return posted


@pytest.fixture
def shops(handlers, admin):
    """``shops()``: a fresh merchant's token, and ``endpoint()`` registering one more of its endpoints."""
    def shop():
        merchant_id, login = f"p-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
        admin.create_merchant(merchant_id)
        admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
        token = handlers.request("POST", "/v1/auth/token",
                                 json_body={"login": login, "password": "a-long-password"}).body["token"]

        def endpoint() -> str:
            created = handlers.request("POST", "/v1/webhooks", token=token,
                                       json_body={"url": CLOSED, "events": ["refund.issued"]})
            assert created.status == 201, created
            return created.body["data"]["id"]

        return token, endpoint
    return shop


@pytest.fixture
def shop(shops):
    return shops()


def ping(handlers, token: str, webhook_id: str, key: str | None = None):
    return handlers.request("POST", f"/v1/webhooks/{webhook_id}/test", token=token,
                            headers={"Idempotency-Key": key} if key else None)


def throttled(answer, retry_after: int) -> bool:
    return (answer.status, answer.codes, answer.headers.get("retry-after")) == (429, [15150], str(retry_after))


def test_an_endpoint_is_tested_at_most_once_every_5_seconds(handlers, shop, at, sent):
    token, endpoint = shop
    first, second = endpoint(), endpoint()
    at(1)
    assert ping(handlers, token, first).body["data"]["error"] == "connection refused"
    at(2.5)
    assert throttled(ping(handlers, token, first), retry_after=4)     # 3.5 s to wait, in whole seconds
    assert ping(handlers, token, second).status == 200               # another endpoint is another matter
    at(5.999)
    assert throttled(ping(handlers, token, first), retry_after=1)
    at(6)
    assert ping(handlers, token, first).status == 200
    assert sent == [first, second, first]                            # a refused test sent nothing


def test_a_merchant_tests_at_most_10_times_a_minute(handlers, shops, at, sent):
    (token, endpoint), (other_token, other_endpoint) = shops(), shops()
    endpoints = [endpoint() for _ in range(10)]                       # a merchant's most
    at(10)
    assert [ping(handlers, token, webhook_id).status for webhook_id in endpoints] == [200] * 10
    at(45)
    assert throttled(ping(handlers, token, endpoints[0]), retry_after=15)  # until the next minute
    assert ping(handlers, other_token, other_endpoint()).status == 200     # each merchant has its own 10
    at(60)
    assert ping(handlers, token, endpoints[0]).status == 200
    assert sent[:10] == endpoints and sent[10:] == [sent[10], endpoints[0]]


def test_a_refused_test_is_not_replayed_for_its_idempotency_key(handlers, shop, at, sent):
    token, endpoint = shop
    webhook_id = endpoint()
    at(0)
    assert ping(handlers, token, webhook_id, key="first").status == 200
    at(1)
    assert throttled(ping(handlers, token, webhook_id, key="again"), retry_after=4)
    at(5)
    retried = ping(handlers, token, webhook_id, key="again")         # the same key, once allowed: sent
    assert retried.status == 200 and "idempotent-replayed" not in retried.headers
    assert sent == [webhook_id, webhook_id]


def test_another_merchants_endpoint_is_not_found_before_anything_is_counted(handlers, shop, at, sent):
    token, endpoint = shop
    webhook_id = endpoint()
    at(0)
    answer = ping(handlers, handlers.token("demo"), webhook_id)
    assert (answer.status, answer.codes) == (404, [15160]) and answer.writes == [] and sent == []
    assert ping(handlers, token, webhook_id).status == 200           # nothing of its limit was spent


# ------------------------------------------------ what a failed test says

@pytest.mark.parametrize(("raised", "problem"), [
    (TimeoutError("timed out after 15 s talking to 10.1.2.3:8443"), "timeout"),
    (ConnectionRefusedError(111, "Connection refused: 127.0.0.1:6379"), "connection refused"),
    (ConnectionResetError(104, "Connection reset by peer 192.168.0.7"), "connection reset"),
    (ssl.SSLCertVerificationError(1, "hostname 'db.internal.corp' doesn't match 'example.com'"), "TLS error"),
    (http.client.BadStatusLine("SSH-2.0-OpenSSH_9.6 on 10.0.0.5:22"), "invalid answer"),
    (OSError(113, "No route to host: 172.16.4.2"), "unreachable"),
    (RuntimeError("boom at /var/task/secret.py, key whsec_abc"), "unexpected error"),
])
def test_a_failed_test_names_only_the_class_of_failure(monkeypatch, raised, problem):
    def post(*_args):
        raise raised

    monkeypatch.setattr(delivery, "_signed_post", post)
    outcome = delivery.send({"url": CLOSED, "secrets": []}, "evt_1", "{}")
    assert (outcome.status, outcome.problem) == (None, problem)
    assert problem in get_args(shapes.PingProblem)  # the words the document lists, and no others
