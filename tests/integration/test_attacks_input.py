"""Hostile input over HTTP, one case per route: a body over the size limit
on every route that takes one, and hostile ids in every path with an id.
Always a 4xx with the errors body, never a 500, and nothing stored.

The full matrix of hostile bodies (not JSON, not an object, too deep, wrong
types, NUL, huge numbers, server-owned fields...) runs on every route through
the handlers in process: tests/unit/test_input_refusals.py.
"""

from __future__ import annotations

import json
import re

import pytest

from refunds_core.api import MAX_BODY_BYTES
from tests.conftest import sample_order
from tests.input_targets import (
    NO_BODY,
    ROUTE_IDS,
    ROUTES,
    SHIPMENT,
    TARGETS,
    TEMPLATE_ROUTES,
    TOO_LARGE,
    call,
    make_world,
    snapshot,
)

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def world(api):
    world = make_world(api)
    yield world
    api.request("DELETE", f"/v1/webhooks/{world.webhook_id}", login="demo")


@pytest.fixture
def unchanged(api, world):
    before = snapshot(api, world)
    yield
    assert snapshot(api, world) == before


def test_every_route_with_a_body_has_a_target():
    writes = {route for route in TEMPLATE_ROUTES if route[0] in ("POST", "PUT", "PATCH")}
    assert writes - set(TARGETS) - NO_BODY == set()


# ------------------------------------------------------------------ size

@pytest.mark.parametrize("route", ROUTES + sorted(NO_BODY), ids=ROUTE_IDS + [f"{m} {p}" for m, p in sorted(NO_BODY)])
def test_a_body_over_16_kb_is_413_112(api, world, unchanged, route):
    target = TARGETS.get(route)
    path = target.path(world) if target else route[1].replace("{webhookId}", world.webhook_id)
    login = target.login if target else "demo"
    valid = json.dumps(target.valid() if target else {}).encode()
    padded = valid[:-1] + b" " * (MAX_BODY_BYTES + 1 - len(valid)) + b"}"  # valid JSON, 16 385 bytes
    nested = b"[" * 100_000 + b"]" * 100_000
    for raw in (padded, nested):
        answer = api.request(route[0], path, raw=raw, login=login, headers={"Content-Type": "application/json"})
        assert (answer.status, answer.ours) == (413, TOO_LARGE)


def test_a_body_of_exactly_16_kb_is_read(api, world, unchanged):
    route = ("POST", "/v1/order/{orderId}/refund/preview")
    valid = json.dumps(TARGETS[route].valid()).encode()
    padded = valid[:-1] + b" " * (MAX_BODY_BYTES - len(valid)) + b"}"
    assert len(padded) == MAX_BODY_BYTES
    assert call(api, route, world, raw=padded).status == 200


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
        target = TARGETS.get(route)
        if target is not None and target.token is not None:  # a route of customers only
            answer = api.request(method, path, json_body=body, token=target.token(world))
        else:
            answer = api.request(method, path, json_body=body, login=LOGINS.get(method, "demo"))
        assert 400 <= answer.status < 500 and answer.status != 403, (bad, answer)
        assert set(answer.ours) == {"errors"} and answer.codes, (bad, answer)
