"""Header names are case-insensitive: a request that repeats Authorization or
X-API-KEY (in any letter case, or sends one of each) is 401 101, one that
repeats Idempotency-Key is 400 15010, never an answer for whichever value a
case-insensitive lookup happened to keep (refunds_core/api.header_values).

Each case is a REST API event in three layouts: the names grouped whatever
their case (as the local gateway builds it, and as an HTTP/2 request arrives,
every name lower case), one entry per spelling, and single-value headers
only. The credentials are valid: each alone names a merchant."""

from __future__ import annotations

import json

import pytest

from refunds_core import auth
from refunds_core.api import build_app, caller, header_values
from refunds_core.callers import Caller, Role
from refunds_core.dal import accounts
from refunds_core.routes import route
from tests.conftest import LambdaContext
from tests.unit.test_api_keys import Table, store_key

UNAUTHORIZED = {"errors": [{"error": 101, "message": "Unsuccessful authorization."}]}
BAD_KEY = {"errors": [{"error": 15010, "message": "Invalid field value: Idempotency-Key"}]}


def grouped(pairs: list[tuple[str, str]]) -> dict:
    spelling: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(spelling.setdefault(name.lower(), name), []).append(value)
    return {"headers": {name: values[-1] for name, values in multi.items()}, "multiValueHeaders": multi}


def by_spelling(pairs: list[tuple[str, str]]) -> dict:
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {"headers": {name: values[-1] for name, values in multi.items()}, "multiValueHeaders": multi}


def headers_only(pairs: list[tuple[str, str]]) -> dict:
    return {"headers": dict(pairs), "multiValueHeaders": None}


LAYOUTS = {"grouped": grouped, "by spelling": by_spelling, "headers only": headers_only}

# (header lines, the expected answer); A/B: Bearer tokens of merchants acme/evil,
# KA/KB: their API keys, I/J: idempotency keys.
CASES = [
    ([("Authorization", "A")], "acme"),
    ([("authorization", "B")], "evil"),
    ([("X-API-KEY", "KA")], "acme"),
    ([("x-api-key", "KB")], "evil"),
    ([("Authorization", "A"), ("IDEMPOTENCY-KEY", "I")], "acme"),
    ([("Authorization", "A"), ("Authorization", "B")], 401),
    ([("Authorization", "A"), ("authorization", "B")], 401),
    ([("AUTHORIZATION", "A"), ("authorization", "A")], 401),  # the same token twice is a repeat too
    ([("X-API-KEY", "KA"), ("x-api-key", "KB")], 401),
    ([("X-API-KEY", "KA"), ("X-API-KEY", "KA")], 401),
    ([("X-Api-Key", "KB"), ("x-api-key", "KB")], 401),
    ([("Authorization", "A"), ("x-api-key", "KA")], 401),
    ([("authorization", "B"), ("X-API-KEY", "KB")], 401),
    ([("Authorization", "A"), ("Idempotency-Key", "I"), ("idempotency-key", "J")], 15010),
    ([("Authorization", "A"), ("Idempotency-Key", "I"), ("Idempotency-Key", "I")], 15010),
    ([("x-api-key", "KA"), ("IDEMPOTENCY-KEY", "I"), ("Idempotency-Key", "J")], 15010),
]


def _matrix():
    for pairs, expected in CASES:
        names = [name for name, _ in pairs]
        for layout, build in LAYOUTS.items():
            if layout == "headers only" and len(set(names)) < len(names):
                continue  # a name sent twice in one spelling reaches a function in multiValueHeaders only
            yield pytest.param(pairs, build, expected, id=" + ".join(names) + f" ({layout})")


@pytest.fixture
def credentials(monkeypatch) -> dict[str, str]:
    """What each placeholder stands for: valid tokens and API keys of two merchants."""
    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    monkeypatch.setattr(auth, "_signing_key", lambda: "k" * 64)  # never Secrets Manager
    auth.settings.cache_clear()
    table = Table()
    monkeypatch.setattr(accounts, "get_with_merchant", table.get_with_merchant)
    yield {"A": f"Bearer {auth.issue_token(Caller('acme', Role.MERCHANT, 'acme'))[0]}",
           "B": f"Bearer {auth.issue_token(Caller('evil', Role.MERCHANT, 'evil'))[0]}",
           "KA": store_key(table, "acme"), "KB": store_key(table, "evil"), "I": "key-1", "J": "key-2"}
    auth._api_key_callers.clear()
    auth._active_until.clear()
    auth.settings.cache_clear()


@pytest.fixture
def app():
    """A route declared as every POST that takes a key but stores nothing."""
    resolver = build_app()

    @route(resolver, "POST", "/v1/who", summary="", tag="", roles=(Role.MERCHANT,), answer=dict, envelope=None,
           idempotency="checked")
    def who():
        return {"merchant": caller(resolver).merchant_id}

    return resolver


@pytest.mark.parametrize(("pairs", "layout", "expected"), _matrix())
def test_a_repeated_credential_or_key_is_refused_whatever_the_case_of_its_names(app, credentials, pairs, layout,
                                                                               expected):
    event = {"resource": "/v1/who", "path": "/v1/who", "httpMethod": "POST", "body": None, "isBase64Encoded": False,
             "requestContext": {"requestId": "r", "stage": "prod"},
             **layout([(name, credentials[value]) for name, value in pairs])}
    answer = app.resolve(event, LambdaContext())
    body = json.loads(answer["body"])
    if expected == 401:
        assert (answer["statusCode"], body) == (401, UNAUTHORIZED)
    elif expected == 15010:
        assert (answer["statusCode"], body) == (400, BAD_KEY)
    else:
        assert (answer["statusCode"], body) == (200, {"merchant": expected})


@pytest.mark.parametrize(("event", "values"), [
    ({"headers": {"Accept": "a"}, "multiValueHeaders": {"Accept": ["a"]}}, []),
    ({"headers": None, "multiValueHeaders": None}, []),
    ({}, []),
    ({"headers": {"x-api-key": "b"}, "multiValueHeaders": {"X-API-KEY": ["a"], "x-api-key": ["b"]}}, ["a", "b"]),
    ({"headers": {"X-Api-Key": "b"}, "multiValueHeaders": {"X-Api-Key": ["a", "b"]}}, ["a", "b"]),
    ({"headers": {"X-API-KEY": "a", "x-api-key": "b"}, "multiValueHeaders": None}, ["a", "b"]),
    ({"headers": {"X-API-KEY": "a"}, "multiValueHeaders": {}}, ["a"]),
    # Every value is in multiValueHeaders: headers' copy of the last one is not a third.
    ({"headers": {"X-API-KEY": "b"}, "multiValueHeaders": {"X-API-KEY": ["a", "b"]}}, ["a", "b"]),
])
def test_header_values_reads_every_value_of_every_spelling(event, values):
    assert header_values(event, "X-API-KEY") == values
