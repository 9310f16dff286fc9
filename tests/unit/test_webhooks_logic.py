"""The webhook routes' rules that need no server: the secret's format, its
rotation and the rotation's body, the registration body, the replay body and
how a replay by time is cut into calls (refunds_core/logic/webhooks.py)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from ulid import ULID

from refunds_core import errors, events
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic import webhooks
from refunds_core.logic.delivery import signature_headers
from refunds_core.models import CreateWebhookRequest, ReplayRequest, RotateSecretRequest, UpdateWebhookRequest
from refunds_core.validation import parse
from refunds_core.webhook_urls import UnsafeUrl

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


# ---------------------------------------------------------------- secret

def test_a_secret_is_whsec_and_the_base64_of_24_random_bytes():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24
    assert secret != webhooks.new_secret()


def test_a_secret_signs_and_verifies_with_the_standardwebhooks_library():
    secret, body = webhooks.new_secret(), '{"id": "evt_1", "type": "refund.issued"}'
    now = datetime.now(UTC)
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign("evt_1", now, body)}
    assert Webhook(secret).verify(body, headers) == {"id": "evt_1", "type": "refund.issued"}
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, headers)


# -------------------------------------------------------------- rotation

DAY = timedelta(hours=24)


def _at(delta: timedelta) -> str:
    return (NOW + delta).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_rotation_puts_the_new_secret_first_and_keeps_the_previous_one_24_hours():
    rotated = webhooks.rotated_secrets([{"secret": "whsec_A"}], "whsec_B", NOW, DAY)
    assert rotated == [{"secret": "whsec_B"}, {"secret": "whsec_A", "expiresAt": "2026-11-23T10:00:00.000Z"}]


def test_rotation_keeps_older_secrets_until_their_own_expiry_and_drops_expired_ones():
    current = [{"secret": "whsec_C"}, {"secret": "whsec_B", "expiresAt": _at(timedelta(hours=5))},
               {"secret": "whsec_A", "expiresAt": _at(-timedelta(seconds=1))}]
    rotated = webhooks.rotated_secrets(current, "whsec_D", NOW, DAY)
    assert rotated == [{"secret": "whsec_D"}, {"secret": "whsec_C", "expiresAt": _at(timedelta(hours=24))},
                       {"secret": "whsec_B", "expiresAt": _at(timedelta(hours=5))}]


def test_rotation_keeps_at_most_five_secrets():
    current = [{"secret": "whsec_0"}] + [{"secret": f"whsec_{i}", "expiresAt": _at(timedelta(hours=i))}
                                         for i in range(1, 8)]
    rotated = webhooks.rotated_secrets(current, "whsec_new", NOW, DAY)
    assert [entry["secret"] for entry in rotated] == ["whsec_new", "whsec_0", "whsec_1", "whsec_2", "whsec_3"]


CURRENT = [{"secret": "whsec_C"}, {"secret": "whsec_B", "expiresAt": _at(timedelta(hours=5))},
           {"secret": "whsec_A", "expiresAt": _at(timedelta(minutes=30))}]


@pytest.mark.parametrize(("seconds", "expected"), [
    # 0: the old secrets stop signing now; the new one is alone
    (0, [("whsec_N", None)]),
    # shorter than the older secrets' own expiry: none of them outlives it
    (60, [("whsec_N", None), ("whsec_C", timedelta(seconds=60)), ("whsec_B", timedelta(seconds=60)),
          ("whsec_A", timedelta(seconds=60))]),
    # between them: the one expiring sooner keeps its own time
    (3600, [("whsec_N", None), ("whsec_C", timedelta(hours=1)), ("whsec_B", timedelta(hours=1)),
            ("whsec_A", timedelta(minutes=30))]),
    # the default, and the longest: older secrets keep their own expiry, never extended
    (86_400, [("whsec_N", None), ("whsec_C", timedelta(days=1)), ("whsec_B", timedelta(hours=5)),
              ("whsec_A", timedelta(minutes=30))]),
    (604_800, [("whsec_N", None), ("whsec_C", timedelta(days=7)), ("whsec_B", timedelta(hours=5)),
               ("whsec_A", timedelta(minutes=30))]),
])
def test_the_previous_secrets_sign_for_the_overlap_asked_at_most(seconds, expected):
    rotated = webhooks.rotated_secrets(CURRENT, "whsec_N", NOW, timedelta(seconds=seconds))
    assert rotated == [{"secret": secret} if delta is None else {"secret": secret, "expiresAt": _at(delta)}
                       for secret, delta in expected]


def test_after_a_rotation_with_no_overlap_deliveries_are_signed_with_the_new_secret_alone():
    old, new = webhooks.new_secret(), webhooks.new_secret()
    secrets = webhooks.rotated_secrets([{"secret": old}], new, NOW, timedelta(0))
    body = '{"id": "evt_1"}'
    headers = signature_headers({"secrets": secrets}, "evt_1", body, now=datetime.now(UTC))
    assert len(headers["webhook-signature"].split()) == 1
    Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


@pytest.mark.parametrize(("body", "seconds"), [
    ({}, 86_400), ({"previousSecretExpiresIn": 0}, 0), ({"previousSecretExpiresIn": 1}, 1),
    ({"previousSecretExpiresIn": 3600}, 3600), ({"previousSecretExpiresIn": 604_800}, 604_800),
])
def test_rotation_bodies_that_parse(body, seconds):
    assert parse(RotateSecretRequest, body).previousSecretExpiresIn == seconds


FIELD = "previousSecretExpiresIn"


@pytest.mark.parametrize(("body", "fields"), [
    ({FIELD: -1}, [FIELD]), ({FIELD: 604_801}, [FIELD]), ({FIELD: None}, [FIELD]), ({FIELD: "3600"}, [FIELD]),
    ({FIELD: 3600.0}, [FIELD]), ({FIELD: True}, [FIELD]),
    ({FIELD: Decimal("1" * 50)}, [FIELD]),  # how validation.py reads a number too long for an int
    ({FIELD: 0, "secret": "whsec_x"}, ["secret"]), ({"expiresIn": 0}, ["expiresIn"]),
])
def test_rotation_fields_are_validated(body, fields):
    with pytest.raises(FieldErrors) as raised:
        parse(RotateSecretRequest, body)
    assert raised.value.fields == fields


# ------------------------------------------------------ registration body

@pytest.fixture
def vetting(monkeypatch):
    """URL vetting without DNS: hosts named 'bad...' are refused."""
    def vetted(url: str):
        if "//bad" in url:
            raise UnsafeUrl("refused")
        return "hooks.example.com", 443, ["93.184.215.14"]

    monkeypatch.setattr(webhooks, "vetted_addresses", vetted)


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["url", "events"]),
    ({"url": "https://bad.example.com/", "events": ["refund.issued"]}, ["url"]),
    ({"url": "https://bad.example.com/", "events": ["refund.nope"]}, ["url", "events[0]"]),
    ({"url": "https://ok.example.com/", "events": []}, ["events"]),
    ({"url": "https://ok.example.com/", "events": "refund.issued"}, ["events"]),
    ({"url": "https://ok.example.com/", "events": None}, ["events"]),
    ({"url": "https://ok.example.com/", "events": ["refund.issued", "refund.unknown", 3]}, ["events[1]", "events[2]"]),
    ({"url": "https://ok.example.com/", "events": ["refund.issued", "refund.denied", "refund.issued"]},
     ["events[2]"]),
    ({"url": None, "events": ["refund.issued"]}, ["url"]),
    ({"url": 5, "events": ["refund.issued"]}, ["url"]),
    ({"url": "", "events": ["refund.issued"]}, ["url"]),
    ({"url": "https://ok.example.com/" + "a" * 2048, "events": ["refund.issued"]}, ["url"]),
    ({"url": "https://ok.example.com/", "events": ["refund.issued"], "secret": "whsec_x"}, ["secret"]),
    ({"url": "https://ok.example.com/", "events": ["refund.issued"], "description": ""}, ["description"]),
    ({"url": "https://ok.example.com/", "events": ["refund.issued"], "description": " "}, ["description"]),
    ({"url": "https://ok.example.com/", "events": ["refund.issued"], "description": None}, ["description"]),
    ({"url": "https://ok.example.com/", "events": ["refund.issued"], "enabled": False}, ["enabled"]),
])
def test_registration_fields_are_validated(vetting, body, fields):
    with pytest.raises(FieldErrors) as raised:
        webhooks._endpoint_fields(CreateWebhookRequest, body)
    assert raised.value.fields == fields


def test_every_event_type_may_be_subscribed_to(vetting):
    types = ["refund.created", "refund.approved", "refund.shipment_provided", "refund.issued", "refund.denied",
             "refund.cancelled", "refund.failed"]
    request = webhooks._endpoint_fields(CreateWebhookRequest, {"url": "https://ok.example.com/", "events": types})
    assert list(request.events) == types


# ---------------------------------------------------------- PATCH body

@pytest.mark.parametrize(("body", "fields"), [
    ({"url": "https://bad.example.com/"}, ["url"]),   # vetted as at registration
    ({"url": None}, ["url"]),
    ({"url": ""}, ["url"]),
    ({"events": []}, ["events"]),
    ({"events": None}, ["events"]),
    ({"events": ["refund.issued", "refund.issued"]}, ["events[1]"]),
    ({"events": ["webhook_endpoint.disabled"]}, ["events[0]"]),  # listed by the events API, never delivered
    ({"description": ""}, ["description"]),
    ({"description": "x" * 501}, ["description"]),
    ({"description": "ERP\x00"}, ["description"]),
    ({"enabled": None}, ["enabled"]),
    ({"enabled": "true"}, ["enabled"]),
    ({"secret": "whsec_x", "createdAt": "2026-01-01T00:00:00Z"}, ["secret", "createdAt"]),
    ({"url": "https://bad.example.com/", "events": ["refund.nope"], "enabled": 1}, ["url", "events[0]", "enabled"]),
])
def test_changed_fields_are_validated_as_at_registration(vetting, body, fields):
    with pytest.raises(FieldErrors) as raised:
        webhooks._endpoint_fields(UpdateWebhookRequest, body)
    assert raised.value.fields == fields


NOW_ISO = "2026-11-22T10:00:00.000Z"
ENABLED = {"id": "whk_1", "url": "https://a.example/", "events": ["refund.issued"], "description": "ERP",
           "failingSince": "2026-11-20T10:00:00.000Z", "updatedAt": "2026-11-01T00:00:00.000Z"}
DISABLED = {**ENABLED, "enabled": False, "disabledReason": "failing"}


@pytest.mark.parametrize(("endpoint", "body", "assigned", "removed"), [
    (ENABLED, {}, {}, []),                                            # nothing named: nothing written
    (ENABLED, {"enabled": True}, {}, []),                             # already enabled: its streak goes on
    (ENABLED, {"description": "ERP production"}, {"description": "ERP production"}, []),
    (ENABLED, {"description": None}, {}, ["description"]),
    ({**ENABLED, "description": None}, {"description": None}, {}, []),
    # A new URL: the old one's failures count no more.
    (ENABLED, {"url": "https://b.example/", "events": ["refund.issued", "refund.denied"]},
     {"url": "https://b.example/", "events": ["refund.issued", "refund.denied"]}, ["failingSince"]),
    (ENABLED, {"url": "https://a.example/"}, {"url": "https://a.example/"}, []),  # the same URL: its streak goes on
    ({**ENABLED, "failingSince": None}, {"url": "https://b.example/"}, {"url": "https://b.example/"}, []),
    (DISABLED, {"url": "https://b.example/"}, {"url": "https://b.example/"}, ["failingSince"]),  # still disabled
    (DISABLED, {"url": "https://b.example/", "enabled": True},
     {"url": "https://b.example/", "enabled": True}, ["disabledReason", "failingSince"]),
    (ENABLED, {"enabled": False}, {"enabled": False, "disabledReason": "merchant"}, []),
    (DISABLED, {"enabled": False}, {}, []),                           # stays disabled for the reason it had
    # Enabled again: the failures of before count no more.
    (DISABLED, {"enabled": True}, {"enabled": True}, ["disabledReason", "failingSince"]),
])
def test_a_patch_sets_what_it_names_and_enabling_starts_afresh(vetting, endpoint, body, assigned, removed):
    request = webhooks._endpoint_fields(UpdateWebhookRequest, body)
    changed, gone = webhooks.changes(endpoint, request, NOW_ISO)
    assert (changed, gone) == (({**assigned, "updatedAt": NOW_ISO}, removed) if assigned or removed else ({}, []))


# ------------------------------------------------------------ replay body

@pytest.mark.parametrize("body", [
    {"eventId": "evt_01JD0000000000000000000000"}, {"since": "2026-11-22T10:00:00Z"},
    {"since": "2026-11-22T12:00:00.250+02:00"}, {"since": "2026-11-22 10:00:00+00:00"},
])
def test_replay_bodies_that_parse(body):
    parse(ReplayRequest, body)


@pytest.mark.parametrize(("body", "fields"), [
    ({"eventId": "rf_01JD0000000000000000000000"}, ["eventId"]),
    ({"eventId": "evt_x"}, ["eventId"]),
    ({"eventId": None}, ["eventId"]),
    ({"since": "2026-11-22T10:00:00"}, ["since"]),      # no offset
    ({"since": "2026-11-22"}, ["since"]),
    ({"since": "yesterday"}, ["since"]),
    ({"since": 1795255200}, ["since"]),
    ({"since": "2026-11-22T10:00:00Z", "limit": 5}, ["limit"]),
])
def test_replay_fields_are_validated(body, fields):
    with pytest.raises(FieldErrors) as raised:
        parse(ReplayRequest, body)
    assert raised.value.fields == fields


# -------------------------------------------------------- replay by id

NOW_S = 1_795_255_200


@pytest.mark.parametrize("event", [
    None,                                                                       # no such event
    {"eventId": "evt_1", "eventType": "refund.issued", "expiresAt": NOW_S},   # expired, not yet deleted
    {"eventId": "evt_1", "eventType": "webhook_endpoint.disabled", "expiresAt": NOW_S + 60},  # listed only
])
def test_a_replay_by_id_refuses_what_it_would_not_deliver_as_an_unknown_event(event):
    with pytest.raises(ApiError) as refused:
        webhooks._replayable(event, NOW_S)
    assert refused.value.entries == [(errors.EVENT_NOT_FOUND.code, errors.EVENT_NOT_FOUND.message)]


@pytest.mark.parametrize("event_type", events.TYPES)
def test_a_replay_by_id_delivers_any_refund_event_again(event_type):
    event = {"eventId": "evt_1", "eventType": event_type, "expiresAt": NOW_S + 1}
    assert webhooks._replayable(event, NOW_S) is event


# ------------------------------------------------------ replay by time

def _event(millis: int) -> dict:
    return {"eventId": f"evt_{ULID.from_timestamp(millis / 1000)}", "eventType": "refund.issued"}


def _millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


START = 1_795_255_200_000


def test_a_short_replay_is_one_call():
    read = [_event(START + i) for i in range(100)]
    assert webhooks._replay_page(read) == (read, None)


def test_a_long_replay_stops_on_a_millisecond_boundary():
    # 101 read: the 100th and 101st share a millisecond, so the 100th waits for the next call
    read = [_event(START + i) for i in range(99)] + [_event(START + 99), _event(START + 99)]
    page, next_since = webhooks._replay_page(read)
    assert page == read[:99]
    assert _millis(next_since) == START + 99


def test_a_replay_whose_events_all_share_one_millisecond_still_moves_on():
    read = [_event(START) for _ in range(101)]
    page, next_since = webhooks._replay_page(read)
    assert page == read[:100]
    assert _millis(next_since) == START + 1
