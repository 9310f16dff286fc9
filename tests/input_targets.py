"""The routes that read a body, as the hostile-input tests call them: who
calls each, on which ids, and which of its fields are strings and numbers.

tests/unit/test_input_refusals.py runs the matrix of hostile bodies through
the routes' handlers in process; tests/integration/test_attacks_input.py
sends one hostile case per route over HTTP. A POST, PUT or PATCH route added
to template.yaml without a target fails test_every_route_with_a_body_has_a_target.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from localrun import template as cfn
from localrun.seed import LOCAL_ACCOUNTS
from tests.conftest import ROOT, Answer, Client, sample_order

TEMPLATE_ROUTES = {(r.method, r.path) for r in cfn.api_routes(cfn.load_template(ROOT / "template.yaml"))}
INVALID_JSON = {"errors": [{"error": 110, "message": "JSON is not valid."}]}
TOO_LARGE = {"errors": [{"error": 112, "message": "Request body is too large."}]}
SHIPMENT = {"action": "SHIP_INIT", "trackingId": "1Z999AA10123456784", "carrierName": "UPS"}


@dataclass
class World:
    order_id: str      # demo's paid order: no refund may ever be opened on it here
    refund_id: str     # demo's REQUESTED refund (refundOnly false) on another order, of customer cust-1
    refund_number: int  # that refund's number (its id on /api/v2)
    webhook_id: str    # demo's endpoint
    new_order_id: str  # an order id nobody may create here
    customer_token: str  # demo's customer cust-1
    test_refund_id: str = ""  # demo's REQUESTED refund in test mode (docs/test-mode.md)
    test_token: str = ""     # demo's token in test mode


def make_world(api: Client) -> World:
    refund = api.request("POST", f"/v1/order/{api.paid_order()}/refund",
                         json_body={"email": "m@example.com", "refundOnly": False}, login="demo")
    hook = api.request("POST", "/v1/webhooks", json_body={
        "url": f"http://127.0.0.1:9/input/{uuid.uuid4().hex[:8]}", "events": ["refund.issued"]}, login="demo")
    customer = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"}, login="demo")
    assert refund.status == 200 and hook.status == 201 and customer.status == 200
    test_refund = api.request("POST", f"/v1/order/{api.paid_order(mode='test')}/refund", mode="test",
                              json_body={"email": "m@example.com"}, login="demo")
    assert test_refund.status == 200, test_refund
    return World(api.paid_order(), refund.body["data"]["id"], refund.body["data"]["numericId"],
                 hook.body["data"]["id"], f"new-{uuid.uuid4().hex[:8]}", customer.body["token"],
                 test_refund.body["data"]["id"], api.token("demo", "test"))


def snapshot(api: Client, world: World) -> dict:
    """What demo (and support, for the order nobody may create) can see."""
    return {"order": api.request("GET", f"/v1/orders/{world.order_id}", login="demo").body,
            "refund": api.request("GET", f"/v1/refunds/{world.refund_id}", login="demo").body,
            "webhooks": api.request("GET", "/v1/webhooks", login="demo").body,
            "api keys": api.request("GET", "/v1/api-keys", login="demo").body,
            "test refund": api.request("GET", f"/v1/refunds/{world.test_refund_id}", login="demo", mode="test").body,
            "new order": api.request("GET", f"/v1/orders/{world.new_order_id}", login="support").status}


@dataclass(frozen=True)
class Target:
    login: str | None
    path: Callable[[World], str]
    valid: Callable[[], dict]                       # a body the route accepts, less one detail if it would write
    string_field: str                               # a top-level string field, for NUL and long strings
    wrong_types: tuple[dict, list[str]]             # numbers for strings, strings for numbers -> the 15010 fields
    read_only: tuple[str, ...] = ()                 # server-owned fields a client might try to set
    huge_numbers: tuple[str, ...] = field(default=())  # JSON text: money and quantities, absurd
    token: Callable[[World], str] | None = None     # the caller when it is no login (a customer)
    body_optional: bool = False                     # no body at all is the request {} (every field optional)


def _order(**overrides) -> dict:
    return sample_order(**overrides)


def _order_line(quantity: str = "1", unit_price: str = '"9.99"') -> str:
    """An order as JSON text, its one line's quantity and unitPrice written as given."""
    line = f'{{"itemId": "sku-1", "name": "Widget", "quantity": {quantity}, "unitPrice": {unit_price}}}'
    return json.dumps(_order(lineItems=["LINE"])).replace('"LINE"', line)


def _refund(members: str) -> str:
    return '{"email": "m@example.com", ' + members + "}"


REFUND_READ_ONLY = ("id", "status", "merchantId", "orderId", "createdAt", "updatedAt", "number", "version",
                    "refundedAmount", "requester", "valid", "history", "issuedAt", "kind", "currency")
HUGE_NUMBERS = ("1e999999", "1E+999999999", "-1e999999", "9" * 5000, "0." + "0" * 5000 + "1", "1" + "0" * 400)
REFUND_HUGE = (*(_refund(f'"amount": {n}') for n in HUGE_NUMBERS),
               *(_refund(f'"amount": "{n}"') for n in HUGE_NUMBERS),
               *(_refund(f'"items": [{{"itemId": "sku-1", "quantity": {n}}}]') for n in HUGE_NUMBERS))

TARGETS: dict[tuple[str, str], Target] = {
    ("POST", "/v1/auth/token"): Target(
        None, lambda w: "/v1/auth/token", lambda: {"login": "demo", "password": "demo-secret"}, "password",
        ({"login": 42, "password": ["demo-secret"]}, ["login", "password"]), read_only=("role", "mid", "exp")),
    ("POST", "/v1/auth/customer-token"): Target(
        "demo", lambda w: "/v1/auth/customer-token", lambda: {"customerId": "cust-1"}, "customerId",
        ({"customerId": 1}, ["customerId"]), read_only=("merchantId", "role", "exp")),
    ("PUT", "/v1/orders/{orderId}"): Target(
        "orders-service", lambda w: f"/v1/orders/{w.new_order_id}", _order, "number",
        (_order(number=1001, lineItems=[{"itemId": "a", "name": "A", "quantity": "2", "unitPrice": "1.00"}]),
         ["number", "lineItems[0].quantity"]),
        read_only=("id", "totals", "refundedAmount", "refundableAmount", "refundStatus", "createdAt", "updatedAt",
                   "version", "refunds"),
        huge_numbers=(*(_order_line(unit_price=n) for n in HUGE_NUMBERS),
                      *(_order_line(unit_price=f'"{n}"') for n in HUGE_NUMBERS),
                      *(_order_line(quantity=n) for n in HUGE_NUMBERS))),
    ("POST", "/v1/order/{orderId}/refund"): Target(
        "demo", lambda w: f"/v1/order/{w.order_id}/refund", lambda: {"email": "m@example.com"}, "description",
        ({"email": 5, "refundOnly": "false", "items": [{"itemId": "sku-1", "quantity": "1"}]},
         ["email", "refundOnly", "items[0].quantity"]), read_only=REFUND_READ_ONLY, huge_numbers=REFUND_HUGE),
    ("POST", "/v1/order/{orderId}/refund/preview"): Target(
        "demo", lambda w: f"/v1/order/{w.order_id}/refund/preview", lambda: {"email": "m@example.com"},
        "description", ({"email": 5, "refundShipping": 1}, ["email", "refundShipping"]),
        read_only=REFUND_READ_ONLY, huge_numbers=REFUND_HUGE),
    ("PATCH", "/v1/refunds/{refundId}"): Target(
        "demo", lambda w: f"/v1/refunds/{w.refund_id}", lambda: dict(SHIPMENT), "trackingId",
        ({"action": "SHIP_INIT", "trackingId": 1, "carrierName": True}, ["trackingId", "carrierName"]),
        read_only=("status", "amount", "id", "merchantId", "version", "issuedAt", "history", "valid")),
    ("POST", "/v1/webhooks"): Target(
        "demo", lambda w: "/v1/webhooks", lambda: {"url": "http://127.0.0.1:9/x", "events": ["refund.issued"]},
        "url", ({"url": 1, "events": "refund.issued"}, ["url", "events"]),
        read_only=("id", "secret", "createdAt", "merchantId")),
    ("PATCH", "/v1/webhooks/{webhookId}"): Target(
        "demo", lambda w: f"/v1/webhooks/{w.webhook_id}", lambda: {"events": ["refund.issued"]}, "description",
        ({"description": 5, "enabled": "true"}, ["description", "enabled"]),
        read_only=("id", "secret", "secrets", "createdAt", "updatedAt", "merchantId", "disabledReason",
                   "failingSince")),
    ("POST", "/v1/webhooks/{webhookId}/replay"): Target(
        "demo", lambda w: f"/v1/webhooks/{w.webhook_id}/replay", lambda: {"since": "2026-01-01T00:00:00Z"},
        "since", ({"since": 1767225600}, ["since"]), read_only=("queued", "nextSince", "merchantId")),
}
# Test mode's simulation (demo's test token): FAIL, which a REQUESTED refund refuses (15080), would not write.
TARGETS[("POST", "/v1/test/refunds/{refundId}/simulate")] = Target(
    None, lambda w: f"/v1/test/refunds/{w.test_refund_id}/simulate",
    lambda: {"action": "FAIL", "responseReason": "Bank refused"}, "responseReason",
    ({"action": "FAIL", "responseReason": 5}, ["responseReason"]),
    read_only=("status", "livemode", "id", "merchantId", "version", "history", "issuedAt"),
    token=lambda w: w.test_token)
# Seed 002's create: its order, 1, exists nowhere (a body that got through would be 404, not 15010).
SEED002_REFUND = {"orderId": 1, "reason": "Wrong size", "amount": 1, "refundOnly": True}


def _seed002_refund(members: str) -> str:
    return '{"reason": "x", "refundOnly": true, ' + members + "}"


TARGETS[("POST", "/api/v2/refunds")] = Target(
    "demo", lambda w: "/api/v2/refunds", lambda: dict(SEED002_REFUND), "reason",
    ({"orderId": "1", "reason": 5, "amount": "1.00", "refundOnly": "true"}, ["orderId", "reason", "amount",
                                                                               "refundOnly"]),
    read_only=("id", "order", "status", "valid", "requester", "requestReason", "createdAt", "updatedAt",
               "issuedAt", "refundId", "currency", "email"),
    huge_numbers=(*(_seed002_refund(f'"orderId": 1, "amount": {n}') for n in HUGE_NUMBERS),
                  *(_seed002_refund(f'"orderId": {n}, "amount": 1') for n in HUGE_NUMBERS)))
TARGETS[("PATCH", "/api/v2/refunds/{id}")] = Target(
    None, lambda w: f"/api/v2/refunds/{w.refund_number}", lambda: dict(SHIPMENT), "trackingId",
    ({"action": "SHIP_INIT", "trackingId": 1, "carrierName": True}, ["trackingId", "carrierName"]),
    read_only=("status", "amount", "id", "order", "valid", "issuedAt", "refundOnly"),
    token=lambda w: w.customer_token)
# Seed 003's create, under demo's connection, on the order nobody may create (a body that got through: 404).
DEMO_CONNECTION = next(account.connection_id for account in LOCAL_ACCOUNTS if account.login == "demo")
TARGETS[("POST", "/v1/connections/{connectionId}/orders/{orderId}/refunds")] = Target(
    "demo", lambda w: f"/v1/connections/{DEMO_CONNECTION}/orders/{w.new_order_id}/refunds",
    lambda: {"batchId": "input-test", "items": [{"itemId": "sku-1", "quantity": 1}]}, "batchId",
    ({"batchId": 5, "items": [{"itemId": 1, "quantity": "1"}], "returnedDate": 1767225600},
     ["batchId", "items[0].itemId", "items[0].quantity", "returnedDate"]),
    read_only=("connectionId", "createdDate", "id", "orderId", "status", "amount", "tax", "shipping", "currency",
               "email"),
    huge_numbers=tuple(f'{{"items": [{{"itemId": "sku-1", "quantity": {n}}}]}}' for n in HUGE_NUMBERS),
    body_optional=True)
TARGETS[("POST", "/v1/api-keys")] = Target(
    "demo", lambda w: "/v1/api-keys", lambda: {"name": "input test"}, "name", ({"name": 5}, ["name"]),
    read_only=("id", "key", "prefix", "createdAt", "merchantId"))
# Seed 004's full refund, on an order nobody may create here: a body that got through would be 404.
TARGETS[("POST", "/v1/orders/{orderId}/full-refund")] = Target(
    "demo", lambda w: f"/v1/orders/{w.new_order_id}/full-refund", lambda: {"note": "Changed my mind"}, "note",
    ({"note": 5}, ["note"]), body_optional=True,
    read_only=("Id", "Status", "Number", "AllRefunded", "RefundStatus", "Order", "Refund", "amount", "items",
               "email", "refundShipping", "orderId"))
# POST routes that take no body: only the size limit applies to them.
NO_BODY = {("POST", "/v1/webhooks/{webhookId}/rotate-secret"), ("POST", "/v1/webhooks/{webhookId}/test")}
ROUTES = list(TARGETS)
ROUTE_IDS = [f"{m} {p}" for m, p in ROUTES]


def call(api: Client, route: tuple[str, str], world: World, *, body: object = None, raw: bytes | None = None,
         headers: dict | None = None) -> Answer:
    if raw is None:
        raw = json.dumps(body).encode()
    target = TARGETS[route]
    return api.request(route[0], target.path(world), raw=raw, login=target.login,
                       token=target.token(world) if target.token else None,
                       headers={"Content-Type": "application/json", **(headers or {})})
