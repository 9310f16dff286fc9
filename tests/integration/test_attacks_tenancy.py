"""Every route, tried with another tenant's ids: the answer is the route's
"not found" (never 403, never the other tenant's data), and the other tenant's
objects are exactly as they were.

The routes come from template.yaml: a route added to the template without a
row here (or a reasoned exemption) fails test_every_route_of_the_template_has_a_row.

Tenant A is merchant ``demo`` (an order of customer cust-1, a refund request
on it, a webhook endpoint); the attackers are merchant ``demo2``, demo's
other customer ``cust-2``, and demo2's own customer called ``cust-1`` (the
same customer id at another merchant).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from localrun import template as cfn
from localrun.seed import LOCAL_ACCOUNTS
from tests.conftest import ROOT, Answer

pytestmark = pytest.mark.server

TEMPLATE_ROUTES = {(r.method, r.path) for r in cfn.api_routes(cfn.load_template(ROOT / "template.yaml"))}

ORDER_NOT_FOUND = (404, 15060)
REFUND_NOT_FOUND = (404, 15070)
WEBHOOK_NOT_FOUND = (404, 15160)
EVENT_NOT_FOUND = (404, 15170)
API_KEY_NOT_FOUND = (404, 15190)
CONNECTION_NOT_FOUND = (404, 15240)
CONNECTIONS = {account.login: account.connection_id for account in LOCAL_ACCOUNTS if account.connection_id}
SHIPMENT = {"action": "SHIP_INIT", "trackingId": "1Z999AA10123456784", "carrierName": "UPS"}
REFUND_BODY = {"email": "attacker@example.com", "refundOnly": False}


@dataclass
class World:
    """Tenant A's objects, and the attackers' tokens."""

    order_id: str
    refund_id: str
    webhook_id: str
    attackers: dict[str, str]  # name -> token
    api_key_id: str | None = None
    refund_number: int = 0  # the refund's id on /api/v2 (its order's id is an integer: seed 002 names it)
    event_id: str = ""  # the refund's refund.created
    test_refund_id: str = ""  # demo's refund in test mode (docs/test-mode.md)


def _customer_token(api, merchant_login: str, customer_id: str) -> str:
    answer = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": customer_id},
                         login=merchant_login)
    assert answer.status == 200, answer
    return answer.body["token"]


@pytest.fixture(scope="module")
def world(api):
    order_id = api.paid_order(order_id=str(10**14 + uuid.uuid4().int % 10**14))  # demo's, customer cust-1
    refund = api.request("POST", f"/v1/order/{order_id}/refund", json_body={
        "email": "merchant@example.com", "refundOnly": False}, login="demo")
    assert refund.status == 200, refund
    hook = api.request("POST", "/v1/webhooks", json_body={
        "url": f"http://127.0.0.1:9/tenancy/{uuid.uuid4().hex[:8]}", "events": ["refund.issued"]}, login="demo")
    assert hook.status == 201, hook
    attackers = {"merchant demo2": api.token("demo2"),
                 "demo's customer cust-2": _customer_token(api, "demo", "cust-2"),
                 "demo2's customer cust-1": _customer_token(api, "demo2", "cust-1")}
    events = api.request("GET", f"/v1/events?refundId={refund.body['data']['id']}", login="demo")
    assert events.status == 200 and len(events.body["data"]) == 1, events
    world = World(order_id, refund.body["data"]["id"], hook.body["data"]["id"], attackers,
                  refund_number=refund.body["data"]["numericId"], event_id=events.body["data"][0]["id"])
    world.api_key_id = _api_key_of_demo(api)
    test_refund = api.request("POST", f"/v1/order/{api.paid_order(mode='test')}/refund", mode="test",
                              json_body={"email": "merchant@example.com"}, login="demo")
    assert test_refund.status == 200, test_refund
    world.test_refund_id = test_refund.body["data"]["id"]
    yield world
    api.request("DELETE", f"/v1/webhooks/{world.webhook_id}", login="demo")
    api.request("DELETE", f"/v1/api-keys/{world.api_key_id}", login="demo")


def snapshot(api, dynamodb, table_name, world: World) -> dict:
    """Everything tenant A can see of its objects (and the stored webhook, secrets included)."""
    order = api.request("GET", f"/v1/orders/{world.order_id}", login="demo")
    refund = api.request("GET", f"/v1/refunds/{world.refund_id}", login="demo")
    refunds = api.request("GET", f"/v1/refunds?orderId={world.order_id}", login="demo")
    hook = dynamodb.get_item(TableName=table_name, ConsistentRead=True, Key={
        "PK": {"S": "MERCHANT#demo"}, "SK": {"S": f"WEBHOOK#{world.webhook_id}"}}).get("Item")
    assert order.status == refund.status == refunds.status == 200 and hook is not None
    state = {"order": order.body, "refund": refund.body, "refunds": refunds.body, "webhook": hook}
    if world.test_refund_id:
        state["testRefund"] = api.request("GET", f"/v1/refunds/{world.test_refund_id}", login="demo", mode="test").body
    if world.api_key_id:
        state["apiKeys"] = api.request("GET", "/v1/api-keys", login="demo").body
    return state


# ------------------------------------------------------------------- rows
# A row: the attack (the attacker's token, tenant A's world) -> the answer,
# and the (status, error code) it must get, or a check of its own.


@dataclass(frozen=True)
class Row:
    attack: Callable[[object, str, World], Answer]
    expected: tuple[int, int] | None = None           # (status, code)
    check: Callable[[Answer, World], None] | None = None  # when the answer is not an error
    attackers: tuple[str, ...] = ("merchant demo2",)


def _empty_list(answer: Answer, _world: World) -> None:
    assert (answer.status, answer.body) == (200, {"data": [], "nextCursor": None})


def _empty_window(answer: Answer, _world: World) -> None:
    assert (answer.status, answer.body) == (200, {"data": []})


def _webhook_not_listed(answer: Answer, world: World) -> None:
    assert answer.status == 200 and world.webhook_id not in json.dumps(answer.body)


def _mint_then_read(api, token: str, world: World) -> Answer:
    """demo2 mints a token for 'cust-1' (demo's customer id): it is demo2's cust-1, who sees none of demo's."""
    minted = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"}, token=token)
    assert minted.status == 200, minted
    customer = minted.body["token"]
    assert api.request("GET", f"/v1/refunds?orderId={world.order_id}", token=customer).body["data"] == []
    assert api.request("POST", f"/v1/order/{world.order_id}/refund", json_body=REFUND_BODY,
                       token=customer).codes == [15060]
    return api.request("GET", f"/v1/refunds/{world.refund_id}", token=customer)


def _put_order_of_another_merchant(api, _token: str, world: World) -> Answer:
    # The order system writes for every merchant: naming demo2 as the owner of
    # demo's order id must not move the order (documented: 409, 109).
    order = {"merchantId": "demo2", "number": "SO-EVIL", "status": "paid", "currency": "USD", "customerId": "cust-1",
             "lineItems": [{"itemId": "sku-1", "name": "Widget", "quantity": 1, "unitPrice": "1.00"}]}
    return api.request("PUT", f"/v1/orders/{world.order_id}", json_body=order, login="orders-service")


def _refund_under_a_connection(api, token: str, world: World) -> Answer:
    """Seed 003 names a connection and an order: demo's connection is not
    demo2's (15240), and under demo2's own, demo's order is not found (15060)."""
    def path(connection: str) -> str:
        return f"/v1/connections/{connection}/orders/{world.order_id}/refunds"

    theirs = api.request("POST", path(CONNECTIONS["demo"]), json_body={}, token=token)
    assert (theirs.status, theirs.codes) == (CONNECTION_NOT_FOUND[0], [CONNECTION_NOT_FOUND[1]]), theirs
    return api.request("POST", path(CONNECTIONS["demo2"]), json_body={}, token=token)


def _connection_not_listed(answer: Answer, _world: World) -> None:
    assert answer.status == 200 and CONNECTIONS["demo"] not in json.dumps(answer.body)


def _export_another_merchants_refunds(api, token: str, world: World) -> Answer:
    """demo2 exports a range holding demo's refund: naming demo is 15010; its own export holds none of demo's."""
    period = "createdFrom=2025-01-01T00:00:00Z&createdTo=2100-01-01T00:00:00Z"
    named = api.request("GET", f"/v1/refunds/export?{period}&merchantId=demo", token=token)
    assert (named.status, named.codes) == (400, [15010]), named
    return api.request("GET", f"/v1/refunds/export?{period}", token=token)


def _refund_not_exported(answer: Answer, world: World) -> None:
    assert answer.status == 200 and answer.text.startswith("id,") and world.refund_id not in answer.text


REFUND_ATTACKERS = ("merchant demo2", "demo's customer cust-2", "demo2's customer cust-1")
CUSTOMER_ATTACKERS = ("demo's customer cust-2", "demo2's customer cust-1")
SEED002_REFUND = {"reason": "Not mine", "amount": 1, "refundOnly": False}

ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/v1/auth/customer-token"): Row(_mint_then_read, REFUND_NOT_FOUND),
    ("PUT", "/v1/orders/{orderId}"): Row(_put_order_of_another_merchant, (409, 109)),
    ("GET", "/v1/orders/{orderId}"): Row(
        lambda api, token, w: api.request("GET", f"/v1/orders/{w.order_id}", token=token), ORDER_NOT_FOUND),
    ("POST", "/v1/order/{orderId}/refund"): Row(
        lambda api, token, w: api.request("POST", f"/v1/order/{w.order_id}/refund", json_body=REFUND_BODY,
                                          token=token), ORDER_NOT_FOUND, attackers=REFUND_ATTACKERS),
    ("POST", "/v1/order/{orderId}/refund/preview"): Row(
        lambda api, token, w: api.request("POST", f"/v1/order/{w.order_id}/refund/preview", json_body=REFUND_BODY,
                                          token=token), ORDER_NOT_FOUND, attackers=REFUND_ATTACKERS),
    ("GET", "/v1/refunds"): Row(
        lambda api, token, w: api.request("GET", f"/v1/refunds?orderId={w.order_id}", token=token),
        check=_empty_list, attackers=REFUND_ATTACKERS),
    ("GET", "/v1/refunds/{refundId}"): Row(
        lambda api, token, w: api.request("GET", f"/v1/refunds/{w.refund_id}", token=token), REFUND_NOT_FOUND,
        attackers=REFUND_ATTACKERS),
    ("PATCH", "/v1/refunds/{refundId}"): Row(
        lambda api, token, w: api.request("PATCH", f"/v1/refunds/{w.refund_id}", json_body=SHIPMENT, token=token),
        REFUND_NOT_FOUND, attackers=REFUND_ATTACKERS),
    ("GET", "/v1/refunds/export"): Row(_export_another_merchants_refunds, check=_refund_not_exported),
    # Test mode: demo2's own test-mode token (the attacker's token is live, where the route is 404, 104).
    ("POST", "/v1/test/refunds/{refundId}/simulate"): Row(
        lambda api, _token, w: api.request("POST", f"/v1/test/refunds/{w.test_refund_id}/simulate",
                                           json_body={"action": "APPROVE"}, login="demo2", mode="test"),
        REFUND_NOT_FOUND),
    ("DELETE", "/v1/refunds/{refundId}"): Row(
        lambda api, token, w: api.request("DELETE", f"/v1/refunds/{w.refund_id}", token=token), REFUND_NOT_FOUND,
        attackers=REFUND_ATTACKERS),
    # Counts have no id to name: a merchant may not name another merchant either.
    ("GET", "/v1/refunds/counts"): Row(
        lambda api, token, w: api.request("GET", "/v1/refunds/counts?merchantId=demo", token=token), (400, 15010)),
    # Customers may not read deliveries at all (403: not a tenancy answer); another merchant's refund is 404.
    ("GET", "/v1/refunds/{refundId}/deliveries"): Row(
        lambda api, token, w: api.request("GET", f"/v1/refunds/{w.refund_id}/deliveries", token=token),
        REFUND_NOT_FOUND),
    # Seed 002's routes: the same refunds and orders, named by their integer ids.
    ("GET", "/api/v2/refunds"): Row(
        lambda api, token, w: api.request("GET", f"/api/v2/refunds?orderId={w.order_id}", token=token),
        check=_empty_window, attackers=REFUND_ATTACKERS),
    ("GET", "/api/v2/refunds/{id}"): Row(
        lambda api, token, w: api.request("GET", f"/api/v2/refunds/{w.refund_number}", token=token),
        REFUND_NOT_FOUND, attackers=REFUND_ATTACKERS),
    ("POST", "/api/v2/refunds"): Row(
        lambda api, token, w: api.request("POST", "/api/v2/refunds", token=token,
                                          json_body={**SEED002_REFUND, "orderId": int(w.order_id)}),
        ORDER_NOT_FOUND, attackers=REFUND_ATTACKERS),
    ("PATCH", "/api/v2/refunds/{id}"): Row(  # customers only: a merchant's 403 is its role's, not tenancy
        lambda api, token, w: api.request("PATCH", f"/api/v2/refunds/{w.refund_number}", json_body=SHIPMENT,
                                          token=token), REFUND_NOT_FOUND, attackers=CUSTOMER_ATTACKERS),
    ("DELETE", "/api/v2/refunds/{id}"): Row(
        lambda api, token, w: api.request("DELETE", f"/api/v2/refunds/{w.refund_number}", token=token),
        REFUND_NOT_FOUND, attackers=REFUND_ATTACKERS),
    # Seed 003's route and the connections it names (customers may not call them: their 403 is their role's).
    ("POST", "/v1/connections/{connectionId}/orders/{orderId}/refunds"): Row(
        _refund_under_a_connection, ORDER_NOT_FOUND),
    ("GET", "/v1/connections"): Row(
        lambda api, token, w: api.request("GET", "/v1/connections?limit=100", token=token),
        check=_connection_not_listed),
    # Seed 004's full refund: demo's order and refund, in its errors body (our codes beside).
    ("POST", "/v1/orders/{orderId}/full-refund"): Row(
        lambda api, token, w: api.request("POST", f"/v1/orders/{w.order_id}/full-refund", token=token),
        ORDER_NOT_FOUND),
    ("GET", "/v1/orders/{orderId}/full-refund/{refundId}"): Row(
        lambda api, token, w: api.request("GET", f"/v1/orders/{w.order_id}/full-refund/{w.refund_id}", token=token),
        REFUND_NOT_FOUND),
    # No id to name in the path: the body may not name another merchant either.
    ("POST", "/v1/webhooks"): Row(
        lambda api, token, w: api.request("POST", "/v1/webhooks", token=token, json_body={
            "url": "http://127.0.0.1:9/evil", "events": ["refund.issued"], "merchantId": "demo"}), (400, 15010)),
    ("GET", "/v1/webhooks"): Row(
        lambda api, token, w: api.request("GET", "/v1/webhooks", token=token), check=_webhook_not_listed),
    ("DELETE", "/v1/webhooks/{webhookId}"): Row(
        lambda api, token, w: api.request("DELETE", f"/v1/webhooks/{w.webhook_id}", token=token), WEBHOOK_NOT_FOUND),
    ("POST", "/v1/webhooks/{webhookId}/rotate-secret"): Row(
        lambda api, token, w: api.request("POST", f"/v1/webhooks/{w.webhook_id}/rotate-secret", token=token),
        WEBHOOK_NOT_FOUND),
    ("GET", "/v1/webhooks/{webhookId}/deliveries"): Row(
        lambda api, token, w: api.request("GET", f"/v1/webhooks/{w.webhook_id}/deliveries", token=token),
        WEBHOOK_NOT_FOUND),
    ("POST", "/v1/webhooks/{webhookId}/replay"): Row(
        lambda api, token, w: api.request("POST", f"/v1/webhooks/{w.webhook_id}/replay", token=token,
                                          json_body={"since": "2026-01-01T00:00:00Z"}), WEBHOOK_NOT_FOUND),
    ("GET", "/v1/webhooks/{webhookId}"): Row(
        lambda api, token, w: api.request("GET", f"/v1/webhooks/{w.webhook_id}", token=token), WEBHOOK_NOT_FOUND),
    ("PATCH", "/v1/webhooks/{webhookId}"): Row(
        lambda api, token, w: api.request("PATCH", f"/v1/webhooks/{w.webhook_id}", token=token, json_body={
            "url": "http://127.0.0.1:9/evil", "enabled": False}), WEBHOOK_NOT_FOUND),
    ("POST", "/v1/webhooks/{webhookId}/test"): Row(
        lambda api, token, w: api.request("POST", f"/v1/webhooks/{w.webhook_id}/test", token=token),
        WEBHOOK_NOT_FOUND),
    # A merchant's events: another's refund lists none of them, and its event is not found.
    ("GET", "/v1/events"): Row(
        lambda api, token, w: api.request("GET", f"/v1/events?refundId={w.refund_id}", token=token),
        check=_empty_list),
    ("GET", "/v1/events/{eventId}"): Row(
        lambda api, token, w: api.request("GET", f"/v1/events/{w.event_id}", token=token), EVENT_NOT_FOUND),
}

# Routes whose attack is elsewhere, with why.
EXEMPT = {
    ("POST", "/v1/auth/token"): "names no object of a tenant: a login and its password (tests/integration/"
                                "test_attacks_tokens.py and test_auth_api.py)",
    ("GET", "/v1/openapi.json"): "the public API document: the same for everyone, no tenant's object in it",
}


def _api_key_of_demo(api) -> str:
    created = api.request("POST", "/v1/api-keys", json_body={"name": "tenancy"}, login="demo")
    assert created.status in (200, 201), created
    return created.body["data"]["id"]


def _api_key_not_listed(answer: Answer, world: World) -> None:
    assert answer.status == 200 and world.api_key_id not in json.dumps(answer.body)


API_KEY_ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/v1/api-keys"): Row(
        lambda api, token, w: api.request("POST", "/v1/api-keys", token=token,
                                          json_body={"name": "evil", "merchantId": "demo"}), (400, 15010)),
    ("GET", "/v1/api-keys"): Row(lambda api, token, w: api.request("GET", "/v1/api-keys", token=token),
                                 check=_api_key_not_listed),
    ("DELETE", "/v1/api-keys/{keyId}"): Row(
        lambda api, token, w: api.request("DELETE", f"/v1/api-keys/{w.api_key_id}", token=token), API_KEY_NOT_FOUND),
}
ALL_ROWS = {**ROWS, **API_KEY_ROWS}


def test_every_route_of_the_template_has_a_row():
    missing = TEMPLATE_ROUTES - set(ALL_ROWS) - set(EXEMPT)
    assert not missing, f"routes with no tenancy attack: add a row for each of {sorted(missing)}"
    assert not (set(ALL_ROWS) | set(EXEMPT)) - TEMPLATE_ROUTES, "a row for a route the template no longer has"


CASES = [(route, attacker) for route, row in ALL_ROWS.items() for attacker in row.attackers]


@pytest.mark.parametrize(("route", "attacker"), CASES, ids=[f"{m} {p} as {a}" for (m, p), a in CASES])
def test_another_tenants_ids_are_not_found_and_nothing_changes(api, dynamodb, table_name, world, route, attacker):
    row = ALL_ROWS[route]
    before = snapshot(api, dynamodb, table_name, world)
    answer = row.attack(api, world.attackers[attacker], world)
    if row.expected is not None:
        assert (answer.status, answer.codes) == (row.expected[0], [row.expected[1]]), answer
        assert set(answer.ours) == {"errors"}  # the errors body, nothing of A's object
    else:
        row.check(answer, world)
    assert answer.status != 403 and answer.status < 500
    assert snapshot(api, dynamodb, table_name, world) == before
