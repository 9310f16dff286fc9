"""The HTTP edge over raw connections to the local runtime (http.client, so a
test can reuse one keep-alive connection and send a header name twice):
a replayed 204 is the first 204 again, and a repeated credential or
Idempotency-Key, whatever the letter case of its names, is refused rather
than resolved by picking one."""

from __future__ import annotations

import http.client
import json
import uuid
from contextlib import closing
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.server

UNAUTHORIZED = {"errors": [{"error": 101, "message": "Unsuccessful authorization."}]}
BAD_KEY = {"errors": [{"error": 15010, "message": "Invalid field value: Idempotency-Key"}]}


def connect(runtime) -> http.client.HTTPConnection:
    url = urlsplit(runtime.url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def send(connection: http.client.HTTPConnection, method: str, path: str, headers: list[tuple[str, str]],
         body: bytes | None = None) -> tuple[int, bytes, http.client.HTTPMessage]:
    """One request with exactly these header lines, duplicates and letter case kept."""
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    return response.status, response.read(), response.headers


# ------------------------------------------------------- a replayed 204

def test_a_replayed_204_is_the_first_one_again_and_the_connection_keeps_working(api, runtime):
    token = api.token("demo")
    created = api.request("POST", "/v1/api-keys", json_body={"name": "replayed 204"}, token=token)
    assert created.status == 201, created
    key_id = created.body["data"]["id"]
    revoke = [("Authorization", f"Bearer {token}"), ("Idempotency-Key", f"key-{uuid.uuid4()}")]
    with closing(connect(runtime)) as connection:
        first = send(connection, "DELETE", f"/v1/api-keys/{key_id}", revoke)
        socket = connection.sock
        again = send(connection, "DELETE", f"/v1/api-keys/{key_id}", revoke)
        # The next response on the same connection parses: a replay that sent a
        # body ("null") on its 204 would be read as the start of this one.
        listed = send(connection, "GET", "/v1/api-keys", revoke[:1])
        assert connection.sock is socket  # one keep-alive connection throughout

    assert (first[0], first[1], first[2]["Content-Type"]) == (204, b"", None)
    assert (again[0], again[1], again[2]["Content-Type"]) == (204, b"", None)
    assert again[2]["Idempotent-Replayed"] == "true" and first[2]["Idempotent-Replayed"] is None
    assert listed[0] == 200 and key_id not in [k["id"] for k in json.loads(listed[1])["data"]]


# ------------------------------------------------- repeated credentials

def test_authorization_twice_in_two_letter_cases_is_401_not_the_last_caller(api, runtime):
    with closing(connect(runtime)) as connection:
        status, body, _ = send(connection, "GET", "/v1/refunds", [
            ("Authorization", f"Bearer {api.token('demo')}"), ("authorization", f"Bearer {api.token('demo2')}")])
    assert (status, json.loads(body)) == (401, UNAUTHORIZED)


@pytest.fixture
def two_merchants_keys(api):
    """An API key of demo and one of demo2; revoked afterwards."""
    created = {login: api.request("POST", "/v1/api-keys", json_body={"name": "repeated header"},
                                  login=login).body["data"] for login in ("demo", "demo2")}
    yield created["demo"]["key"], created["demo2"]["key"]
    for login, key in created.items():
        api.request("DELETE", f"/v1/api-keys/{key['id']}", login=login)


def test_x_api_key_in_two_letter_cases_is_401_not_the_second_merchant(runtime, two_merchants_keys):
    demo_key, demo2_key = two_merchants_keys
    with closing(connect(runtime)) as connection:
        status, body, _ = send(connection, "GET", "/v1/refunds", [("X-API-KEY", demo_key), ("x-api-key", demo2_key)])
        # Each key alone works: the 401 is the repeat's.
        alone = send(connection, "GET", "/v1/refunds", [("x-api-key", demo2_key)])
    assert (status, json.loads(body)) == (401, UNAUTHORIZED)
    assert alone[0] == 200


def test_idempotency_key_in_two_letter_cases_is_15010_and_creates_nothing(api, runtime):
    order_id = api.paid_order()
    refund = json.dumps({"email": "merchant@example.com"}).encode()
    with closing(connect(runtime)) as connection:
        status, body, _ = send(connection, "POST", f"/v1/order/{order_id}/refund", [
            ("Authorization", f"Bearer {api.token('demo')}"), ("Content-Type", "application/json"),
            ("Idempotency-Key", f"a-{uuid.uuid4()}"), ("idempotency-key", f"b-{uuid.uuid4()}")], refund)
    assert (status, json.loads(body)) == (400, BAD_KEY)
    assert api.request("GET", f"/v1/refunds?orderId={order_id}", login="demo").body["data"] == []
