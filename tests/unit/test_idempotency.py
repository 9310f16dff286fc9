"""The pure parts of refunds_core/idempotency.py: the header, the caller's
scope, the request's fingerprint, what is stored and what is redacted."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from refunds_core import errors
from refunds_core.api import build_app
from refunds_core.callers import Caller, Role
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.idempotency import (
    canonical_body,
    key_from_event,
    record_data,
    redacted,
    replayed_answer,
    scope,
    stored,
    stored_answer,
)
from refunds_core.routes import Contract, respond
from tests.conftest import LambdaContext

MERCHANT = Caller("demo", Role.MERCHANT, "demo")


# ---------------------------------------------------------------- header

def _event(headers: dict | None, multi_value_headers: dict | None = None) -> dict:
    return {"headers": headers, "multiValueHeaders": multi_value_headers}


def test_no_header_is_no_key():
    assert key_from_event(_event({"Content-Type": "application/json"}, {"Content-Type": ["application/json"]})) is None
    assert key_from_event(_event(None, None)) is None


@pytest.mark.parametrize("name", ["Idempotency-Key", "idempotency-key", "IDEMPOTENCY-KEY"])
def test_the_header_name_is_case_insensitive(name):
    assert key_from_event(_event({name: "k-1"}, {name: ["k-1"]})) == "k-1"
    assert key_from_event(_event({name: "k-1"})) == "k-1"  # an event with single-value headers only


@pytest.mark.parametrize("key", ["a", "x" * 255, " ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"])
def test_one_to_255_printable_ascii_characters_are_a_key(key):
    assert key_from_event(_event({"Idempotency-Key": key})) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there", "nul\x00", "del\x7f"])
def test_anything_else_is_15010_naming_the_header(key):
    with pytest.raises(FieldErrors) as raised:
        key_from_event(_event({"Idempotency-Key": key}))
    assert raised.value.body() == {"errors": [{"error": 15010, "message": "Invalid field value: Idempotency-Key"}]}


def test_two_keys_in_one_request_are_15010():
    with pytest.raises(FieldErrors):
        key_from_event(_event({"Idempotency-Key": "b"}, {"Idempotency-Key": ["a", "b"]}))


# ----------------------------------------------------------------- scope

def test_every_login_of_a_merchant_shares_its_keys():
    assert scope(MERCHANT) == scope(Caller("demo-api", Role.MERCHANT, "demo"))
    assert scope(MERCHANT) != scope(Caller("demo2", Role.MERCHANT, "demo2"))


def test_a_customer_has_keys_of_its_own_per_merchant():
    customer = Caller("customer:c1", Role.CUSTOMER, "demo", "c1", minted_by="demo")
    assert scope(customer) != scope(MERCHANT)
    assert scope(customer) != scope(Caller("customer:c1", Role.CUSTOMER, "demo2", "c1", minted_by="demo2"))
    assert scope(customer) != scope(Caller("customer:c2", Role.CUSTOMER, "demo", "c2", minted_by="demo"))


def test_service_and_support_logins_have_keys_of_their_own():
    assert scope(Caller("support", Role.SUPPORT, None)) != scope(Caller("support-2", Role.SUPPORT, None))
    # A login named like a merchant is not that merchant.
    assert scope(Caller("demo", Role.SUPPORT, None)) != scope(MERCHANT)


# ------------------------------------------------------------ fingerprint

def test_the_same_json_written_differently_is_the_same_body():
    assert canonical_body('{"b": [1, {"y": 2, "x": "é"}], "a": null}') == canonical_body(
        '{"a":null,"b":[1,{"x":"\\u00e9","y":2}]}')


@pytest.mark.parametrize(("one", "other"), [
    ('{"amount": "1.0"}', '{"amount": "1.00"}'),
    ('{"n": 1.0}', '{"n": 1.00}'),
    ('{"n": 0.1}', '{"n": 0.1000000000000000000001}'),  # equal as floats
    ('{"n": 1}', '{"n": "1"}'),
    ('{"a": [1, 2]}', '{"a": [2, 1]}'),
    ('{"a": true}', '{"a": "true"}'),
])
def test_different_json_is_a_different_body(one, other):
    assert canonical_body(one) != canonical_body(other)


def test_a_body_that_is_not_json_is_kept_as_sent():
    assert canonical_body("{not json") == "{not json"
    assert canonical_body(None) is None and canonical_body("") is None


@pytest.mark.parametrize("depth", [500, 7_500, 100_000])
def test_a_body_nested_deeper_than_python_recurses_is_kept_as_sent(depth):
    """Hostile nesting is no crash: the body is its own fingerprint and the
    route answers it (110 or 15010, not stored)."""
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        assert canonical_body(body) == body


def test_the_fingerprint_is_method_path_and_body():
    data = record_data(MERCHANT, "k", "post", "/v1/refunds/rf%5F1", '{ "a": 1 }')
    assert data == {"scope": ["merchant", "demo"], "key": "k",
                    "request": {"method": "POST", "path": "/v1/refunds/rf_1", "body": '{"a":1}'}}


# ---------------------------------------------------------- what is stored

@pytest.mark.parametrize(("error", "kept"), [
    (ApiError(errors.REFUND_ALREADY_OPEN), True), (ApiError(errors.ORDER_NOT_FOUND), True),
    (ApiError(errors.TRANSITION_NOT_ALLOWED), True), (ApiError(errors.AMOUNT_EXCEEDS_REMAINING), True),
    (ApiError(errors.TOO_MANY_WEBHOOKS), True),
    (ApiError(errors.INVALID_JSON), False), (ApiError(errors.INVALID_CONTENT_TYPE), False),
    (ApiError(errors.REQUEST_TOO_LARGE), False), (FieldErrors(["email", "description"]), False),
    (ApiError(errors.UNKNOWN_ACCOUNT), False), (ApiError(errors.CONFLICT), False),
    (ApiError(errors.THROTTLED), False),  # nothing was done: the same key runs after Retry-After
    (ApiError(errors.INTERNAL), False),
])
def test_business_answers_are_stored_and_fixable_ones_are_not(error, kept):
    assert stored(error) is kept


def test_credential_fields_are_redacted_wherever_they_are():
    answer = {"data": {"id": "whk_1", "secret": "whsec_x", "events": ["refund.issued"],
                       "keys": [{"key": "rk_live_x", "id": "k1"}], "token": "eyJ"}}
    assert redacted(answer) == {"data": {"id": "whk_1", "secret": None, "events": ["refund.issued"],
                                         "keys": [{"key": None, "id": "k1"}], "token": None}}
    assert "whsec_" not in json.dumps(redacted(answer)) and "rk_live" not in json.dumps(redacted(answer))



def ok(body: dict, status: HTTPStatus = HTTPStatus.OK):
    """An answer as a route sends it (``routes.respond``), this body as it is."""
    return respond(body, Contract("POST", "/x", summary="", tag="", roles=None, answer=dict, envelope=None,
                                  status=status))


def no_content():
    return respond(None, Contract("DELETE", "/x", summary="", tag="", roles=None, status=HTTPStatus.NO_CONTENT))


def test_a_replay_is_the_first_answer_byte_for_byte_with_the_replay_header():
    first = ok({"data": {"id": "rf_1", "amount": "59.50", "description": "Gr\u00f6\u00dfe"}}, HTTPStatus.CREATED)
    record = json.loads(json.dumps(stored_answer(first), sort_keys=True))  # as Powertools writes and reads it
    again = replayed_answer(record)
    assert (again.status_code, again.body, again.content_type) == (201, first.body, first.content_type)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_replay_of_a_204_has_no_body_and_no_content_type_like_the_first_answer():
    """What the function hands API Gateway: a body ("null") or a Content-Type on
    a replayed 204 breaks the next response of a keep-alive connection."""
    app = build_app()
    record = json.loads(json.dumps(stored_answer(no_content())))  # as Powertools writes and reads it
    app.route("/first", "DELETE")(no_content)
    app.route("/replay", "DELETE")(lambda: replayed_answer(record))

    def sent(path: str) -> dict:
        event = {"resource": path, "path": path, "httpMethod": "DELETE", "headers": {}, "multiValueHeaders": {},
                 "requestContext": {"requestId": "r", "stage": "prod"}, "body": None, "isBase64Encoded": False}
        return app.resolve(event, LambdaContext())

    first, again = sent("/first"), sent("/replay")
    assert (first["statusCode"], first["body"], dict(first["multiValueHeaders"])) == (204, None, {})
    assert (again["statusCode"], again["body"]) == (204, None)
    assert dict(again["multiValueHeaders"]) == {"Idempotent-Replayed": ["true"]}


def test_a_replay_of_an_answer_with_a_credential_shows_it_as_null():
    first = ok({"data": {"id": "whk_1", "secret": "whsec_abc"}})
    assert "whsec_" not in json.dumps(stored_answer(first))
    assert json.loads(replayed_answer(stored_answer(first)).body) == {"data": {"id": "whk_1", "secret": None}}
