"""Revocation and disabling take effect at once for every write and every token
minted: a write carries the caller's account checks in its own transaction,
and minting reads the account strongly (auth.account_guards,
require_active_account(fresh=True)). Each route is used once with the
credential before it is revoked (so the function that serves it has cached
it), then at once after: refused, and nothing written.

The last test drives the logic in this process with a cache that says the
account is fine for an hour: the write is still refused, so what refuses it
is the transaction, not the cache's timing.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

import pytest

from refunds_core import auth
from refunds_core.callers import Caller, Role
from refunds_core.dal.codec import from_item
from refunds_core.errors import ApiError
from refunds_core.logic import refunds
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


def test_a_write_is_refused_even_while_the_cache_still_trusts_the_account(api, admin, monkeypatch):
    merchant_id, login = f"m-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    caller = Caller(login, Role.MERCHANT, merchant_id)
    order_id = api.paid_order(merchant_id=merchant_id)
    admin.set_login_disabled(login, True)
    # This execution environment believes the account fine for as long as the test runs.
    monkeypatch.setitem(auth._active_until, auth._account_cache_key(caller), math.inf)

    with pytest.raises(ApiError) as refused:
        refunds.create(caller, order_id, {"email": "m@example.com"})

    assert refused.value.entries[0][0] == 15000
    assert auth._account_cache_key(caller) not in auth._active_until, "the refusal forgets what was cached"
    assert api.request("GET", f"/v1/orders/{order_id}", login="support").body["data"]["refunds"] == []
