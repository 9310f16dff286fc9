"""Scopes (docs/api-keys.md): every route's, read from its declaration, and
who gets past its role middleware with which scopes. No AWS: the caller a
request's credential names is given to the middleware directly (how a key's
stored scopes become its caller's: tests/unit/test_api_keys.py; over HTTP:
tests/integration/test_api_keys_api.py).

The matrix is derived from the handlers' contracts (``app.contracts`` of every
function template.yaml names), so a new route is in it without a row; and the
rule "whatever opens, changes or cancels a refund needs write_order" is
checked against what each function may do to a refund, from its IAM policy."""

from __future__ import annotations

import json

import jwt
import pytest

from localrun import template as cfn
from refunds_core import api, auth
from refunds_core.api import build_app
from refunds_core.auth import caller_from_authorization, issue_token
from refunds_core.callers import ALL_SCOPES, Caller, Role, Scope, Via
from refunds_core.errors import ApiError
from refunds_core.routes import route
from scripts import openapi
from tests.conftest import ROOT

CONTRACTS = {route: contract for route, (_, contract) in sorted(openapi.contracts().items())}
FUNCTIONS = {route: function for route, (function, _) in openapi.contracts().items()}
TEMPLATE = cfn.load_template(ROOT / "template.yaml")


def _caller(kind: str, scopes: frozenset[Scope]) -> Caller:
    if kind == "key":
        return Caller("apikey:key_01JD0000000000000000000000", Role.MERCHANT, "acme", via=Via.API_KEY, scopes=scopes)
    if kind == "customer token":  # minted by such a key
        return Caller("customer:c1", Role.CUSTOMER, "acme", "c1", minted_by="apikey:key_01", scopes=scopes)
    return Caller("acme-login", Role.MERCHANT, "acme")  # a login's token: every scope


class _App:
    """What the role middleware reads of the resolver."""

    current_event: dict = {"headers": {}, "multiValueHeaders": {}}

    def append_context(self, **context) -> None:
        self.context = context


def passes(contract, caller: Caller, monkeypatch) -> bool:
    """Whether ``caller`` gets past the route's role middleware (403, 15120 otherwise)."""
    monkeypatch.setattr(api, "caller_from_headers", lambda _authorizations, _keys: caller)
    allow = contract.middlewares()[0]
    try:
        return allow(_App(), lambda app: True)
    except ApiError as refused:
        assert refused.entries[0][0] == 15120 and int(refused.status) == 403
        return False


AUTHENTICATED = [route for route, contract in CONTRACTS.items() if contract.roles is not None]
SCOPE_SETS = {"none": frozenset(), **{scope.value: frozenset({scope}) for scope in Scope},
              "all but its own": None}


@pytest.mark.parametrize("route", AUTHENTICATED, ids=[f"{m} {p}" for m, p in AUTHENTICATED])
def test_a_key_passes_exactly_when_it_has_the_routes_scope(route, monkeypatch):
    contract = CONTRACTS[route]
    needed = contract.required_scope
    assert needed is not None
    key_may_call = Role.MERCHANT in contract.roles and contract.api_keys
    for name, scopes in SCOPE_SETS.items():
        scopes = ALL_SCOPES - {needed} if scopes is None else scopes
        for kind in ("key", "customer token"):
            caller = _caller(kind, scopes)
            role_may_call = key_may_call if kind == "key" else Role.CUSTOMER in contract.roles
            assert passes(contract, caller, monkeypatch) == (role_may_call and needed in scopes), (kind, name)
    assert passes(contract, _caller("login", ALL_SCOPES), monkeypatch) == (Role.MERCHANT in contract.roles)


def _may_write_refunds(function: str) -> bool:
    """Whether the function's IAM policy lets it put or update a refund item."""
    policies = TEMPLATE["Resources"][function]["Properties"].get("Policies", [])
    statements = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]
    return any('"REFUND#*"' in json.dumps(s) and {"dynamodb:PutItem", "dynamodb:UpdateItem"} & set(s["Action"])
               for s in statements)


def test_every_route_that_may_open_change_or_cancel_a_refund_needs_write_order():
    writers = {route for route in CONTRACTS if _may_write_refunds(FUNCTIONS[route])}
    assert ("POST", "/v1/order/{orderId}/refund") in writers and ("DELETE", "/api/v2/refunds/{id}") in writers
    assert {route: CONTRACTS[route].required_scope for route in writers} == dict.fromkeys(writers, Scope.WRITE_ORDER)


def test_a_route_needs_read_order_to_read_and_write_order_for_anything_else_unless_it_says():
    """The default every route gets, and the few that declare another, each with its reason in its handler."""
    declared = {path: contract.scope for path, contract in CONTRACTS.items() if contract.scope is not None}
    for path, contract in CONTRACTS.items():
        if path not in declared and contract.roles is not None:
            assert contract.required_scope is (Scope.READ_ORDER if path[0] == "GET" else Scope.WRITE_ORDER), path
    assert {path for path, scope in declared.items() if scope is not Scope.MANAGE_WEBHOOKS} == {
        ("POST", "/v1/order/{orderId}/refund/preview"),  # writes nothing
        ("POST", "/v1/auth/customer-token"),              # the token gets no more than its minter's scopes
    }
    assert {path for (_, path), scope in declared.items() if scope is Scope.MANAGE_WEBHOOKS} == {
        path for _, path in CONTRACTS if path.startswith("/v1/webhooks")}


def test_a_new_route_that_declares_no_scope_needs_write_order_to_write(monkeypatch):
    app = build_app()

    @route(app, "POST", "/v1/things/{thingId}/refund", summary="x", tag="x", roles=(Role.MERCHANT,), answer=dict)
    def open_refund(thingId: str):  # noqa: N803
        return {}

    (contract,) = app.contracts
    assert not passes(contract, _caller("key", frozenset({Scope.READ_ORDER, Scope.MANAGE_WEBHOOKS})), monkeypatch)
    assert passes(contract, _caller("key", frozenset({Scope.WRITE_ORDER})), monkeypatch)


# ------------------------------------------------ a customer token's scopes

@pytest.fixture
def signing_key(monkeypatch):
    monkeypatch.setattr(auth, "_signing_key", lambda: "k" * 64)
    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    auth.settings.cache_clear()
    auth._verified_tokens.clear()
    yield
    auth._verified_tokens.clear()
    auth.settings.cache_clear()


@pytest.mark.parametrize("scopes", [frozenset({Scope.READ_ORDER}), frozenset({Scope.READ_ORDER, Scope.WRITE_ORDER}),
                                    ALL_SCOPES], ids=["read", "read and write", "all"])
def test_a_customer_token_carries_its_minters_scopes(signing_key, scopes):
    customer = Caller("customer:c1", Role.CUSTOMER, "acme", "c1", minted_by="apikey:key_01", scopes=scopes)
    assert caller_from_authorization(f"Bearer {issue_token(customer)[0]}").scopes == scopes


def test_a_logins_token_has_every_scope_and_never_names_one(signing_key):
    token, _ = issue_token(Caller("demo", Role.MERCHANT, "demo"))
    assert "scope" not in jwt.decode(token, options={"verify_signature": False})
    assert caller_from_authorization(f"Bearer {token}").scopes == ALL_SCOPES


def test_a_scope_claim_on_a_token_no_key_minted_is_401(signing_key):
    """Only customer tokens are minted by keys: a merchant token with a claim was not made by us."""
    token, _ = issue_token(Caller("demo", Role.MERCHANT, "demo", scopes=frozenset({Scope.READ_ORDER})))
    with pytest.raises(ApiError) as refused:
        caller_from_authorization(f"Bearer {token}")
    assert refused.value.entries[0][0] == 101
