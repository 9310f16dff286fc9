"""Refund events as kept with their change (logic/refunds.event_of, and
logic/publishing.event_of_change for a change seen on the stream) and their
Standard Webhooks signatures (refunds_core/logic/delivery.py), without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from refunds_core import events
from refunds_core.logic.publishing import event_of_change, kept_with_its_change

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"


def parsed(kept: dict) -> events.RefundEvent:
    """The kept event's body, read as what the dispatcher and receivers read."""
    return events.RefundEvent.model_validate_json(kept["body"])


def refund(version: int, *actions: str) -> dict:
    history = [{"status": "REQUESTED", "action": action, "actor": "demo", "role": "merchant",
                "at": f"2026-11-22T10:00:0{i}.000Z", "reason": None} for i, action in enumerate(actions)]
    return {"type": "Refund", "id": "rf_01JD0000000000000000000000", "orderId": "o-1", "merchantId": "demo",
            "customerId": None, "status": "REQUESTED", "email": "m@example.com", "amount": Decimal("59.50"),
            "currency": "USD", "requester": "demo", "createdAt": "2026-11-22T10:00:00.000Z",
            "updatedAt": history[-1]["at"], "version": Decimal(version), "history": history}


@pytest.mark.parametrize(("action", "event_type"), sorted(events.TYPE_OF_ACTION.items()))
def test_each_action_is_one_event_named_after_it(action, event_type):
    before, after = refund(1, "CREATE"), refund(2, "CREATE", action)
    kept = event_of_change(before, after)
    event = parsed(kept)
    assert event.type == event_type == kept["eventType"]
    assert event.merchantId == "demo" == kept["merchantId"]
    assert event.data["id"] == after["id"] == kept["refundId"]
    assert event.data["amount"] == "59.50"  # the refund as GET shows it
    assert event.createdAt == after["history"][-1]["at"] == kept["createdAt"]
    assert event.id == kept["eventId"]


def test_a_new_refund_is_refund_created():
    assert parsed(event_of_change(None, refund(1, "CREATE"))).type == "refund.created"


def test_the_kept_body_is_exactly_what_the_event_model_writes():
    """The body is made without pydantic (no model built on a write's cold start), and
    still reads as a RefundEvent and writes back byte for byte."""
    body = event_of_change(refund(1, "CREATE"), refund(2, "CREATE", "APPROVE"))["body"]
    assert events.RefundEvent.model_validate_json(body).model_dump_json() == body


def test_the_same_change_always_has_the_same_id_and_ids_sort_by_time():
    first = event_of_change(None, refund(1, "CREATE"))["eventId"]
    again = event_of_change(None, refund(1, "CREATE"))["eventId"]
    later = event_of_change(refund(1, "CREATE"), refund(2, "CREATE", "APPROVE"))["eventId"]
    assert first == again and first.startswith("evt_")
    assert later != first and later > first


@pytest.mark.parametrize(("names", "kept"), [
    ({"eventId": "evt_1", "eventVersion": Decimal(2)}, True),   # written with its event (the stream's numbers)
    ({}, False),                                                # by a version before events were kept
    ({"eventId": "evt_1", "eventVersion": Decimal(1)}, False),  # created with its event, then moved by such a version
    ({"eventId": "evt_1"}, False),                              # named its event before eventVersion: kept once again
])
def test_the_publisher_keeps_the_event_of_a_change_that_does_not_name_its_own_versions(names, kept):
    assert kept_with_its_change({**refund(2, "CREATE", "APPROVE"), "version": Decimal(2), **names}) is kept


def test_the_sequence_is_the_refunds_version_and_a_top_level_field_of_the_signed_body():
    actions = ["CREATE", "APPROVE", "SHIP_INIT", "ISSUE"]
    changes = [event_of_change(refund(n - 1, *actions[:n - 1]) if n > 1 else None, refund(n, *actions[:n]))
               for n in range(1, len(actions) + 1)]
    assert [(parsed(event).type, parsed(event).sequence) for event in changes] == [
        ("refund.created", 1), ("refund.approved", 2), ("refund.shipment_provided", 3), ("refund.issued", 4)]
    body = changes[1]["body"]
    assert list(json.loads(body)) == ["id", "type", "createdAt", "merchantId", "livemode", "sequence", "data"]
    headers = headers_for([{"secret": SECRET}], datetime.now(UTC), body)
    assert Webhook(SECRET).verify(body, headers)["sequence"] == 2
    with pytest.raises(WebhookVerificationError):  # the signature covers it
        Webhook(SECRET).verify(body.replace('"sequence":2', '"sequence":5'), headers)


def test_an_event_queued_before_sequences_existed_still_parses_with_its_refunds_version():
    body = json.loads(event_of_change(None, refund(1, "CREATE"))["body"])
    del body["sequence"]
    body["data"]["history"] *= 3  # as after two transitions
    assert events.RefundEvent.model_validate_json(json.dumps(body)).sequence == 3


@pytest.mark.parametrize(("old", "new"), [
    (None, None),                                                  # a removal
    (None, {"type": "Order", "id": "o-1", "version": 1}),          # not a refund
    (refund(2, "CREATE", "APPROVE"), refund(2, "CREATE", "APPROVE")),  # no transition (same version)
    (refund(2, "CREATE", "APPROVE"), {**refund(2, "CREATE", "APPROVE"), "metadata": {"erp": "E-1"}}),  # metadata
])
def test_other_changes_are_no_event(old, new):
    assert event_of_change(old, new) is None


def test_an_event_carries_the_refunds_codes_and_metadata_and_older_refunds_show_none():
    denied = {**refund(2, "CREATE", "DENY"), "status": "DENIED", "reason": "damaged",
              "declineReason": "final_sale", "metadata": {"erp": "E-1"}}
    data = parsed(event_of_change(refund(1, "CREATE"), denied)).data
    assert (data["reason"], data["declineReason"], data["metadata"]) == ("damaged", "final_sale", {"erp": "E-1"})
    stored_before_them = parsed(event_of_change(None, refund(1, "CREATE"))).data
    assert (stored_before_them["reason"], stored_before_them["declineReason"], stored_before_them["metadata"]) == (
        None, None, {})


# ------------------------------------------------------------- signatures

def headers_for(secrets: list[dict], now: datetime, body: str = '{"id": "evt_1"}') -> dict[str, str]:
    from refunds_core.logic.delivery import signature_headers

    return signature_headers({"secrets": secrets}, "evt_1", body, now=now)


def test_our_signature_verifies_with_the_standardwebhooks_library():
    headers = headers_for([{"secret": SECRET}], datetime.now(UTC))
    assert headers["webhook-id"] == "evt_1"
    assert Webhook(SECRET).verify('{"id": "evt_1"}', headers) == {"id": "evt_1"}


def test_a_wrong_secret_or_an_altered_body_does_not_verify():
    headers = headers_for([{"secret": SECRET}], datetime.now(UTC))
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER).verify('{"id": "evt_1"}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify('{"id": "evt_2"}', headers)


def test_after_a_rotation_both_secrets_sign_until_the_old_one_expires():
    now = datetime.now(UTC)
    rotated = [{"secret": OTHER}, {"secret": SECRET, "expiresAt": (now + timedelta(hours=24)).isoformat()}]
    both = headers_for(rotated, now)
    assert Webhook(SECRET).verify('{"id": "evt_1"}', both) and Webhook(OTHER).verify('{"id": "evt_1"}', both)
    expired = [{"secret": OTHER}, {"secret": SECRET, "expiresAt": (now - timedelta(seconds=1)).isoformat()}]
    only_new = headers_for(expired, now)
    assert len(only_new["webhook-signature"].split()) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify('{"id": "evt_1"}', only_new)


def test_every_action_of_the_state_machine_has_an_event_type():
    from refunds_core.logic.transitions import TRANSITIONS

    assert set(events.TYPE_OF_ACTION) == {"CREATE", *TRANSITIONS}


def test_delivery_tasks_are_sent_in_batches_of_at_most_10_and_200_kib():
    from refunds_core.webhook_tasks import _batches

    assert [len(b) for b in _batches(["x"] * 23)] == [10, 10, 3]
    big = "y" * (45 * 1024)  # a refund with a long history
    assert [len(b) for b in _batches([big] * 10)] == [4, 4, 2]


def test_an_endpoint_trickling_its_answer_is_cut_off_at_the_deadline(monkeypatch):
    """The socket timeout bounds each read; the deadline bounds the whole POST."""
    import socket
    import threading
    import time

    from refunds_core.logic import delivery

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def trickle():
        client, _ = server.accept()
        client.recv(65536)
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
        try:
            for byte in answer:  # one byte every 0.2 s: each read is quick, the whole is ~10 s
                client.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            pass
        client.close()

    threading.Thread(target=trickle, daemon=True).start()
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 1)
    with pytest.raises(TimeoutError):  # cut mid-answer: a timeout, whatever the closed socket raised
        delivery._post(f"http://127.0.0.1:{port}/", "127.0.0.1", port, "127.0.0.1", b"{}", {})
    server.close()


def test_an_unforeseen_error_is_recorded_as_its_type_and_first_line_without_any_secret():
    from refunds_core.logic.delivery import unexpected_error

    endpoint = {"secrets": [{"secret": SECRET}, {"secret": OTHER, "expiresAt": "2026-11-23T10:00:00.000Z"}]}
    error = unexpected_error(ValueError(f"cannot sign with {SECRET} or {OTHER.removeprefix('whsec_')}\nmore"),
                             endpoint)
    assert error == "ValueError: cannot sign with whsec_[secret] or [secret]"
    assert unexpected_error(KeyError(), endpoint) == "KeyError"
    long = unexpected_error(RuntimeError("x" * 1000), endpoint)
    assert long.startswith("RuntimeError: xxx") and len(long) == 200


# ------------------------------------------------- one signed POST: its outcome

def _read_request(client) -> None:
    """The whole request, headers and body: closing with any of it unread would
    make the kernel answer a reset rather than the end of the stream, and the
    outcome then depends on how the client's writes were split."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return
        body += chunk


@pytest.fixture
def local_server():
    """A TCP server on loopback answering each connection with ``answer`` (bytes, or None: never)."""
    import socket
    import threading

    servers = []

    def start(answer: bytes | None) -> int:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)

        def serve():
            try:
                client, _ = server.accept()
            except OSError:
                return
            _read_request(client)
            if answer is not None:
                client.sendall(answer)
                client.close()
            else:
                servers.append(client)  # held open, silent, until the test ends

        threading.Thread(target=serve, daemon=True).start()
        return server.getsockname()[1]

    yield start
    for server in servers:
        server.close()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def loopback_allowed(monkeypatch):
    from refunds_core.settings import settings

    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_send_signs_and_posts_to_the_vetted_address(loopback_allowed, monkeypatch):
    """What every delivery and every test ping does: delivery.send, one place."""
    from refunds_core.logic import delivery

    sent = []
    monkeypatch.setattr(delivery, "_post", lambda url, host, port, address, body, headers: sent.append(
        (url, address, body, headers)) or 204)
    outcome = delivery.send({"url": "http://127.0.0.1:4000/hooks", "secrets": [{"secret": SECRET}]}, "evt_1",
                            '{"id":"evt_1"}')
    assert (outcome.delivered, outcome.status, outcome.error, outcome.problem) == (True, 204, None, None)
    ((url, address, body, headers),) = sent
    assert (url, address, body) == ("http://127.0.0.1:4000/hooks", "127.0.0.1", b'{"id":"evt_1"}')
    assert Webhook(SECRET).verify(body.decode(), headers) == {"id": "evt_1"}
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize(("answer", "status", "problem", "error"), [
    (b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", 204, None, None),
    (b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 500, None, None),     # an answer: not a problem
    (b"HTTP/1.1 302 Found\r\nLocation: http://10.0.0.1/\r\nContent-Length: 0\r\n\r\n", 302, None, None),  # not followed
    (b"SSH-2.0-OpenSSH_9.6\r\n", None, "invalid answer", "BadStatusLine"),
    (b"", None, "connection reset", "RemoteDisconnected"),
    (None, None, "timeout", "TimeoutError"),                                    # silent past the deadline
    ("closed", None, "connection refused", "ConnectionRefusedError"),
])
def test_each_outcome_of_a_post_has_its_fixed_words(loopback_allowed, local_server, monkeypatch, answer, status,
                                                    problem, error):
    from refunds_core.logic import delivery

    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.3)
    port = _closed_port() if answer == "closed" else local_server(answer)
    outcome = delivery.send({"url": f"http://127.0.0.1:{port}/hooks", "secrets": [{"secret": SECRET}]}, "evt_1",
                            "{}")
    assert (outcome.status, outcome.problem, outcome.error) == (status, problem, error)
    assert outcome.latency_ms >= 0


@pytest.mark.parametrize("url", ["https://10.1.2.3/hooks", "http://127.0.0.1:9/hooks", "https://[fd00::1]/x",
                                 "https://169.254.169.254/latest/meta-data/"])
def test_a_url_we_may_not_call_is_refused_and_the_merchants_words_name_no_address(monkeypatch, url):
    from refunds_core.logic import delivery
    from refunds_core.settings import settings

    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    settings.cache_clear()  # WEBHOOK_ALLOW_LOOPBACK unset: as deployed
    posted = []
    monkeypatch.setattr(delivery, "_post", lambda *args: posted.append(args) or 204)
    outcome = delivery.send({"url": url, "secrets": [{"secret": SECRET}]}, "evt_1", "{}")
    settings.cache_clear()
    assert posted == [] and outcome.status is None
    assert outcome.problem == "refused" and outcome.error.startswith("refused: ")  # the attempt's record says why
