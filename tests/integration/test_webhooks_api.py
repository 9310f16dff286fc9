"""The webhook endpoint routes through the local API: register, list, delete,
rotate the secret, list deliveries, replay (refunds_core/logic/webhooks.py).

The local runtime sets WEBHOOK_ALLOW_LOOPBACK for its functions, so endpoints
here are http://127.0.0.1 URLs (nothing listens on port 9: a delivery there
fails fast). Tests that count endpoints or events use a fresh merchant of
their own; the others use demo and delete what they register.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook
from ulid import ULID

from refunds_core.dal.codec import from_item, to_item
from tests.conftest import ROOT, LambdaContext, as_function, load_handler
from tests.integration.test_lifecycle_api import customer_token

pytestmark = pytest.mark.server

WEBHOOK_ID = re.compile(r"whk_[0-9A-HJKMNP-TV-Z]{26}")
NOT_FOUND = {"errors": [{"error": 15160, "message": "Webhook endpoint not found."}]}
EVENT_NOT_FOUND = {"errors": [{"error": 15170, "message": "Event not found."}]}
TOO_MANY = {"errors": [{"error": 15180, "message": "Too many webhook endpoints."}]}


def hook_url() -> str:
    return f"http://127.0.0.1:9/hooks/{uuid.uuid4().hex[:8]}"


def register(api, url: str | None = None, events=("refund.issued",), **who):
    who = who or {"login": "demo"}
    return api.request("POST", "/v1/webhooks", json_body={"url": url or hook_url(), "events": list(events)}, **who)


def field_errors(answer) -> list[str]:
    assert answer.status == 400, answer
    return [e["message"].removeprefix("Invalid field value: ") for e in answer.body["errors"] if e["error"] == 15010]


@pytest.fixture
def endpoint(api):
    """A demo endpoint (with its secret), deleted after the test."""
    answer = register(api, events=["refund.issued", "refund.denied"])
    assert answer.status == 201, answer
    yield answer.body["data"]
    api.request("DELETE", f"/v1/webhooks/{answer.body['data']['id']}", login="demo")


def stored(dynamodb, table_name, pk: str, sk: str) -> dict | None:
    return from_item(dynamodb.get_item(TableName=table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                                       ConsistentRead=True).get("Item"))


def put_event(dynamodb, table_name, merchant_id: str, event_type: str, *, at: datetime | None = None,
              expired: bool = False) -> str:
    """An event kept for replay, as the dispatcher keeps it."""
    at = at or datetime.now(UTC)
    event_id = f"evt_{ULID.from_datetime(at)}"
    created = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = json.dumps({"id": event_id, "type": event_type, "createdAt": created, "merchantId": merchant_id,
                       "data": {}})
    expires = int(time.time()) + (-60 if expired else 30 * 86400)
    dynamodb.put_item(TableName=table_name, Item={
        "PK": {"S": f"EVENTS#{merchant_id}"}, "SK": {"S": event_id},
        **to_item({"type": "WebhookEvent", "merchantId": merchant_id, "eventId": event_id, "eventType": event_type,
                   "body": body, "createdAt": created, "expiresAt": expires})})
    return event_id


def put_attempt(dynamodb, table_name, webhook_id: str, n: int) -> None:
    dynamodb.put_item(TableName=table_name, Item={
        "PK": {"S": f"WEBHOOK#{webhook_id}"}, "SK": {"S": f"ATTEMPT#{ULID()}"},
        **to_item({"type": "WebhookAttempt", "webhookId": webhook_id, "eventId": f"evt_{ULID()}",
                   "eventType": "refund.issued", "attempt": n, "statusCode": 500 if n % 2 else None,
                   "error": None if n % 2 else "ConnectionRefusedError", "outcome": "retrying",
                   "at": f"2026-11-22T10:00:{n:02d}.000Z", "replay": False, "expiresAt": int(time.time()) + 3600})})
    time.sleep(0.002)  # attempt ids are ULIDs: one per millisecond keeps their order that of n


# -------------------------------------------------------------- register

SHOWN = ("id", "url", "events", "description", "enabled", "disabledReason", "failingSince", "createdAt", "updatedAt")


def shown(endpoint: dict) -> dict:
    """An endpoint as every route but the registration shows it: without its secret."""
    return {key: endpoint[key] for key in SHOWN}


def test_a_merchant_registers_an_endpoint_and_sees_its_secret_once(api, endpoint):
    assert set(endpoint) == {*SHOWN, "secret"}
    assert (endpoint["enabled"], endpoint["disabledReason"], endpoint["failingSince"]) == (True, None, None)
    assert endpoint["description"] is None and endpoint["updatedAt"] == endpoint["createdAt"]
    assert WEBHOOK_ID.fullmatch(endpoint["id"])
    assert endpoint["events"] == ["refund.issued", "refund.denied"]
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", endpoint["secret"])
    assert datetime.fromisoformat(endpoint["createdAt"]) > datetime.now(UTC) - timedelta(minutes=1)

    listed = api.request("GET", "/v1/webhooks", login="demo")
    assert listed.status == 200
    mine = [e for e in listed.body["data"] if e["id"] == endpoint["id"]]
    assert mine == [shown(endpoint)]
    assert not any("secret" in e or "secrets" in e for e in listed.body["data"])
    assert endpoint["secret"] not in json.dumps(listed.body)


def test_the_secret_is_a_standard_webhooks_secret(endpoint):
    body = '{"id": "evt_1"}'
    now = datetime.now(UTC)
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(endpoint["secret"]).sign("evt_1", now, body)}
    assert Webhook(endpoint["secret"]).verify(body, headers) == {"id": "evt_1"}


def test_the_endpoint_is_stored_as_the_dispatcher_reads_it(endpoint, dynamodb, table_name):
    item = stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}")
    assert item["type"] == "WebhookEndpoint" and item["merchantId"] == "demo"
    assert (item["id"], item["url"], item["events"]) == (endpoint["id"], endpoint["url"], endpoint["events"])
    assert item["secrets"] == [{"secret": endpoint["secret"]}]
    assert item["createdAt"] == item["updatedAt"] == endpoint["createdAt"]


@pytest.mark.parametrize("url", [
    "http://93.184.215.14/refunds",                  # http, and not loopback
    "https://10.0.0.1/hook",                         # private
    "https://192.168.1.20:8443/hook",
    "https://169.254.169.254/latest/meta-data/",     # link-local: the metadata service
    "http://169.254.169.254/",
    "https://[fd00::1]/hook",                        # unique local IPv6
    "https://[::ffff:10.0.0.1]/hook",                # IPv4-mapped private
    "http://0.0.0.0:9/hook",                         # unspecified
    "https://user:pw@127.0.0.1:9/hook",              # userinfo
    "http://demo@127.0.0.1:9/hook",
    "ftp://127.0.0.1/hook",
    "127.0.0.1:9/hook",
    "http://127.0.0.1:9/" + "a" * 2048,              # too long
    "http://127.0.0.1:9/" + "é" * 400,               # too long once encoded (2400 characters)
    "http://127.0.0.1:9/\u200bhook",                 # an invisible character
    "http://bü..example/",                           # a malformed international host
])
def test_urls_we_may_not_post_to_are_refused(api, url):
    assert field_errors(register(api, url)) == ["url"]


@pytest.mark.parametrize(("events", "fields"), [
    ([], ["events"]),
    (["refund.unknown"], ["events[0]"]),
    (["refund.issued", "REFUND.DENIED"], ["events[1]"]),
    (["refund.issued", "refund.issued"], ["events[1]"]),
    (["refund.issued", None], ["events[1]"]),
])
def test_event_types_are_validated(api, events, fields):
    assert field_errors(register(api, events=events)) == fields


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["url", "events"]),
    ({"url": None, "events": None}, ["url", "events"]),
    ({"url": "https://10.0.0.1/", "events": ["refund.nope"]}, ["url", "events[0]"]),
    ({"url": "http://127.0.0.1:9/", "events": "refund.issued"}, ["events"]),
    ({"url": "http://127.0.0.1:9/", "events": ["refund.issued"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
     ["secret"]),
])
def test_registration_errors_accumulate(api, body, fields):
    answer = api.request("POST", "/v1/webhooks", json_body=body, login="demo")
    assert field_errors(answer) == fields


def test_registration_body_is_json_checked_first(api):
    assert api.request("POST", "/v1/webhooks", raw=b"{", login="demo",
                       headers={"Content-Type": "application/json"}).codes == [110]
    assert api.request("POST", "/v1/webhooks", raw=b"{}", login="demo",
                       headers={"Content-Type": "text/plain"}).codes == [111]


def test_loopback_and_private_urls_are_refused_outside_local_mode(runtime, monkeypatch):
    """The deployed stack's setting (no WEBHOOK_ALLOW_LOOPBACK): the function run here, on the sample event."""
    from localrun.tokens import fill_token_placeholders

    monkeypatch.syspath_prepend(str(ROOT / "shared"))
    with as_function(runtime, "CreateWebhookFunction", env={"WEBHOOK_ALLOW_LOOPBACK": "false"}, fresh_clients=True):
        event = fill_token_placeholders(json.loads((ROOT / "events" / "create_webhook.json").read_text()),
                                        runtime.token)
        handler = load_handler("CreateWebhookFunction")
        for url in ("http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "http://localhost:8080/hook",
                    "https://[::1]/hook", "https://10.0.0.1/hook"):
            response = handler({**event, "body": json.dumps({"url": url, "events": ["refund.issued"]})},
                               LambdaContext())
            assert response["statusCode"] == 400, response
            assert json.loads(response["body"])["errors"] == [{"error": 15010, "message": "Invalid field value: url"}]


# ------------------------------------------------------------------ limit

def test_a_merchant_has_at_most_ten_endpoints(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    ids = []
    for _ in range(10):
        answer = register(api, token=token)
        assert answer.status == 201, answer
        ids.append(answer.body["data"]["id"])
    refused = register(api, token=token)
    assert refused.status == 400 and refused.body == TOO_MANY
    assert [e["id"] for e in api.request("GET", "/v1/webhooks", token=token).body["data"]] == ids  # oldest first
    assert stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", "MERCHANT")["webhookCount"] == 10

    assert api.request("DELETE", f"/v1/webhooks/{ids[3]}", token=token).status == 200
    assert stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", "MERCHANT")["webhookCount"] == 9
    assert register(api, token=token).status == 201
    assert register(api, token=token).body == TOO_MANY


def test_the_limit_holds_under_concurrent_registrations(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: register(api, token=token), range(14)))
    assert sorted(a.status for a in answers) == [201] * 10 + [400] * 4, [a.body for a in answers if a.status >= 500]
    assert len(api.request("GET", "/v1/webhooks", token=token).body["data"]) == 10
    assert stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", "MERCHANT")["webhookCount"] == 10


# ------------------------------------------------------- read and change

def test_a_merchant_reads_one_of_its_endpoints(api, endpoint):
    answer = api.request("GET", f"/v1/webhooks/{endpoint['id']}", login="demo")
    assert (answer.status, answer.body) == (200, {"data": shown(endpoint)})


def test_a_merchant_changes_an_endpoint_and_only_what_it_names(api, endpoint, dynamodb, table_name):
    path = f"/v1/webhooks/{endpoint['id']}"
    changed = api.request("PATCH", path, login="demo", json_body={
        "url": "http://127.0.0.1:9/hooks/café", "events": ["refund.created"], "description": "ERP production"})
    assert changed.status == 200, changed
    data = changed.body["data"]
    assert (data["url"], data["events"], data["description"]) == (
        "http://127.0.0.1:9/hooks/caf%C3%A9", ["refund.created"], "ERP production")  # stored as its URI
    assert data["updatedAt"] > endpoint["updatedAt"] and data["createdAt"] == endpoint["createdAt"]
    assert api.request("GET", path, login="demo").body == changed.body
    cleared = api.request("PATCH", path, login="demo", json_body={"description": None})
    assert cleared.body["data"] == {**data, "description": None, "updatedAt": cleared.body["data"]["updatedAt"]}
    item = stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}")
    assert "description" not in item and item["secrets"] == [{"secret": endpoint["secret"]}]  # the secret stays

    refused = api.request("PATCH", path, login="demo", json_body={"url": "https://10.0.0.1/", "events": []})
    assert field_errors(refused) == ["url", "events"]
    assert api.request("GET", path, login="demo").body == cleared.body  # nothing of a refused PATCH is written


def test_a_merchant_disables_and_enables_an_endpoint(api, endpoint):
    path = f"/v1/webhooks/{endpoint['id']}"
    off = api.request("PATCH", path, login="demo", json_body={"enabled": False})
    assert off.status == 200
    assert (off.body["data"]["enabled"], off.body["data"]["disabledReason"]) == (False, "merchant")
    on = api.request("PATCH", path, login="demo", json_body={"enabled": True})
    assert (on.body["data"]["enabled"], on.body["data"]["disabledReason"], on.body["data"]["failingSince"]) == (
        True, None, None)


def test_a_patch_repeated_with_its_key_answers_the_first_answer(api, endpoint):
    path, key = f"/v1/webhooks/{endpoint['id']}", {"Idempotency-Key": f"patch-{uuid.uuid4()}"}
    first = api.request("PATCH", path, login="demo", json_body={"description": "first"}, headers=key)
    api.request("PATCH", path, login="demo", json_body={"description": "meanwhile"})
    again = api.request("PATCH", path, login="demo", json_body={"description": "first"}, headers=key)
    assert again.body == first.body and again.headers.get("idempotent-replayed") == "true"
    assert api.request("GET", path, login="demo").body["data"]["description"] == "meanwhile"  # not applied twice


# ---------------------------------------------------------------- delete

def test_a_merchant_deletes_an_endpoint(api, endpoint, dynamodb, table_name):
    path = f"/v1/webhooks/{endpoint['id']}"
    count = stored(dynamodb, table_name, "MERCHANT#demo", "MERCHANT")["webhookCount"]
    deleted = api.request("DELETE", path, login="demo")
    assert deleted.status == 200
    assert deleted.body == {"data": shown(endpoint)}
    assert endpoint["id"] not in [e["id"] for e in api.request("GET", "/v1/webhooks", login="demo").body["data"]]
    assert stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}") is None
    assert stored(dynamodb, table_name, "MERCHANT#demo", "MERCHANT")["webhookCount"] == count - 1

    for method, suffix in (("DELETE", ""), ("POST", "/rotate-secret"), ("GET", "/deliveries")):
        again = api.request(method, path + suffix, login="demo")
        assert (again.status, again.body) == (404, NOT_FOUND)


@pytest.mark.parametrize("webhook_id", ["nope", f"whk_{ULID()}", "whk_" + "0" * 27, "rf_01JD0000000000000000000000"],
                         ids=["not an id", "a fresh id", "zeros", "a refund id"])
def test_unknown_and_malformed_ids_are_not_found(api, webhook_id):
    for method, suffix, body in (("DELETE", "", None), ("POST", "/rotate-secret", None), ("GET", "/deliveries", None),
                                 ("POST", "/replay", {"since": "2026-01-01T00:00:00Z"}), ("GET", "", None),
                                 ("PATCH", "", {"enabled": False}), ("POST", "/test", None)):
        answer = api.request(method, f"/v1/webhooks/{webhook_id}{suffix}", json_body=body, login="demo")
        assert (answer.status, answer.body) == (404, NOT_FOUND), (method, suffix)


# ---------------------------------------------------------------- rotate

def test_rotation_gives_a_new_secret_and_keeps_the_old_one_for_24_hours(api, endpoint, dynamodb, table_name):
    path = f"/v1/webhooks/{endpoint['id']}/rotate-secret"
    first = api.request("POST", path, login="demo")
    assert first.status == 200
    assert set(first.body["data"]) == {"id", "secret", "previousSecretExpiresAt"}
    assert first.body["data"]["id"] == endpoint["id"]
    new_secret, expires = first.body["data"]["secret"], first.body["data"]["previousSecretExpiresAt"]
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", new_secret) and new_secret != endpoint["secret"]
    Webhook(new_secret)
    in_24h = datetime.now(UTC) + timedelta(hours=24)
    assert abs(datetime.fromisoformat(expires) - in_24h) < timedelta(minutes=1)

    item = stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}")
    assert item["secrets"] == [{"secret": new_secret}, {"secret": endpoint["secret"], "expiresAt": expires}]

    second = api.request("POST", path, login="demo").body["data"]
    item = stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}")
    assert [s["secret"] for s in item["secrets"]] == [second["secret"], new_secret, endpoint["secret"]]
    assert item["secrets"][1]["expiresAt"] == second["previousSecretExpiresAt"]
    assert item["secrets"][2]["expiresAt"] == expires  # the oldest keeps its own 24 hours
    listed = api.request("GET", "/v1/webhooks", login="demo")
    assert second["secret"] not in json.dumps(listed.body)


def test_rotation_takes_how_long_the_previous_secrets_keep_signing(api, endpoint, dynamodb, table_name):
    path = f"/v1/webhooks/{endpoint['id']}/rotate-secret"
    answer = api.request("POST", path, login="demo", json_body={"previousSecretExpiresIn": 3600})
    assert answer.status == 200, answer
    expires = answer.body["data"]["previousSecretExpiresAt"]
    assert abs(datetime.fromisoformat(expires) - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=1)
    item = stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}")
    assert item["secrets"] == [{"secret": answer.body["data"]["secret"]},
                               {"secret": endpoint["secret"], "expiresAt": expires}]

    assert field_errors(api.request("POST", path, login="demo", json_body={"previousSecretExpiresIn": 604_801})) == [
        "previousSecretExpiresIn"]
    assert api.request("POST", path, login="demo", raw=b"{", headers={"Content-Type": "application/json"}).codes == [
        110]
    assert stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}") == item  # refused: unchanged


def test_concurrent_rotations_each_keep_their_secret(api, endpoint, dynamodb, table_name):
    path = f"/v1/webhooks/{endpoint['id']}/rotate-secret"
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda _: api.request("POST", path, login="demo"), range(3)))
    assert [a.status for a in answers] == [200] * 3, [a.body for a in answers]
    kept = [s["secret"] for s in stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}")["secrets"]]
    assert sorted(kept) == sorted([a.body["data"]["secret"] for a in answers] + [endpoint["secret"]])


# ------------------------------------------------------------ deliveries

def test_a_new_endpoint_has_no_deliveries(api, endpoint):
    answer = api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries", login="demo")
    assert (answer.status, answer.body) == (200, {"data": [], "nextCursor": None})


def test_deliveries_are_listed_newest_first_in_pages(api, endpoint, dynamodb, table_name):
    for n in range(1, 6):
        put_attempt(dynamodb, table_name, endpoint["id"], n)
    path = f"/v1/webhooks/{endpoint['id']}/deliveries"
    first = api.request("GET", f"{path}?limit=2", login="demo")
    assert first.status == 200
    assert [d["attempt"] for d in first.body["data"]] == [5, 4]
    assert set(first.body["data"][0]) == {"eventId", "eventType", "statusCode", "outcome", "attempt", "at", "replay",
                                          "error"}
    assert first.body["data"][0]["statusCode"] == 500 and first.body["data"][0]["error"] is None
    assert first.body["data"][1]["statusCode"] is None and first.body["data"][1]["error"] == "ConnectionRefusedError"
    seen, cursor = [5, 4], first.body["nextCursor"]
    while cursor:
        page = api.request("GET", f"{path}?limit=2&cursor={cursor}", login="demo")
        assert page.status == 200, page
        seen += [d["attempt"] for d in page.body["data"]]
        cursor = page.body["nextCursor"]
    assert seen == [5, 4, 3, 2, 1]


@pytest.mark.parametrize(("query", "fields"), [
    ("limit=0", ["limit"]), ("limit=101", ["limit"]), ("limit=abc", ["limit"]), ("limit=1&limit=2", ["limit"]),
    ("cursor=nope", ["cursor"]), ("cursor=e30.AAAA", ["cursor"]), ("page=2", ["page"]),
])
def test_deliveries_query_is_validated(api, endpoint, query, fields):
    answer = api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries?{query}", login="demo")
    assert field_errors(answer) == fields


def test_a_deliveries_cursor_only_opens_for_its_endpoint_and_limit(api, endpoint, dynamodb, table_name):
    for n in range(1, 4):
        put_attempt(dynamodb, table_name, endpoint["id"], n)
    cursor = api.request("GET", f"/v1/webhooks/{endpoint['id']}/deliveries?limit=1", login="demo").body["nextCursor"]
    assert cursor
    other = register(api).body["data"]
    try:
        for path in (f"/v1/webhooks/{other['id']}/deliveries?limit=1&cursor={cursor}",
                     f"/v1/webhooks/{endpoint['id']}/deliveries?limit=2&cursor={cursor}",
                     f"/v1/webhooks/{endpoint['id']}/deliveries?limit=1&cursor={cursor[:-2]}"):
            assert field_errors(api.request("GET", path, login="demo")) == ["cursor"], path
    finally:
        api.request("DELETE", f"/v1/webhooks/{other['id']}", login="demo")


# ---------------------------------------------------------------- replay

def test_replaying_one_event(api, endpoint, dynamodb, table_name):
    event_id = put_event(dynamodb, table_name, "demo", "refund.issued")
    answer = api.request("POST", f"/v1/webhooks/{endpoint['id']}/replay", json_body={"eventId": event_id},
                         login="demo")
    assert (answer.status, answer.body) == (202, {"data": {"queued": 1, "nextSince": None}})


def test_an_event_is_replayed_by_id_even_to_an_endpoint_not_subscribed_to_its_type(api, endpoint, dynamodb,
                                                                                   table_name):
    event_id = put_event(dynamodb, table_name, "demo", "refund.cancelled")
    answer = api.request("POST", f"/v1/webhooks/{endpoint['id']}/replay", json_body={"eventId": event_id},
                         login="demo")
    assert answer.status == 202 and answer.body["data"]["queued"] == 1


def test_replaying_an_unknown_expired_or_foreign_event_is_not_found(api, endpoint, dynamodb, table_name):
    foreign = put_event(dynamodb, table_name, "demo2", "refund.issued")
    expired = put_event(dynamodb, table_name, "demo", "refund.issued", expired=True)
    for event_id in (f"evt_{ULID()}", foreign, expired):
        answer = api.request("POST", f"/v1/webhooks/{endpoint['id']}/replay", json_body={"eventId": event_id},
                             login="demo")
        assert (answer.status, answer.body) == (404, EVENT_NOT_FOUND)


def test_replaying_since_a_time_queues_the_subscribed_events_since_then(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    endpoint = register(api, events=["refund.issued", "refund.denied"], token=token).body["data"]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    put_event(dynamodb, table_name, merchant_id, "refund.issued", at=start - timedelta(minutes=1))  # before
    for minutes, event_type in ((1, "refund.issued"), (2, "refund.created"), (3, "refund.denied"),
                                (4, "refund.issued")):
        put_event(dynamodb, table_name, merchant_id, event_type, at=start + timedelta(minutes=minutes))
    put_event(dynamodb, table_name, merchant_id, "refund.issued", at=start + timedelta(minutes=5), expired=True)

    path = f"/v1/webhooks/{endpoint['id']}/replay"
    since = start.isoformat().replace("+00:00", "Z")
    answer = api.request("POST", path, json_body={"since": since}, token=token)
    assert (answer.status, answer.body) == (202, {"data": {"queued": 3, "nextSince": None}})
    later = (start + timedelta(minutes=3)).isoformat()
    assert api.request("POST", path, json_body={"since": later}, token=token).body["data"]["queued"] == 2
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert api.request("POST", path, json_body={"since": future}, token=token).body["data"]["queued"] == 0


def test_a_replay_reads_at_most_100_events_per_call(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    endpoint = register(api, events=["refund.issued"], token=token).body["data"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(105):
        put_event(dynamodb, table_name, merchant_id, "refund.issued", at=start + timedelta(seconds=i))
    path = f"/v1/webhooks/{endpoint['id']}/replay"
    first = api.request("POST", path, json_body={"since": "2026-01-01T00:00:00Z"}, token=token)
    assert first.status == 202
    assert first.body["data"] == {"queued": 100, "nextSince": "2026-01-01T00:01:40.000Z"}
    rest = api.request("POST", path, json_body={"since": first.body["data"]["nextSince"]}, token=token)
    assert rest.body["data"] == {"queued": 5, "nextSince": None}


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["eventId", "since"]),
    ({"eventId": f"evt_{ULID()}", "since": "2026-01-01T00:00:00Z"}, ["eventId", "since"]),
    ({"eventId": "nope"}, ["eventId"]),
    ({"eventId": None}, ["eventId"]),
    ({"since": "2026-01-01"}, ["since"]),
    ({"since": "2026-01-01T00:00:00"}, ["since"]),
    ({"since": "2026-01-01T00:00:00Z", "events": ["refund.issued"]}, ["events"]),
])
def test_replay_body_is_validated(api, endpoint, body, fields):
    answer = api.request("POST", f"/v1/webhooks/{endpoint['id']}/replay", json_body=body, login="demo")
    assert field_errors(answer) == fields


# ------------------------------------------------------- roles, tenancy

ROUTES = [("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["refund.issued"]}),
          ("GET", "/v1/webhooks", None), ("DELETE", "/v1/webhooks/{id}", None), ("GET", "/v1/webhooks/{id}", None),
          ("PATCH", "/v1/webhooks/{id}", {"description": "x"}), ("POST", "/v1/webhooks/{id}/test", None),
          ("POST", "/v1/webhooks/{id}/rotate-secret", None), ("GET", "/v1/webhooks/{id}/deliveries", None),
          ("POST", "/v1/webhooks/{id}/replay", {"since": "2026-01-01T00:00:00Z"})]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("who", ["support", "orders-service", "customer"])
def test_only_merchants_manage_webhooks(api, endpoint, method, path, body, who):
    credentials = {"token": customer_token(api)} if who == "customer" else {"login": who}
    answer = api.request(method, path.format(id=endpoint["id"]), json_body=body, **credentials)
    assert answer.status == 403 and answer.codes == [15120]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_webhook_routes_need_a_token(api, endpoint, method, path, body):
    assert api.request(method, path.format(id=endpoint["id"]), json_body=body).codes == [101]


def test_another_merchants_endpoint_is_not_found(api, endpoint, dynamodb, table_name):
    theirs = api.request("GET", "/v1/webhooks", login="demo2")
    assert theirs.status == 200 and endpoint["id"] not in json.dumps(theirs.body)
    base = f"/v1/webhooks/{endpoint['id']}"
    event_id = put_event(dynamodb, table_name, "demo2", "refund.issued")
    for method, suffix, body in (("DELETE", "", None), ("POST", "/rotate-secret", None), ("GET", "/deliveries", None),
                                 ("POST", "/replay", {"eventId": event_id}), ("GET", "", None),
                                 ("PATCH", "", {"url": "http://127.0.0.1:9/theirs", "enabled": False}),
                                 ("POST", "/test", None)):
        answer = api.request(method, base + suffix, json_body=body, login="demo2")
        assert (answer.status, answer.body) == (404, NOT_FOUND), (method, suffix)
    item = stored(dynamodb, table_name, "MERCHANT#demo", f"WEBHOOK#{endpoint['id']}")
    assert item["secrets"] == [{"secret": endpoint["secret"]}]  # neither deleted nor rotated
    assert (item["url"], item.get("enabled", True)) == (endpoint["url"], True)  # nor changed
