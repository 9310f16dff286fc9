"""Revocation and disabling take effect at once for every write and every token
minted: a write carries the caller's account checks in its own transaction,
and minting reads the account strongly (auth.account_guards,
require_active_account(fresh=True)).

Over HTTP, each write route is used with the credential, which is then
revoked (or its login or merchant disabled) and used again at once: refused,
nothing written. Whether a function still had the credential cached by then
depends on timing (reads trust it for 1 s), so what proves that no write
trusts the cache is the matrix in this process: with the cache made to trust
the account for the whole test, every write of logic/ is still refused, for a
revoked key, a disabled login or merchant, and the customers their tokens
minted, and writes nothing.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import UTC, datetime

import pytest

from refunds_core import auth
from refunds_core.callers import Caller, Role, Via
from refunds_core.dal.codec import from_item
from refunds_core.errors import ApiError
from refunds_core.logic import api_keys, lifecycle, metadata, orders, refunds, tokens, webhooks
from tests.conftest import sample_order
from tests.integration.test_api_keys_api import create_key
from tests.integration.test_webhooks_api import hook_url

pytestmark = pytest.mark.server

SHIP = {"action": "SHIP_INIT", "trackingId": "1Z999", "carrierName": "UPS"}


def _stored(dynamodb, table_name, pk: str, sk: str) -> dict | None:
    return from_item(dynamodb.get_item(TableName=table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                                       ConsistentRead=True).get("Item"))


class Writes:
    """Every write route a merchant credential may call, sent with one set of
    headers; ``warm()`` uses each once successfully, ``attempt()`` again."""

    def __init__(self, api, merchant_id: str, headers: dict[str, str]):
        self.api, self.merchant_id, self.headers = api, merchant_id, headers
        self.orders = [api.paid_order(merchant_id=merchant_id) for _ in range(2)]

    def call(self, method: str, path: str, body: dict | None = None):
        return self.api.request(method, path, json_body=body, headers=self.headers)

    def warm(self) -> None:
        opened = self.call("POST", f"/v1/order/{self.orders[0]}/refund",
                           {"email": "m@example.com", "refundOnly": False})
        assert opened.status == 200, opened
        self.refund = opened.body["data"]
        assert self.call("PATCH", f"/v1/refunds/{self.refund['id']}", SHIP).status == 200
        assert self.call("PATCH", f"/v1/refunds/{self.refund['id']}", {"metadata": {"erp": "BEFORE"}}).status == 200
        other = self.call("POST", f"/v1/order/{self.orders[1]}/refund", {"email": "m@example.com"}).body["data"]
        assert self.call("DELETE", f"/v1/refunds/{other['id']}").status == 200
        assert self.call("POST", "/v1/auth/customer-token", {"customerId": "cust-1"}).status == 200
        endpoints = [self.call("POST", "/v1/webhooks", {"url": hook_url(), "events": ["refund.issued"]})
                     for _ in range(2)]
        assert [e.status for e in endpoints] == [201, 201], endpoints
        self.endpoint, doomed = (e.body["data"] for e in endpoints)
        assert self.call("DELETE", f"/v1/webhooks/{doomed['id']}").status == 200
        assert self.call("POST", f"/v1/webhooks/{self.endpoint['id']}/rotate-secret").status == 200
        assert self.call("POST", f"/v1/webhooks/{self.endpoint['id']}/replay",
                         {"since": datetime.now(UTC).isoformat()}).status == 202

    def attempt(self) -> dict[str, object]:
        """Each write again, after the revocation: route -> its answer."""
        webhook = f"/v1/webhooks/{self.endpoint['id']}"
        return {
            "create refund": self.call("POST", f"/v1/order/{self.orders[1]}/refund", {"email": "m@example.com"}),
            "SHIP_INIT": self.call("PATCH", f"/v1/refunds/{self.refund['id']}", {**SHIP, "trackingId": "AFTER"}),
            "change metadata": self.call("PATCH", f"/v1/refunds/{self.refund['id']}", {"metadata": {"erp": "AFTER"}}),
            "cancel": self.call("DELETE", f"/v1/refunds/{self.refund['id']}"),
            "customer token": self.call("POST", "/v1/auth/customer-token", {"customerId": "cust-1"}),
            "register webhook": self.call("POST", "/v1/webhooks", {"url": hook_url(), "events": ["refund.issued"]}),
            "rotate secret": self.call("POST", f"{webhook}/rotate-secret"),
            "replay": self.call("POST", f"{webhook}/replay", {"since": datetime.now(UTC).isoformat()}),
            "delete webhook": self.call("DELETE", webhook),
        }

    def assert_nothing_written(self, api, token: str, dynamodb, table_name, secrets_before: list) -> None:
        refund = api.request("GET", f"/v1/refunds/{self.refund['id']}", token=token).body["data"]
        assert (refund["status"], refund["trackingId"], len(refund["history"])) == ("REQUESTED", "1Z999", 2)
        assert refund["metadata"] == {"erp": "BEFORE"}
        order = api.request("GET", f"/v1/orders/{self.orders[1]}", token=token).body["data"]
        assert [r["status"] for r in order["refunds"]] == ["CANCELLED"]
        assert [e["id"] for e in api.request("GET", "/v1/webhooks", token=token).body["data"]] == [
            self.endpoint["id"]]
        endpoint = _stored(dynamodb, table_name, f"MERCHANT#{self.merchant_id}", f"WEBHOOK#{self.endpoint['id']}")
        assert endpoint["secrets"] == secrets_before


def test_a_revoked_key_writes_nothing_and_mints_nothing_on_any_route(api, merchant, dynamodb, table_name):
    merchant_id, token = merchant
    created = create_key(api, token).body["data"]
    writes = Writes(api, merchant_id, {"X-API-KEY": created["key"]})
    writes.warm()
    secrets = _stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", f"WEBHOOK#{writes.endpoint['id']}")["secrets"]

    assert api.request("DELETE", f"/v1/api-keys/{created['id']}", token=token).status == 204
    answers = writes.attempt()

    assert {route: (a.status, a.codes) for route, a in answers.items()} == dict.fromkeys(answers, (401, [101]))
    writes.assert_nothing_written(api, token, dynamodb, table_name, secrets)


@pytest.mark.parametrize("disable", ["login", "merchant"])
def test_a_disabled_account_writes_nothing_and_mints_nothing_on_any_route(api, admin, dynamodb, table_name, disable):
    merchant_id, login = f"m-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    token = token.body["token"]
    writes = Writes(api, merchant_id, {"Authorization": f"Bearer {token}"})
    writes.warm()
    customer = writes.call("POST", "/v1/auth/customer-token", {"customerId": "cust-1"}).body["token"]
    key_route = create_key(api, token)  # warms CreateApiKeyFunction with this login
    assert key_route.status == 201
    secrets = _stored(dynamodb, table_name, f"MERCHANT#{merchant_id}", f"WEBHOOK#{writes.endpoint['id']}")["secrets"]

    if disable == "login":
        admin.set_login_disabled(login, True)
    else:
        admin.set_merchant_disabled(merchant_id, True)
    answers = writes.attempt()
    answers["create API key"] = create_key(api, token)
    answers["revoke API key"] = api.request("DELETE", f"/v1/api-keys/{key_route.body['data']['id']}", token=token)
    # The customer's token answers for the login that minted it.
    answers["customer's refund"] = api.request("POST", f"/v1/order/{writes.orders[1]}/refund", token=customer,
                                               json_body={"email": "m@example.com"})

    assert {route: (a.status, a.codes) for route, a in answers.items()} == dict.fromkeys(answers, (400, [15000]))
    admin.set_login_disabled(login, False)
    admin.set_merchant_disabled(merchant_id, False)
    writes.assert_nothing_written(api, token, dynamodb, table_name, secrets)
    assert len(api.request("GET", "/v1/api-keys", token=token).body["data"]) == 1


def test_a_disabled_order_system_login_writes_no_order(api, admin):
    login = f"svc-{uuid.uuid4().hex[:8]}"
    admin.create_login(login, "a-long-password", admin.Role.SERVICE)
    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    token = token.body["token"]
    order_id = f"o-{uuid.uuid4().hex[:12]}"
    assert api.request("PUT", f"/v1/orders/{order_id}", json_body=sample_order(), token=token).status == 200

    admin.set_login_disabled(login, True)
    changed = api.request("PUT", f"/v1/orders/{order_id}", json_body=sample_order(number="SO-CHANGED"), token=token)

    assert (changed.status, changed.codes) == (400, [15000])
    assert api.request("GET", f"/v1/orders/{order_id}", login="demo").body["data"]["number"] == "SO-1001"


# ------------------------------------------ every write, whatever the cache says
#
# In this process, against the runtime's AWS: the account is unusable in the
# table, yet this execution environment's cache says it is fine for as long
# as the test runs. Each write of logic/ must still be refused by its own
# transaction (or, for minting and queueing, by a strong read), and write
# nothing; the cache's verdict and the guards' must name the same refusal.

def _unusable_callers(admin, api) -> dict:
    """A fresh merchant with a login, an API key, a customer token's caller of
    each, an order with an open return request and a webhook endpoint, all
    written while the account was fine."""
    merchant_id, login = f"m-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    owner = Caller(login, Role.MERCHANT, merchant_id)
    key = api_keys.create(owner, {"name": "k"})
    by_key = Caller(f"apikey:{key['id']}", Role.MERCHANT, merchant_id, via=Via.API_KEY)
    orders_ = [api.paid_order(merchant_id=merchant_id) for _ in range(2)]
    refund = refunds.create(owner, orders_[0], {"email": "m@example.com", "refundOnly": False})
    endpoint = webhooks.create(owner, {"url": hook_url(), "events": ["refund.issued"]})
    service_login = f"svc-{uuid.uuid4().hex[:8]}"
    admin.create_login(service_login, "a-long-password", admin.Role.SERVICE)
    return {"merchant": merchant_id, "login": login, "key": key, "owner": owner, "by_key": by_key,
            "orders": orders_, "refund": refund, "endpoint": endpoint, "service_login": service_login,
            "service": Caller(service_login, Role.SERVICE, None)}


def _customer_of(caller: Caller) -> Caller:
    return Caller("customer:cust-1", Role.CUSTOMER, caller.merchant_id, "cust-1", minted_by=caller.login)


# Each write a merchant-side caller may make, in logic/ (the handlers only parse around them).
WRITES = {
    "create refund": lambda c, w: refunds.create(c, w["orders"][1], {"email": "m@example.com"}),
    "SHIP_INIT": lambda c, w: lifecycle.act(c, w["refund"]["id"], {**SHIP, "trackingId": "AFTER"}),
    "change metadata": lambda c, w: metadata.change(c, w["refund"]["id"], {"metadata": {"erp": "AFTER"}}),
    "cancel": lambda c, w: lifecycle.cancel(c, w["refund"]["id"]),
    "customer token": lambda c, w: tokens.customer_token(c, {"customerId": "cust-1"}),
    "register webhook": lambda c, w: webhooks.create(c, {"url": hook_url(), "events": ["refund.issued"]}),
    "rotate secret": lambda c, w: webhooks.rotate_secret(c, w["endpoint"]["id"], {}),
    "replay": lambda c, w: webhooks.replay(c, w["endpoint"]["id"], {"since": datetime.now(UTC).isoformat()}),
    "delete webhook": lambda c, w: webhooks.delete(c, w["endpoint"]["id"]),
    "create API key": lambda c, w: api_keys.create(c, {"name": "again"}),
    "revoke API key": lambda c, w: api_keys.revoke(c, w["key"]["id"]),
    "put order": lambda c, w: orders.put(c, w["orders"][1], sample_order(merchantId=w["merchant"], number="CHANGED")),
}
MERCHANT_WRITES = tuple(name for name in WRITES if name != "put order")
CUSTOMER_WRITES = ("create refund", "SHIP_INIT", "cancel")
KEY_WRITES = tuple(name for name in MERCHANT_WRITES if "API key" not in name)  # keys manage no keys


# (account state, which caller) -> the writes it may attempt and the refusal they all get.
CASES = {
    ("login disabled", "owner"): (MERCHANT_WRITES, 15000),
    ("merchant disabled", "owner"): (MERCHANT_WRITES, 15000),
    ("login disabled", "service"): (("put order",), 15000),
    ("key revoked", "by_key"): (KEY_WRITES, 101),
    ("merchant disabled", "by_key"): (KEY_WRITES, 15000),
    ("key revoked", "key's customer"): (CUSTOMER_WRITES, 15000),
    ("login disabled", "login's customer"): (CUSTOMER_WRITES, 15000),
}


def _table_state(dynamodb, table_name, world: dict) -> list:
    """Every item the writes above could touch: the merchant's partition (its
    item, endpoints, keys), its orders and refunds."""
    key_digest = hashlib.sha256(world["key"]["key"].encode()).hexdigest()
    partitions = [f"MERCHANT#{world['merchant']}", *(f"ORDER#{o}" for o in world["orders"]),
                  f"REFUND#{world['refund']['id']}", f"APIKEY#{key_digest}"]
    items = []
    for pk in partitions:
        items += dynamodb.query(TableName=table_name, KeyConditionExpression="PK = :pk", ConsistentRead=True,
                                ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
    orders_refunds = [dynamodb.query(TableName=table_name, IndexName="ByOrder", KeyConditionExpression="GSI3PK = :pk",
                                     ExpressionAttributeValues={":pk": {"S": f"ORDER#{o}"}})["Items"]
                      for o in world["orders"]]
    return sorted(map(repr, items)) + sorted(map(repr, orders_refunds))


@pytest.mark.parametrize(("state", "who"), list(CASES), ids=lambda value: str(value).replace(" ", "-"))
def test_no_write_trusts_the_cache(api, admin, monkeypatch, dynamodb, table_name, state, who):
    world = _unusable_callers(admin, api)
    caller = {"owner": world["owner"], "by_key": world["by_key"], "key's customer": _customer_of(world["by_key"]),
              "login's customer": _customer_of(world["owner"]), "service": world["service"]}[who]
    if state == "login disabled":
        admin.set_login_disabled(world["service_login" if who == "service" else "login"], True)
    elif state == "merchant disabled":
        admin.set_merchant_disabled(world["merchant"], True)
    else:
        api_keys.revoke(world["owner"], world["key"]["id"])
    before = _table_state(dynamodb, table_name, world)
    writes, code = CASES[(state, who)]

    refusals = {}
    for write in writes:
        # This execution environment believes the account fine for as long as the test runs.
        monkeypatch.setitem(auth._active_until, auth._account_cache_key(caller), math.inf)
        try:
            WRITES[write](caller, world)
        except ApiError as refused:
            refusals[write] = refused.entries[0][0]
        assert auth._account_cache_key(caller) not in auth._active_until, f"{write}: the cache kept trusting it"

    assert refusals == dict.fromkeys(writes, code)
    assert _table_state(dynamodb, table_name, world) == before, "a refused write wrote something"
    # The read path, asked afresh, names the same refusal as the writes' guards.
    with pytest.raises(ApiError) as read:
        auth.require_active_account(caller, fresh=True)
    assert read.value.entries[0][0] == code
