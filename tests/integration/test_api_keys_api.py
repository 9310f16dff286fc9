"""API keys through the local API: a merchant login creates, lists and revokes
keys (/v1/api-keys); a key in X-API-KEY then works wherever the merchant's
Bearer token does (refunds_core/logic/api_keys.py, auth.py).

Each function trusts a key it has read for CACHE_TTL_SECONDS (60 s), in each
of its execution environments: a revoked key is shown refused on routes that
never saw it, and only the revoking environment forgets it at once (tested
in-process below). Tests that count keys use a fresh merchant of their own.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from refunds_core import aws
from refunds_core.dal.codec import from_item
from refunds_core.observability import logger
from refunds_core.settings import settings
from tests.conftest import ROOT, LambdaContext, configure_as, load_handler

pytestmark = pytest.mark.server

KEY_ID = re.compile(r"key_[0-9A-HJKMNP-TV-Z]{26}")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
UNAUTHORIZED = {"errors": [{"error": 101, "message": "Unsuccessful authorization."}]}
NOT_FOUND = {"errors": [{"error": 15190, "message": "API key not found."}]}
TOO_MANY = {"errors": [{"error": 15200, "message": "Too many API keys."}]}
FORBIDDEN = [15120]


def create_key(api, token: str, name: str | None = "checkout server"):
    return api.request("POST", "/v1/api-keys", json_body={} if name is None else {"name": name}, token=token)


def with_key(api, method: str, path: str, key: str, **kwargs):
    return api.request(method, path, headers={"X-API-KEY": key, **kwargs.pop("headers", {})}, **kwargs)


def stored(dynamodb, table_name, pk: str, sk: str) -> dict | None:
    return from_item(dynamodb.get_item(TableName=table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                                       ConsistentRead=True).get("Item"))


# ------------------------------------------------------ the whole life

def test_a_key_works_like_its_merchants_token_until_revoked(api, merchant):
    merchant_id, token = merchant
    created = create_key(api, token)
    assert created.status == 201, created
    key_data = created.body["data"]
    assert list(key_data) == ["id", "name", "prefix", "scopes", "mode", "createdAt", "key"]
    assert key_data["mode"] == "live" and key_data["key"].startswith("rrk_live_")  # live unless asked
    assert key_data["scopes"] == ["read_order", "write_order", "manage_webhooks"]  # every scope by default
    assert KEY_ID.fullmatch(key_data["id"]) and key_data["name"] == "checkout server"
    key = key_data["key"]
    assert key.startswith("rrk_live_") and key_data["prefix"] == key[:12]
    assert ISO_UTC.fullmatch(key_data["createdAt"])

    # The key opens a refund and lists refunds, as the merchant's token would.
    order_id = api.paid_order(merchant_id=merchant_id)
    opened = with_key(api, "POST", f"/v1/order/{order_id}/refund", key, json_body={"email": "m@example.com"})
    assert opened.status == 200, opened
    refund = opened.body["data"]
    assert refund["merchantId"] == merchant_id and refund["requester"] == f"apikey:{key_data['id']}"
    listed = api.request("GET", f"/v1/refunds?orderId={order_id}", headers={"x-api-key": key})  # any case
    assert [r["id"] for r in listed.body["data"]] == [refund["id"]]

    # The list shows it, never the key.
    keys = api.request("GET", "/v1/api-keys", token=token)
    assert keys.status == 200
    assert keys.body == {"data": [{k: key_data[k] for k in ("id", "name", "prefix", "scopes", "mode", "createdAt")}]}

    revoked = api.request("DELETE", f"/v1/api-keys/{key_data['id']}", token=token)
    assert revoked.status == 204 and revoked.body is None
    assert api.request("GET", "/v1/api-keys", token=token).body == {"data": []}
    # Routes that never read the key refuse it at once (the others within CACHE_TTL_SECONDS).
    assert with_key(api, "GET", f"/v1/refunds/{refund['id']}", key).body == UNAUTHORIZED
    assert with_key(api, "GET", f"/v1/orders/{order_id}", key).body == UNAUTHORIZED
    assert api.request("DELETE", f"/v1/api-keys/{key_data['id']}", token=token).body == NOT_FOUND


def test_the_key_is_shown_once_and_stored_hashed(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    created = create_key(api, token, name=None).body["data"]
    assert created["name"] is None
    key, digest = created["key"], hashlib.sha256(created["key"].encode()).hexdigest()
    secret = key.removeprefix("rrk_live_")[:43]

    assert key not in json.dumps(api.request("GET", "/v1/api-keys", token=token).body)
    lookup = stored(dynamodb, table_name, f"APIKEY#{digest}", "APIKEY")
    assert lookup["merchantId"] == merchant_id and lookup["keyId"] == created["id"]
    assert lookup["scopes"] == ["read_order", "write_order", "manage_webhooks"]  # read with the key
    listed = stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", f"APIKEY#{created['id']}")
    assert listed["keyHash"] == digest and listed["prefix"] == key[:12]
    # No item of the table holds the key, nor its secret part (a test may read the whole table; the API never does).
    pages = dynamodb.get_paginator("scan").paginate(TableName=table_name)
    assert not [item for page in pages for item in page["Items"] if secret in json.dumps(item)]


def test_another_merchant_can_neither_see_nor_revoke_a_key(api, merchant):
    merchant_id, token = merchant
    created = create_key(api, token).body["data"]
    assert created["id"] not in json.dumps(api.request("GET", "/v1/api-keys", login="demo2").body)
    answer = api.request("DELETE", f"/v1/api-keys/{created['id']}", login="demo2")
    assert answer.status == 404 and answer.body == NOT_FOUND
    for unknown in ("key_01JD0000000000000000000000", "not-a-key-id", "APIKEY%23x"):
        assert api.request("DELETE", f"/v1/api-keys/{unknown}", token=token).body == NOT_FOUND
    assert with_key(api, "GET", "/v1/refunds", created["key"]).status == 200  # still working


def test_a_key_cannot_reach_another_merchants_refund_or_order(api, merchant):
    _, token = merchant
    key = create_key(api, token).body["data"]["key"]
    demo_refund = api.request("POST", f"/v1/order/{api.paid_order()}/refund", json_body={"email": "m@example.com"},
                              login="demo").body["data"]
    answer = with_key(api, "GET", f"/v1/refunds/{demo_refund['id']}", key)
    assert answer.status == 404 and answer.codes == [15070]
    assert with_key(api, "DELETE", f"/v1/refunds/{demo_refund['id']}", key).codes == [15070]
    assert with_key(api, "GET", f"/v1/orders/{demo_refund['orderId']}", key).status == 404
    assert with_key(api, "POST", f"/v1/order/{api.paid_order()}/refund", key,
                    json_body={"email": "m@example.com"}).codes == [15060]


# -------------------------------------------------------------- limit

def test_at_most_ten_keys_and_a_revoked_one_frees_a_place(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    ids = [create_key(api, token, name=f"key {n}").body["data"]["id"] for n in range(10)]
    refused = create_key(api, token)
    assert refused.status == 400 and refused.body == TOO_MANY
    assert [k["id"] for k in api.request("GET", "/v1/api-keys", token=token).body["data"]] == ids  # oldest first
    assert stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", "MERCHANT")["apiKeyCount"] == 10

    assert api.request("DELETE", f"/v1/api-keys/{ids[4]}", token=token).status == 204
    assert stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", "MERCHANT")["apiKeyCount"] == 9
    assert create_key(api, token).status == 201
    assert create_key(api, token).body == TOO_MANY


def test_the_limit_holds_under_concurrent_creations(api, merchant):
    _, token = merchant
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: create_key(api, token), range(13)))
    assert sorted(a.status for a in answers) == [201] * 10 + [400] * 3, [a.body for a in answers if a.status >= 500]
    assert len(api.request("GET", "/v1/api-keys", token=token).body["data"]) == 10


def test_create_body_errors(api, merchant):
    _, token = merchant
    answer = api.request("POST", "/v1/api-keys", json_body={"name": "", "key": "rrk_live_mine"}, token=token)
    assert answer.status == 400 and [e["message"] for e in answer.body["errors"]] == [
        "Invalid field value: name", "Invalid field value: key"]
    assert api.request("POST", "/v1/api-keys", raw=b"{", token=token,
                       headers={"Content-Type": "application/json"}).codes == [110]
    assert api.request("POST", "/v1/api-keys", raw=b"{}", token=token,
                       headers={"Content-Type": "text/plain"}).codes == [111]


# ---------------------------------------------------------- who may

def test_a_key_cannot_manage_keys(api, merchant):
    _, token = merchant
    created = create_key(api, token).body["data"]
    key = created["key"]
    for method, path, body in (("POST", "/v1/api-keys", {"name": "more"}), ("GET", "/v1/api-keys", None),
                               ("DELETE", f"/v1/api-keys/{created['id']}", None)):
        answer = with_key(api, method, path, key, json_body=body)
        assert answer.status == 403 and answer.codes == FORBIDDEN, (method, path)
    assert [k["id"] for k in api.request("GET", "/v1/api-keys", token=token).body["data"]] == [created["id"]]


@pytest.mark.parametrize("login", ["orders-service", "support"])
def test_other_roles_cannot_manage_keys(api, login):
    assert api.request("GET", "/v1/api-keys", login=login).codes == FORBIDDEN
    assert api.request("POST", "/v1/api-keys", json_body={}, login=login).codes == FORBIDDEN
    assert api.request("DELETE", "/v1/api-keys/key_01JD0000000000000000000000", login=login).codes == FORBIDDEN


def test_a_key_has_a_merchants_role_only(api, merchant):
    _, token = merchant
    key = create_key(api, token).body["data"]["key"]
    assert with_key(api, "PUT", "/v1/orders/x-1", key, json_body={}).codes == FORBIDDEN  # the order system's route


def test_a_key_and_a_token_together_are_401(api, merchant):
    _, token = merchant
    key = create_key(api, token).body["data"]["key"]
    answer = with_key(api, "GET", "/v1/refunds", key, token=token)
    assert answer.status == 401 and answer.body == UNAUTHORIZED


@pytest.mark.parametrize("sent", ["rrk_live_" + "A" * 43 + "_demo", "rrk_live_nope", "Bearer x"])
def test_an_unknown_or_malformed_key_is_401(api, sent):
    answer = with_key(api, "GET", "/v1/refunds", sent)
    assert answer.status == 401 and answer.body == UNAUTHORIZED


def test_a_key_of_a_disabled_merchant_is_15000(api, admin, merchant):
    merchant_id, token = merchant
    key = create_key(api, token).body["data"]["key"]
    admin.set_merchant_disabled(merchant_id, True)
    # (Each route is called only after the merchant is disabled: a function trusts what it read for 60 s.)
    assert with_key(api, "GET", "/v1/refunds", key).codes == [15000]
    assert with_key(api, "POST", "/v1/order/1001/refund", key, json_body={"email": "m@example.com"}).codes == [15000]


# ------------------------------------------------------------ scopes

def test_a_key_does_only_what_its_scopes_allow_on_every_api(api, merchant, dynamodb, table_name):
    """One route per kind and per dialect; the matrix over every route is tests/unit/test_scopes.py."""
    merchant_id, token = merchant
    created = api.request("POST", "/v1/api-keys", token=token,
                          json_body={"name": "reporting", "scopes": ["read_order"]}).body["data"]
    assert created["scopes"] == ["read_order"]
    digest = hashlib.sha256(created["key"].encode()).hexdigest()
    assert stored(dynamodb, table_name, f"APIKEY#{digest}", "APIKEY")["scopes"] == ["read_order"]
    listed = api.request("GET", "/v1/api-keys", token=token).body["data"]
    assert [key["scopes"] for key in listed if key["id"] == created["id"]] == [["read_order"]]
    key = created["key"]
    order_id = str(10**14 + uuid.uuid4().int % 10**14)
    assert api.put_order(order_id, merchant_id=merchant_id)[1].status == 200
    refund = api.request("POST", f"/v1/order/{order_id}/refund", token=token,
                         json_body={"email": "m@example.com", "refundOnly": False}).body["data"]

    assert with_key(api, "GET", f"/v1/refunds/{refund['id']}", key).status == 200
    assert with_key(api, "GET", f"/api/v2/refunds/{refund['numericId']}", key).status == 200
    assert with_key(api, "POST", f"/v1/order/{order_id}/refund/preview", key,
                    json_body={"email": "m@example.com"}).status == 200
    for method, path, body in [
            ("POST", f"/v1/order/{api.paid_order(merchant_id=merchant_id)}/refund", {"email": "m@example.com"}),
            ("DELETE", f"/v1/refunds/{refund['id']}", None),
            ("PATCH", f"/v1/refunds/{refund['id']}", {"action": "SHIP_INIT", "trackingId": "1Z", "carrierName": "UPS"}),
            ("DELETE", f"/api/v2/refunds/{refund['numericId']}", None),
            ("POST", "/api/v2/refunds", {"orderId": int(order_id), "reason": "x", "amount": 1, "refundOnly": True}),
            ("GET", "/v1/webhooks", None)]:
        answer = with_key(api, method, path, key, json_body=body)
        assert (answer.status, answer.codes) == (403, FORBIDDEN), (method, path, answer)
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=token).body["data"]["status"] == "REQUESTED"

    # A customer token it mints has its scopes: it reads, and opens nothing.
    minted = with_key(api, "POST", "/v1/auth/customer-token", key, json_body={"customerId": "cust-1"}).body["token"]
    assert jwt.decode(minted, options={"verify_signature": False})["scope"] == "read_order"
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=minted).status == 200
    opened = api.request("POST", f"/v1/order/{api.paid_order(merchant_id=merchant_id)}/refund", token=minted,
                         json_body={"email": "m@example.com"})
    assert (opened.status, opened.codes) == (403, FORBIDDEN)

    writer = api.request("POST", "/v1/api-keys", token=token, json_body={"scopes": ["write_order"]}).body["data"]
    cancelled = with_key(api, "DELETE", f"/v1/refunds/{refund['id']}", writer["key"])
    assert cancelled.status == 200 and cancelled.body["data"]["status"] == "CANCELLED"
    assert with_key(api, "GET", f"/v1/refunds/{refund['id']}", writer["key"]).codes == FORBIDDEN


def test_a_login_token_has_every_scope(api, merchant):
    _, token = merchant
    assert "scope" not in jwt.decode(token, options={"verify_signature": False})
    assert api.request("GET", "/v1/webhooks", token=token).status == 200


# --------------------------------------------------- customer tokens

def test_a_key_mints_customer_tokens_that_die_with_it(api, merchant):
    merchant_id, token = merchant
    created = create_key(api, token).body["data"]
    refund = with_key(api, "POST", f"/v1/order/{api.paid_order(merchant_id=merchant_id)}/refund", created["key"],
                      json_body={"email": "m@example.com"}).body["data"]
    minted = with_key(api, "POST", "/v1/auth/customer-token", created["key"], json_body={"customerId": "cust-1"})
    assert minted.status == 200, minted
    customer = minted.body["token"]
    assert jwt.decode(customer, options={"verify_signature": False})["act"] == {"sub": f"apikey:{created['id']}"}
    assert api.request("DELETE", f"/v1/api-keys/{created['id']}", token=token).status == 204
    # The customer's first call after the revocation: refused like a token of a disabled login.
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=customer).codes == [15000]


# ---------------------------------------- in one execution environment

def _warm(runtime, monkeypatch):
    """Functions run in this process, sharing one warm environment's caches."""
    configure_as(monkeypatch, runtime, "ListRefundsFunction", fresh_clients=True)
    monkeypatch.syspath_prepend(str(ROOT / "shared"))

    def run(function: str, method: str, path: str, headers: dict, body: dict | None = None) -> dict:
        key_id = re.search(r"key_\w+", path)
        resource = path.replace(key_id.group(0), "{keyId}") if key_id else path
        if body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        event = {"resource": resource, "path": path, "httpMethod": method, "headers": headers,
                 "multiValueHeaders": {name: [value] for name, value in headers.items()},
                 "queryStringParameters": None, "multiValueQueryStringParameters": None,
                 "pathParameters": {"keyId": key_id.group(0)} if key_id else None,
                 "body": None if body is None else json.dumps(body), "isBase64Encoded": False,
                 "requestContext": {"requestId": f"test-{uuid.uuid4()}", "stage": "prod", "resourcePath": resource,
                                    "httpMethod": method, "path": path}}
        answer = load_handler(function)(event, LambdaContext())
        return {**answer, "json": json.loads(answer["body"]) if answer.get("body") else None}

    yield run
    aws.dynamodb.cache_clear()
    settings.cache_clear()


@pytest.fixture
def warm(runtime, monkeypatch):
    yield from _warm(runtime, monkeypatch)


def test_the_revoking_environment_forgets_the_key_at_once(warm, api, merchant):
    _, token = merchant
    created = create_key(api, token).body["data"]
    assert warm("ListRefundsFunction", "GET", "/v1/refunds", {"X-API-KEY": created["key"]})["statusCode"] == 200
    revoked = warm("DeleteApiKeyFunction", "DELETE", f"/v1/api-keys/{created['id']}",
                   {"Authorization": f"Bearer {token}"})
    assert revoked["statusCode"] == 204
    refused = warm("ListRefundsFunction", "GET", "/v1/refunds", {"X-API-KEY": created["key"]})
    assert refused["statusCode"] == 401 and refused["json"] == UNAUTHORIZED


def test_logs_name_the_key_by_its_id_never_the_key(warm, merchant, monkeypatch):
    _, token = merchant
    logged = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", logged)
    created = warm("CreateApiKeyFunction", "POST", "/v1/api-keys", {"Authorization": f"Bearer {token}"},
                   {"name": "logs"})["json"]["data"]
    minted = warm("IssueCustomerTokenFunction", "POST", "/v1/auth/customer-token", {"X-API-KEY": created["key"]},
                  {"customerId": "cust-1"})
    assert minted["statusCode"] == 200
    assert warm("DeleteApiKeyFunction", "DELETE", f"/v1/api-keys/{created['id']}",
                {"Authorization": f"Bearer {token}"})["statusCode"] == 204
    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["api key created", "customer token issued", "api key revoked"]
    assert lines[1]["caller"] == f"apikey:{created['id']}"
    assert lines[0]["api_key_id"] == lines[2]["api_key_id"] == created["id"]
    secret = created["key"].removeprefix("rrk_live_")[:43]
    assert secret not in logged.getvalue()
