"""Refund events from the table's changes (logic/publishing.event_of_change) and their
Standard Webhooks signatures (refunds_core/logic/delivery.py), without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from refunds_core import events
from refunds_core.logic.publishing import event_of_change

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"


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
    event = event_of_change(before, after)
    assert event.type == event_type
    assert event.merchantId == "demo"
    assert event.data["id"] == after["id"] and event.data["amount"] == "59.50"  # the refund as GET shows it
    assert event.createdAt == after["history"][-1]["at"]


def test_a_new_refund_is_refund_created():
    assert event_of_change(None, refund(1, "CREATE")).type == "refund.created"


def test_the_same_change_always_has_the_same_id_and_ids_sort_by_time():
    first = event_of_change(None, refund(1, "CREATE"))
    again = event_of_change(None, refund(1, "CREATE"))
    later = event_of_change(refund(1, "CREATE"), refund(2, "CREATE", "APPROVE"))
    assert first.id == again.id and first.id.startswith("evt_")
    assert later.id != first.id and later.id > first.id


def test_the_sequence_is_the_refunds_version_and_a_top_level_field_of_the_signed_body():
    actions = ["CREATE", "APPROVE", "SHIP_INIT", "ISSUE"]
    changes = [event_of_change(refund(n - 1, *actions[:n - 1]) if n > 1 else None, refund(n, *actions[:n]))
               for n in range(1, len(actions) + 1)]
    assert [(event.type, event.sequence) for event in changes] == [
        ("refund.created", 1), ("refund.approved", 2), ("refund.shipment_provided", 3), ("refund.issued", 4)]
    body = changes[1].model_dump_json()
    assert list(json.loads(body)) == ["id", "type", "createdAt", "merchantId", "sequence", "data"]
    headers = headers_for([{"secret": SECRET}], datetime.now(UTC), body)
    assert Webhook(SECRET).verify(body, headers)["sequence"] == 2
    with pytest.raises(WebhookVerificationError):  # the signature covers it
        Webhook(SECRET).verify(body.replace('"sequence":2', '"sequence":5'), headers)


def test_an_event_queued_before_sequences_existed_still_parses_with_its_refunds_version():
    body = json.loads(event_of_change(None, refund(1, "CREATE")).model_dump_json())
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
    data = event_of_change(refund(1, "CREATE"), denied).data
    assert (data["reason"], data["declineReason"], data["metadata"]) == ("damaged", "final_sale", {"erp": "E-1"})
    stored_before_them = event_of_change(None, refund(1, "CREATE")).data
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
    import http.client
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
    with pytest.raises((OSError, http.client.HTTPException)):  # cut mid-answer: what _attempt records
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
