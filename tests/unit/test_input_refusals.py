"""Malformed and hostile bodies on every route that reads one: always a 400
with the errors body, never a 500, and nothing written.

The matrix (every route x every hostile body) runs through the routes' own
handlers in this process, on the events the local gateway builds, against
the local runtime's AWS (tests/conftest.py InProcessClient): each answer
lists the AWS writes its request made, and a refusal makes none (with an
Idempotency-Key, only the key's record, which is deleted: the same request
again is judged again, not replayed). One hostile case per route over HTTP,
the size limit and hostile path ids: tests/integration/test_attacks_input.py.
"""

from __future__ import annotations

import json
import uuid

import pytest

from refunds_core.api import MAX_BODY_BYTES
from tests.conftest import Answer
from tests.input_targets import INVALID_JSON, ROUTE_IDS, ROUTES, TARGETS, World, call, make_world, snapshot

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def world(handlers) -> World:
    world = make_world(handlers)
    before = snapshot(handlers, world)
    yield world
    assert snapshot(handlers, world) == before  # what demo and support see, after the whole matrix
    handlers.request("DELETE", f"/v1/webhooks/{world.webhook_id}", login="demo")


@pytest.fixture(scope="module")
def idempotency_table(runtime) -> str:
    return runtime.physical_ids["IdempotencyTable"]


def refused(answer: Answer, keyed: bool = False, idempotency_table: str = "") -> Answer:
    """The answer, once checked to have written nothing (with a key, only its
    own record, created and deleted)."""
    allowed = {("PutItem", idempotency_table), ("DeleteItem", idempotency_table)} if keyed else set()
    assert set(answer.writes) <= allowed, answer.writes
    return answer


# The same hostile body with an Idempotency-Key: the request's fingerprint is
# made from the body (refunds_core/idempotency.py) before the route reads it.
KEYED = pytest.mark.parametrize("keyed", [False, True], ids=["no key", "with Idempotency-Key"])


def key_headers(keyed: bool) -> dict:
    return {"Idempotency-Key": f"input-{uuid.uuid4()}"} if keyed else {}


def assert_not_stored(api, route, world: World, raw: bytes, headers: dict, first: Answer) -> None:
    """With a key, the refusal is not stored: the same request again is judged
    again (the same answer, not a replay)."""
    if headers:
        again = call(api, route, world, raw=raw, headers=headers)
        assert (again.status, again.body) == (first.status, first.body), again
        assert "idempotent-replayed" not in again.headers


def assert_field_errors(answer: Answer, fields: list[str] | None = None) -> None:
    assert answer.status == 400 and set(answer.codes) == {15010}, answer
    if fields is not None:
        named = [e["message"].removeprefix("Invalid field value: ") for e in answer.ours["errors"]]
        assert set(fields) <= set(named), (fields, named)


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


# None at all is a body only where one is required: where it is optional, it is {} (seed 004's full refund).
NOT_OBJECT_CASES = [(route, case) for route in ROUTES for case in NOT_OBJECTS
                    if not (case == "empty" and TARGETS[route].body_optional)]


@pytest.mark.parametrize(("route", "case"), NOT_OBJECT_CASES,
                         ids=[f"{case}-{method} {path}" for (method, path), case in NOT_OBJECT_CASES])
def test_a_body_that_is_not_a_json_object_is_110(handlers, world, route, case):
    answer = refused(call(handlers, route, world, raw=NOT_OBJECTS[case]))
    assert (answer.status, answer.ours) == (400, INVALID_JSON)


DEEP = {"arrays, 7 500 levels (about all 16 KB allow)": "[" * 7500 + "]" * 7500,
        "objects, 2 500 levels": '{"a":' * 2500 + "1" + "}" * 2500}


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("case", list(DEEP))
@KEYED
def test_the_deepest_nesting_16_kb_allow_is_a_bad_body_not_a_crash(handlers, world, idempotency_table, route, case,
                                                                   keyed):
    """Deeper than the parser goes is 110 (tests/unit/test_validation.py: 100 000
    levels); what it parses is an unknown field "x", 15010. Either way a 400,
    with an Idempotency-Key too (and then not stored)."""
    valid = json.dumps(TARGETS[route].valid())
    raw = (valid[:-1] + ', "x": ' + DEEP[case] + "}").encode()
    assert len(raw) <= MAX_BODY_BYTES
    headers = key_headers(keyed)
    answer = refused(call(handlers, route, world, raw=raw, headers=headers), keyed, idempotency_table)
    assert (answer.status, answer.ours) in ((400, INVALID_JSON), (400, {"errors": [
        {"error": 15010, "message": "Invalid field value: x"}]})), answer
    assert_not_stored(handlers, route, world, raw, headers, answer)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_a_repeated_member_name_is_110_even_when_both_values_are_valid(handlers, world, route):
    valid = json.dumps(TARGETS[route].valid())
    repeated = valid[:-1] + ", " + valid[1:-1] + "}"  # every member twice, same values
    answer = refused(call(handlers, route, world, raw=repeated.encode()))
    assert (answer.status, answer.ours) == (400, INVALID_JSON)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@KEYED
def test_moderate_nesting_in_a_field_is_a_bad_field_not_a_crash(handlers, world, idempotency_table, route, keyed):
    target = TARGETS[route]
    raw = json.dumps({**target.valid(), target.string_field: json.loads("[" * 500 + "]" * 500)}).encode()
    headers = key_headers(keyed)
    answer = refused(call(handlers, route, world, raw=raw, headers=headers), keyed, idempotency_table)
    assert_field_errors(answer)
    assert_not_stored(handlers, route, world, raw, headers, answer)


# ------------------------------------------------------------------ fields

@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_numbers_where_strings_belong_and_strings_where_numbers_belong_are_15010(handlers, world, route):
    body, fields = TARGETS[route].wrong_types
    assert_field_errors(refused(call(handlers, route, world, body=body)), fields)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_a_10_000_character_string_is_15010(handlers, world, route):
    target = TARGETS[route]
    answer = refused(call(handlers, route, world, body={**target.valid(), target.string_field: "x" * 10_000}))
    assert_field_errors(answer, [target.string_field])


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("value", ["\u0000", "ok\u0000", "\u0000evil@example.com"])
def test_a_nul_character_in_a_string_is_15010(handlers, world, route, value):
    target = TARGETS[route]
    answer = refused(call(handlers, route, world, body={**target.valid(), target.string_field: value}))
    assert_field_errors(answer, [target.string_field])


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_a_lone_surrogate_in_a_string_field_is_110(handlers, world, route):
    """JSON allows "\\ud800"; no UTF-8 (DynamoDB, our answers) can carry it: not I-JSON, 110."""
    target = TARGETS[route]
    raw = json.dumps({**target.valid(), target.string_field: "ok\ud800"}).encode()  # ensure_ascii: the escape
    assert b"\\ud800" in raw
    assert refused(call(handlers, route, world, raw=raw)).ours == INVALID_JSON


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_server_owned_fields_are_15010_each_named_and_nothing_is_stored(handlers, world, route):
    target = TARGETS[route]
    body = {**target.valid(), **{name: "x" for name in target.read_only}}
    assert_field_errors(refused(call(handlers, route, world, body=body)), list(target.read_only))


HUGE = [(route, i) for route, target in TARGETS.items() for i in range(len(target.huge_numbers))]


@pytest.mark.parametrize(("route", "index"), HUGE, ids=[f"{m} {p} #{i}" for (m, p), i in HUGE])
def test_huge_numbers_and_exponents_are_15010_and_answered_at_once(handlers, world, route, index):
    answer = refused(call(handlers, route, world, raw=TARGETS[route].huge_numbers[index].encode()))
    assert_field_errors(answer)
