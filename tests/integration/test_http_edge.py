"""The HTTP edge over raw connections to the local runtime (http.client, so a
test can reuse one keep-alive connection): a replayed 204 is the first 204 again."""

from __future__ import annotations

import http.client
import json
import uuid
from contextlib import closing
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.server

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
