"""Malformed and hostile bodies and ids on every route that reads them:
always a 4xx with the errors body, never a 500, and nothing stored.

Each route that takes a body has a target below: who calls it, on which ids,
and which of its fields are strings and numbers. A POST, PUT or PATCH route
added to template.yaml without a target fails test_every_route_with_a_body_has_a_target.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from localrun import template as cfn
from refunds_core.api import MAX_BODY_BYTES
from tests.conftest import ROOT, Answer, sample_order

pytestmark = pytest.mark.server

TEMPLATE_ROUTES = {(r.method, r.path) for r in cfn.api_routes(cfn.load_template(ROOT / "template.yaml"))}
INVALID_JSON = {"errors": [{"error": 110, "message": "JSON is not valid."}]}
TOO_LARGE = {"errors": [{"error": 112, "message": "Request body is too large."}]}
SHIPMENT = {"action": "SHIP_INIT", "trackingId": "1Z999AA10123456784", "carrierName": "UPS"}


@dataclass
class World:
    order_id: str      # demo's paid order: no refund may ever be opened on it here
    refund_id: str     # demo's REQUESTED refund (refundOnly false) on another order
    webhook_id: str    # demo's endpoint
    new_order_id: str  # an order id nobody may create here


@pytest.fixture(scope="module")
def world(api):
    refund = api.request("POST", f"/v1/order/{api.paid_order()}/refund",
                         json_body={"email": "m@example.com", "refundOnly": False}, login="demo")
    hook = api.request("POST", "/v1/webhooks", json_body={
        "url": f"http://127.0.0.1:9/input/{uuid.uuid4().hex[:8]}", "events": ["refund.issued"]}, login="demo")
    assert refund.status == 200 and hook.status == 201
    world = World(api.paid_order(), refund.body["data"]["id"], hook.body["data"]["id"], f"new-{uuid.uuid4().hex[:8]}")
    yield world
    api.request("DELETE", f"/v1/webhooks/{world.webhook_id}", login="demo")


def snapshot(api, world: World) -> dict:
    """What demo (and support, for the order nobody may create) can see."""
    return {"order": api.request("GET", f"/v1/orders/{world.order_id}", login="demo").body,
            "refund": api.request("GET", f"/v1/refunds/{world.refund_id}", login="demo").body,
            "webhooks": api.request("GET", "/v1/webhooks", login="demo").body,
            "new order": api.request("GET", f"/v1/orders/{world.new_order_id}", login="support").status}


@pytest.fixture
def unchanged(api, world):
    before = snapshot(api, world)
    yield
    assert snapshot(api, world) == before


@dataclass(frozen=True)
class Target:
    login: str | None
    path: Callable[[World], str]
    valid: Callable[[], dict]                       # a body the route accepts, less one detail if it would write
    string_field: str                               # a top-level string field, for NUL and long strings
    wrong_types: tuple[dict, list[str]]             # numbers for strings, strings for numbers -> the 15010 fields
    read_only: tuple[str, ...] = ()                 # server-owned fields a client might try to set
    huge_numbers: tuple[str, ...] = field(default=())  # JSON text: money and quantities, absurd


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
    ("POST", "/v1/webhooks/{webhookId}/replay"): Target(
        "demo", lambda w: f"/v1/webhooks/{w.webhook_id}/replay", lambda: {"since": "2026-01-01T00:00:00Z"},
        "since", ({"since": 1767225600}, ["since"]), read_only=("queued", "nextSince", "merchantId")),
}
TARGETS[("POST", "/v1/api-keys")] = Target(
    "demo", lambda w: "/v1/api-keys", lambda: {"name": "input test"}, "name", ({"name": 5}, ["name"]),
    read_only=("id", "key", "prefix", "createdAt", "merchantId"))
# POST routes that take no body: only the size limit applies to them.
NO_BODY = {("POST", "/v1/webhooks/{webhookId}/rotate-secret")}


def test_every_route_with_a_body_has_a_target():
    writes = {route for route in TEMPLATE_ROUTES if route[0] in ("POST", "PUT", "PATCH")}
    assert writes - set(TARGETS) - NO_BODY == set()


def call(api, target: Target, world: World, *, body: object = None, raw: bytes | None = None,
         headers: dict | None = None) -> Answer:
    if raw is None:
        raw = json.dumps(body).encode()
    method = next(m for (m, p), t in TARGETS.items() if t is target)
    return api.request(method, target.path(world), raw=raw, login=target.login,
                       headers={"Content-Type": "application/json", **(headers or {})})


def assert_field_errors(answer: Answer, fields: list[str] | None = None) -> None:
    assert answer.status == 400 and set(answer.codes) == {15010}, answer
    if fields is not None:
        named = [e["message"].removeprefix("Invalid field value: ") for e in answer.body["errors"]]
        assert set(fields) <= set(named), (fields, named)


ROUTES = list(TARGETS)
ids = [f"{m} {p}" for m, p in ROUTES]
# The same hostile body with an Idempotency-Key: the request's fingerprint is
# made from the body (refunds_core/idempotency.py) before the route reads it.
KEYED = pytest.mark.parametrize("keyed", [False, True], ids=["no key", "with Idempotency-Key"])


def key_headers(keyed: bool) -> dict:
    return {"Idempotency-Key": f"input-{uuid.uuid4()}"} if keyed else {}


def assert_not_stored(api, target: Target, world: World, raw: bytes, headers: dict, first: Answer) -> None:
    """With a key, the refusal is not stored: the same request again is judged
    again (the same answer, not a replay)."""
    if headers:
        again = call(api, target, world, raw=raw, headers=headers)
        assert (again.status, again.body) == (first.status, first.body), again
        assert "idempotent-replayed" not in again.headers


# ------------------------------------------------------------------ size

@pytest.mark.parametrize("route", ROUTES + sorted(NO_BODY), ids=ids + [f"{m} {p}" for m, p in sorted(NO_BODY)])
def test_a_body_over_16_kb_is_413_112(api, world, unchanged, route):
    target = TARGETS.get(route)
    path = target.path(world) if target else route[1].replace("{webhookId}", world.webhook_id)
    login = target.login if target else "demo"
    valid = json.dumps(target.valid() if target else {}).encode()
    padded = valid[:-1] + b" " * (MAX_BODY_BYTES + 1 - len(valid)) + b"}"  # valid JSON, 16 385 bytes
    nested = b"[" * 100_000 + b"]" * 100_000
    for raw in (padded, nested):
        answer = api.request(route[0], path, raw=raw, login=login, headers={"Content-Type": "application/json"})
        assert (answer.status, answer.body) == (413, TOO_LARGE)


def test_a_body_of_exactly_16_kb_is_read(api, world, unchanged):
    target = TARGETS[("POST", "/v1/order/{orderId}/refund/preview")]
    valid = json.dumps(target.valid()).encode()
    padded = valid[:-1] + b" " * (MAX_BODY_BYTES - len(valid)) + b"}"
    assert len(padded) == MAX_BODY_BYTES
    assert call(api, target, world, raw=padded).status == 200


# ------------------------------------------------------ not a JSON object

NOT_OBJECTS = {
    "invalid UTF-8": b'{"x": "\xff\xfe"}',
    "an overlong UTF-8 encoding": b'{"x": "\xc0\xaf"}',
    "a UTF-8-encoded surrogate": b'{"x": "\xed\xa0\x80"}',
    "a lone surrogate escape": b'{"x": "\\ud800"}',
    "a lone surrogate escape in a name": b'{"\\udfff": 1}',
    "a repeated member name": b'{"x": 1, "x": 2}',
    "a repeated member name, nested": b'{"x": {"a": 1, "a": 1}}',
    "an array": b"[]",
    "an array of an object": b'[{"x": 1}]',
    "a string": b'"x"',
    "a number": b"42",
    "null": b"null",
    "true": b"true",
    "NaN": b'{"x": NaN}',
    "Infinity": b'{"x": -Infinity}',
    "a trailing comma": b'{"x": 1,}',
    "a BOM then JSON": b'\xef\xbb\xbf{"x": 1}',
    "two objects": b'{"x": 1}{"x": 2}',
    "empty": b"",
}


@pytest.mark.parametrize("route", ROUTES, ids=ids)
@pytest.mark.parametrize("case", list(NOT_OBJECTS))
def test_a_body_that_is_not_a_json_object_is_110(api, world, unchanged, route, case):
    answer = call(api, TARGETS[route], world, raw=NOT_OBJECTS[case])
    assert (answer.status, answer.body) == (400, INVALID_JSON)


DEEP = {"arrays, 7 500 levels (about all 16 KB allow)": "[" * 7500 + "]" * 7500,
        "objects, 2 500 levels": '{"a":' * 2500 + "1" + "}" * 2500}


@pytest.mark.parametrize("route", ROUTES, ids=ids)
@pytest.mark.parametrize("case", list(DEEP))
@KEYED
def test_the_deepest_nesting_16_kb_allow_is_a_bad_body_not_a_crash(api, world, unchanged, route, case, keyed):
    """Deeper than the parser goes is 110 (tests/unit/test_validation.py: 100 000
    levels); what it parses is an unknown field "x", 15010. Either way a 400,
    with an Idempotency-Key too (and then not stored)."""
    valid = json.dumps(TARGETS[route].valid())
    raw = (valid[:-1] + ', "x": ' + DEEP[case] + "}").encode()
    assert len(raw) <= MAX_BODY_BYTES
    headers = key_headers(keyed)
    answer = call(api, TARGETS[route], world, raw=raw, headers=headers)
    assert (answer.status, answer.body) in ((400, INVALID_JSON), (400, {"errors": [
        {"error": 15010, "message": "Invalid field value: x"}]})), answer
    assert_not_stored(api, TARGETS[route], world, raw, headers, answer)


@pytest.mark.parametrize("route", ROUTES, ids=ids)
def test_a_repeated_member_name_is_110_even_when_both_values_are_valid(api, world, unchanged, route):
    target = TARGETS[route]
    valid = json.dumps(target.valid())
    repeated = valid[:-1] + ", " + valid[1:-1] + "}"  # every member twice, same values
    answer = call(api, target, world, raw=repeated.encode())
    assert (answer.status, answer.body) == (400, INVALID_JSON)


@pytest.mark.parametrize("route", ROUTES, ids=ids)
@KEYED
def test_moderate_nesting_in_a_field_is_a_bad_field_not_a_crash(api, world, unchanged, route, keyed):
    target = TARGETS[route]
    raw = json.dumps({**target.valid(), target.string_field: json.loads("[" * 500 + "]" * 500)}).encode()
    headers = key_headers(keyed)
    answer = call(api, target, world, raw=raw, headers=headers)
    assert_field_errors(answer)
    assert_not_stored(api, target, world, raw, headers, answer)


# ------------------------------------------------------------------ fields

@pytest.mark.parametrize("route", ROUTES, ids=ids)
def test_numbers_where_strings_belong_and_strings_where_numbers_belong_are_15010(api, world, unchanged, route):
    body, fields = TARGETS[route].wrong_types
    assert_field_errors(call(api, TARGETS[route], world, body=body), fields)


@pytest.mark.parametrize("route", ROUTES, ids=ids)
def test_a_10_000_character_string_is_15010(api, world, unchanged, route):
    target = TARGETS[route]
    answer = call(api, target, world, body={**target.valid(), target.string_field: "x" * 10_000})
    assert_field_errors(answer, [target.string_field])


@pytest.mark.parametrize("route", ROUTES, ids=ids)
@pytest.mark.parametrize("value", ["\u0000", "ok\u0000", "\u0000evil@example.com"])
def test_a_nul_character_in_a_string_is_15010(api, world, unchanged, route, value):
    target = TARGETS[route]
    answer = call(api, target, world, body={**target.valid(), target.string_field: value})
    assert_field_errors(answer, [target.string_field])


@pytest.mark.parametrize("route", ROUTES, ids=ids)
def test_a_lone_surrogate_in_a_string_field_is_110(api, world, unchanged, route):
    """JSON allows "\\ud800"; no UTF-8 (DynamoDB, our answers) can carry it: not I-JSON, 110."""
    target = TARGETS[route]
    raw = json.dumps({**target.valid(), target.string_field: "ok\ud800"}).encode()  # ensure_ascii: the escape
    assert b"\\ud800" in raw
    assert (call(api, target, world, raw=raw).body) == INVALID_JSON


@pytest.mark.parametrize("route", ROUTES, ids=ids)
def test_server_owned_fields_are_15010_each_named_and_nothing_is_stored(api, world, unchanged, route):
    target = TARGETS[route]
    body = {**target.valid(), **{name: "x" for name in target.read_only}}
    assert_field_errors(call(api, target, world, body=body), list(target.read_only))


HUGE = [(route, i) for route, target in TARGETS.items() for i in range(len(target.huge_numbers))]


@pytest.mark.parametrize(("route", "index"), HUGE, ids=[f"{m} {p} #{i}" for (m, p), i in HUGE])
def test_huge_numbers_and_exponents_are_15010_and_answered_at_once(api, world, unchanged, route, index):
    target = TARGETS[route]
    answer = call(api, target, world, raw=target.huge_numbers[index].encode())
    assert_field_errors(answer)


# ------------------------------------------------------------- path ids

PATH_ROUTES = sorted(route for route in TEMPLATE_ROUTES if "{" in route[1])
BAD_IDS = ["a%00b", "%00", "%ff%fe", "a%2Fb", "..%2F..%2Fetc", "x" * 2000, "%F0%9F%98%80", "a%0Ab"]
BODIES = {"PATCH": SHIPMENT, "PUT": sample_order(), "POST": {"email": "m@example.com", "eventId": None}}
LOGINS = {"PUT": "orders-service"}


@pytest.mark.parametrize("route", PATH_ROUTES, ids=[f"{m} {p}" for m, p in PATH_ROUTES])
def test_hostile_path_ids_are_4xx_with_the_errors_body(api, world, unchanged, route):
    method, template_path = route
    for bad in BAD_IDS:
        path = re.sub(r"\{[^}]+\}", bad, template_path)
        body = None
        if method in BODIES:
            body = {k: v for k, v in BODIES[method].items() if v is not None}
            if template_path.endswith("/replay"):
                body = {"since": "2026-01-01T00:00:00Z"}
        answer = api.request(method, path, json_body=body, login=LOGINS.get(method, "demo"))
        assert 400 <= answer.status < 500 and answer.status != 403, (bad, answer)
        assert set(answer.body) == {"errors"} and answer.codes, (bad, answer)
