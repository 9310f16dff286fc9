"""API keys' pure parts: their format and hash, how a request's headers name
its caller, what is cached and forgotten, and the create body (auth.py,
logic/api_keys.py, models.py). The table is a dict here; the API's own tests
are tests/integration/test_api_keys_api.py."""

from __future__ import annotations

import hashlib
import re

import pytest

from refunds_core import auth
from refunds_core.auth import caller_from_headers
from refunds_core.callers import ALL_SCOPES, Caller, Role, Scope, Via, api_key_id_of
from refunds_core.dal import accounts, keys
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic.accounts import create_login
from refunds_core.models import CreateApiKeyRequest
from refunds_core.modes import Mode
from refunds_core.validation import parse

KEY_ID = "key_01JD0000000000000000000000"


class Table:
    """The items auth reads, by (PK, SK), and how many round trips it made."""

    def __init__(self):
        self.items: dict[tuple[str, str], dict] = {}
        self.reads = 0
        self.consistent_reads = 0

    def put(self, key: dict, record: dict) -> None:
        self.items[(key["PK"]["S"], key["SK"]["S"])] = record

    def delete(self, key: dict) -> None:
        self.items.pop((key["PK"]["S"], key["SK"]["S"]), None)

    def get_with_merchant(self, key, merchant_id, consistent=False):
        self.reads += 1
        self.consistent_reads += consistent

        def get(k):
            return self.items.get((k["PK"]["S"], k["SK"]["S"])) if k else None

        return get(key), get(keys.merchant(merchant_id) if merchant_id else None)


@pytest.fixture(autouse=True)
def table(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    monkeypatch.setattr(auth, "_signing_key", lambda: "k" * 64)  # never Secrets Manager
    auth.settings.cache_clear()
    auth._active_until.clear()
    auth._api_key_callers.clear()
    fake = Table()
    monkeypatch.setattr(accounts, "get_with_merchant", fake.get_with_merchant)
    yield fake
    auth._active_until.clear()
    auth._api_key_callers.clear()
    auth.settings.cache_clear()


def store_key(table: Table, merchant_id: str = "acme", status: str = "active", key_id: str = KEY_ID,
              **scopes: list) -> str:
    """A key of ``merchant_id`` in the table as the create route writes it (``scopes=[...]``: with
    them; none: as a key stored before keys had scopes); the key."""
    key = auth.new_api_key(merchant_id)
    digest = auth.api_key_digest(key)
    table.put(keys.api_key(digest), {"merchantId": merchant_id, "keyId": key_id, **scopes})
    table.put(keys.merchant_api_key(merchant_id, key_id), {"id": key_id, "keyHash": digest})
    table.put(keys.merchant(merchant_id), {"id": merchant_id, "status": status})
    return key


def code_of(call) -> int:
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value.entries[0][0]


# ------------------------------------------------------------ the key

def test_a_key_is_a_prefix_256_random_bits_and_its_merchant():
    key = auth.new_api_key("acme")
    assert re.fullmatch(r"rrk_live_[A-Za-z0-9_-]{43}_acme", key)
    assert key != auth.new_api_key("acme")


def test_a_key_is_stored_as_its_sha256():
    key = auth.new_api_key("acme")
    assert auth.api_key_digest(key) == hashlib.sha256(key.encode()).hexdigest()
    assert key not in auth.api_key_digest(key)


# ------------------------------------------------- headers -> caller

def test_a_key_names_a_merchant_caller_by_its_id(table):
    key = store_key(table)
    caller = caller_from_headers([], [key])
    assert caller == Caller(f"apikey:{KEY_ID}", Role.MERCHANT, "acme", via=Via.API_KEY)
    assert api_key_id_of(caller.login) == KEY_ID and caller.via is Via.API_KEY
    assert api_key_id_of("demo") is None


@pytest.mark.parametrize(("stored", "scopes"), [
    (["read_order"], {Scope.READ_ORDER}),
    (["read_order", "write_order"], {Scope.READ_ORDER, Scope.WRITE_ORDER}),
    (["manage_webhooks", "a_scope_of_a_later_version"], {Scope.MANAGE_WEBHOOKS}),
    (None, ALL_SCOPES),  # a key stored before keys had scopes could do everything, and still can
], ids=["read", "read and write", "an unknown name grants nothing", "stored before scopes"])
def test_a_keys_caller_has_the_scopes_stored_with_it(table, stored, scopes):
    key = store_key(table, **({} if stored is None else {"scopes": stored}))
    assert caller_from_headers([], [key]).scopes == scopes


def test_without_a_key_the_bearer_token_decides(table):
    assert code_of(lambda: caller_from_headers([], [])) == 101
    assert code_of(lambda: caller_from_headers(["Bearer nope"], [])) == 101
    assert table.reads == 0


@pytest.mark.parametrize("authorization", ["Bearer x.y.z", ""])
def test_a_key_and_an_authorization_header_together_are_401(table, authorization):
    key = store_key(table)
    assert code_of(lambda: caller_from_headers([authorization], [key])) == 101


def test_two_keys_in_one_request_are_401(table):
    key = store_key(table)
    assert code_of(lambda: caller_from_headers([], [key, key])) == 101


@pytest.mark.parametrize("sent", ["", "Bearer x", "rrk_live_short_acme", "rrk_demo_" + "a" * 43 + "_acme",
                                  "rrk_live_" + "a" * 43 + "_", "rrk_live_" + "a" * 43 + "_a/b", "x" * 10_000])
def test_a_malformed_key_is_401_without_a_read(table, sent):
    assert code_of(lambda: caller_from_headers([], [sent])) == 101
    assert table.reads == 0


def test_an_unknown_key_is_401(table):
    store_key(table)
    assert code_of(lambda: caller_from_headers([], [auth.new_api_key("acme")])) == 101


def test_a_key_relabelled_with_another_merchant_is_unknown(table):
    key = store_key(table, "acme")
    store_key(table, "evil", key_id="key_01JD0000000000000000000001")
    forged = key.removesuffix("_acme") + "_evil"
    assert code_of(lambda: caller_from_headers([], [forged])) == 101


def test_a_key_and_its_merchant_are_one_read_then_cached(table):
    key = store_key(table)
    caller = caller_from_headers([], [key])
    auth.require_active_account(caller)
    caller_from_headers([], [key])
    auth.require_active_account(caller)
    assert table.reads == 1


def test_a_key_of_a_disabled_merchant_authenticates_but_its_account_is_15000(table):
    key = store_key(table, status="disabled")
    caller = caller_from_headers([], [key])
    assert code_of(lambda: auth.require_active_account(caller)) == 15000
    caller_from_headers([], [key])  # a negative answer is not cached: read again
    assert table.reads == 3


def test_a_revoked_key_is_forgotten_at_once_where_it_was_revoked(table):
    key = store_key(table)
    caller_from_headers([], [key])
    table.delete(keys.api_key(auth.api_key_digest(key)))
    assert api_key_id_of(caller_from_headers([], [key]).login) == KEY_ID  # elsewhere: trusted by reads for 1 s
    auth.forget_api_key(KEY_ID, auth.api_key_digest(key))
    assert code_of(lambda: caller_from_headers([], [key])) == 101


@pytest.fixture
def revoked_after_use(table, monkeypatch):
    """A key's caller, used (so cached) at t = 1000 s, then revoked elsewhere; the clock."""
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    key = store_key(table)
    caller = caller_from_headers([], [key])
    auth.require_active_account(caller)
    table.delete(keys.api_key(auth.api_key_digest(key)))
    table.delete(keys.merchant_api_key("acme", KEY_ID))
    return caller, now


def test_reads_trust_a_revoked_key_for_at_most_a_second(revoked_after_use):
    caller, now = revoked_after_use
    now[0] += auth.ACCOUNT_CACHE_SECONDS - 0.01
    auth.require_active_account(caller)
    now[0] += 0.02
    assert code_of(lambda: auth.require_active_account(caller)) == 101


def test_minting_reads_the_key_strongly_whatever_the_cache_holds(revoked_after_use, table):
    caller, _ = revoked_after_use
    assert code_of(lambda: auth.require_active_account(caller, fresh=True)) == 101
    assert table.consistent_reads == table.reads == 2  # the cached one, and this one past the cache


# ------------------------------------------- customer tokens of a key

def test_a_customer_token_a_key_minted_lives_as_long_as_the_key(table):
    store_key(table)
    customer = Caller("customer:cust-1", Role.CUSTOMER, "acme", "cust-1", minted_by=f"apikey:{KEY_ID}")
    auth.require_active_account(customer)
    table.delete(keys.merchant_api_key("acme", KEY_ID))
    auth.require_active_account(customer)  # cached
    auth.forget_api_key(KEY_ID, "whatever")
    assert code_of(lambda: auth.require_active_account(customer)) == 15000


def test_a_customer_token_of_a_key_of_a_disabled_merchant_is_15000(table):
    store_key(table, status="disabled")
    customer = Caller("customer:cust-1", Role.CUSTOMER, "acme", "cust-1", minted_by=f"apikey:{KEY_ID}")
    assert code_of(lambda: auth.require_active_account(customer)) == 15000


def test_no_login_can_pass_for_an_api_key():
    with pytest.raises(ValueError, match="apikey:"):
        create_login(f"apikey:{KEY_ID}", "a-long-password", Role.MERCHANT, "acme")


# -------------------------------------------------- the create body

@pytest.mark.parametrize("body", [{}, {"name": "checkout server"}, {"name": "Kasse 3 — Zürich"}, {"name": "x" * 100}])
def test_a_name_is_optional_and_printable(body):
    assert parse(CreateApiKeyRequest, body).name == body.get("name")


@pytest.mark.parametrize("body", [{"name": None}, {"name": ""}, {"name": "   "}, {"name": "x" * 101},
                                  {"name": "tab\there"}, {"name": "nul\x00"}, {"name": 5}, {"name": ["a"]}])
def test_a_bad_name_is_15010(body):
    with pytest.raises(FieldErrors) as raised:
        parse(CreateApiKeyRequest, body)
    assert raised.value.fields == ["name"]


@pytest.mark.parametrize("scopes", [["read_order"], ["write_order", "read_order"], [s.value for s in Scope]])
def test_scopes_are_optional_and_named_from_the_set(scopes):
    assert parse(CreateApiKeyRequest, {"scopes": scopes}).scopes == scopes
    assert parse(CreateApiKeyRequest, {}).scopes is None  # every scope


@pytest.mark.parametrize("scopes", [[], None, "read_order", ["read_order", "read_order"], ["admin"],
                                    ["READ_ORDER"], [1], [s.value for s in Scope] * 2])
def test_bad_scopes_are_15010(scopes):
    with pytest.raises(FieldErrors) as raised:
        parse(CreateApiKeyRequest, {"scopes": scopes})
    assert raised.value.fields[0].startswith("scopes")


def test_unknown_fields_are_15010_each():
    with pytest.raises(FieldErrors) as raised:
        parse(CreateApiKeyRequest, {"name": "ok", "key": "mine", "prefix": "rrk"})
    assert raised.value.fields == ["key", "prefix"]


def test_a_test_key_starts_rrk_test_and_its_caller_acts_in_test_mode(table):
    key = auth.new_api_key("acme", Mode.TEST)
    assert re.fullmatch(r"rrk_test_[A-Za-z0-9_-]{43}_acme", key)
    digest = auth.api_key_digest(key)
    table.put(keys.api_key(digest), {"merchantId": "acme", "keyId": KEY_ID, "mode": "test"})
    table.put(keys.merchant(merchant_id := "acme"), {"id": merchant_id, "status": "active"})
    assert caller_from_headers([], [key]).mode is Mode.TEST
    # The prefix is hashed with the rest: the same secret sent as a live key is an unknown key.
    assert code_of(lambda: caller_from_headers([], [key.replace("rrk_test_", "rrk_live_", 1)])) == 101
