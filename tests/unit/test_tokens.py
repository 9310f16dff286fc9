"""Forged, expired and otherwise wrong tokens never authenticate anyone."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from refunds_core import auth
from refunds_core.auth import AUDIENCE, ISSUER, caller_from_authorization, issue_token
from refunds_core.callers import Caller, Role
from refunds_core.errors import ApiError
from refunds_core.modes import Mode

KEY = "k" * 64


@pytest.fixture(autouse=True)
def signing_key(monkeypatch):
    monkeypatch.setattr(auth, "_signing_key", lambda: KEY)
    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    auth.settings.cache_clear()
    yield
    auth.settings.cache_clear()


def claims(**overrides):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "demo", "role": "merchant", "mid": "demo",
            "iat": now, "nbf": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def bearer(token):
    return f"Bearer {token}"


def test_a_token_we_issue_names_its_caller():
    token, ttl = issue_token(Caller("demo", Role.MERCHANT, "demo"))
    assert ttl == 3600
    assert caller_from_authorization(bearer(token)) == Caller("demo", Role.MERCHANT, "demo")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(payload):
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."


# Named: a token's text changes with the clock, and a test's id must not
# (pytest-xdist's workers must collect the same ids).
NOT_OURS = {
    "no header": None, "empty": "", "Bearer alone": "Bearer", "Bearer and a space": "Bearer ",
    "Basic": "Basic ZGVtbzpkZW1vLXNlY3JldA==", "another scheme": "Token abc",
    "not a JWT": bearer("not-a-jwt"),
    "alg none": bearer(_unsigned(claims())),
    "another key": bearer(jwt.encode(claims(), "another key" * 4, algorithm="HS256")),
    "HS512": bearer(jwt.encode(claims(), KEY, algorithm="HS512")),
    "expired": bearer(jwt.encode(claims(exp=int(time.time()) - 120), KEY, algorithm="HS256")),
    # a day ahead, since these are built at collection, long before a full suite runs them
    "not yet valid": bearer(jwt.encode(claims(nbf=int(time.time()) + 86400, exp=int(time.time()) + 2 * 86400), KEY,
                                       algorithm="HS256")),
    "another issuer": bearer(jwt.encode(claims(iss="someone-else"), KEY, algorithm="HS256")),
    "another audience": bearer(jwt.encode(claims(aud="another-api"), KEY, algorithm="HS256")),
    "never expires": bearer(jwt.encode(claims(exp=None), KEY, algorithm="HS256")),
    "no such role": bearer(jwt.encode(claims(role="admin"), KEY, algorithm="HS256")),
    "merchant without merchant": bearer(jwt.encode(claims(mid=None), KEY, algorithm="HS256")),
    "customer without its minter": bearer(jwt.encode(claims(role="customer", cid="c1"), KEY, algorithm="HS256")),
    "truncated": bearer(jwt.encode(claims(), KEY, algorithm="HS256")[:-6]),
}


@pytest.mark.parametrize("header", list(NOT_OURS.values()), ids=list(NOT_OURS))
def test_anything_but_a_valid_token_of_ours_is_401(header):
    with pytest.raises(ApiError) as caught:
        caller_from_authorization(header)
    assert caught.value.status == 401
    assert caught.value.body() == {"errors": [{"error": 101, "message": "Unsuccessful authorization."}]}


def test_hs_rs_confusion_is_refused():
    """A token 'signed' with HS256 using a public key as the secret is just a wrong key to us."""
    public_key = b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n"
    head_and_body = _unsigned(claims()).rsplit(".", 1)[0].replace(
        _b64({"alg": "none", "typ": "JWT"}), _b64({"alg": "HS256", "typ": "JWT"}))
    signature = hmac.new(public_key, head_and_body.encode(), hashlib.sha256).digest()
    forged = head_and_body.rstrip(".") + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    with pytest.raises(ApiError):
        caller_from_authorization(bearer(forged))


def test_passwords_are_stored_hashed_and_verified():
    stored = auth.hash_password("demo-secret")
    assert "demo-secret" not in stored and stored.startswith("scrypt$")
    assert auth.verify_password("demo-secret", stored)
    assert not auth.verify_password("demo-secreT", stored)
    assert not auth.verify_password("demo-secret", None)
    assert auth.hash_password("demo-secret") != stored  # salted


def test_a_customer_token_names_the_login_that_minted_it():
    customer = Caller("customer:c1", Role.CUSTOMER, "demo", customer_id="c1", minted_by="demo")
    token, _ = issue_token(customer, ttl=900)
    assert caller_from_authorization(bearer(token)) == customer


class _Clock:
    """auth's view of time, moved by the test (pyjwt keeps the real one)."""

    def __init__(self):
        self.ahead = 0.0

    def time(self):
        return time.time() + self.ahead


@pytest.fixture
def clock(monkeypatch):
    moved = _Clock()
    monkeypatch.setattr(auth, "time", moved)
    auth._verified_tokens.clear()
    yield moved
    auth._verified_tokens.clear()


def test_a_verified_token_is_trusted_again_only_while_its_signing_key_is_in_use(clock, monkeypatch):
    token, _ = issue_token(Caller("demo", Role.MERCHANT, "demo"))
    assert caller_from_authorization(bearer(token)) == Caller("demo", Role.MERCHANT, "demo")
    clock.ahead = 600  # long after the first check: still the same key, still valid, not decoded again
    with monkeypatch.context() as no_pyjwt:
        no_pyjwt.setattr(auth.jwt, "decode", lambda *_a, **_k: (_ for _ in ()).throw(jwt.InvalidTokenError()))
        assert caller_from_authorization(bearer(token)).login == "demo"
    # The key was rotated (Parameters' cache read the new one): the cached token
    # is checked again, with the new key, and refused, as a token never seen would be.
    monkeypatch.setattr(auth, "_signing_key", lambda: "rotated" * 10)
    with pytest.raises(ApiError) as refused:
        caller_from_authorization(bearer(token))
    assert refused.value.entries[0][0] == 101


def test_a_verified_token_is_never_trusted_past_its_expiry(clock, monkeypatch):
    # Expires in 5 s (leeway 30 s): pyjwt accepts it now and the cache must not outlive it.
    token, _ = issue_token(Caller("demo", Role.MERCHANT, "demo"), now=time.time() - 55, ttl=60)
    caller_from_authorization(bearer(token))
    monkeypatch.setattr(auth.jwt, "decode", lambda *_a, **_k: (_ for _ in ()).throw(jwt.ExpiredSignatureError()))
    clock.ahead = 34  # exp + leeway not yet passed: still trusted from the cache
    assert caller_from_authorization(bearer(token)).login == "demo"
    clock.ahead = 36  # past it: checked again (pyjwt, in the real time 36 s later, says expired)
    with pytest.raises(ApiError):
        caller_from_authorization(bearer(token))


def test_a_refused_token_is_not_remembered_as_verified(clock):
    forged = jwt.encode(claims(), "another key" * 4, algorithm="HS256")
    for _ in range(2):
        with pytest.raises(ApiError):
            caller_from_authorization(bearer(forged))
    assert auth._verified_tokens == {}


def test_a_signing_key_with_non_ascii_characters_works_cached_or_not(clock, monkeypatch):
    monkeypatch.setattr(auth, "_signing_key", lambda: "clé-de-signature-" * 4)
    token, _ = issue_token(Caller("demo", Role.MERCHANT, "demo"))
    for _ in range(2):  # checked, then from the cache
        assert caller_from_authorization(bearer(token)).login == "demo"


@pytest.mark.parametrize("mode", list(Mode))
def test_a_token_carries_its_mode_and_one_without_is_live(mode):
    caller = Caller("demo", Role.MERCHANT, "demo", mode=mode)
    assert caller_from_authorization(bearer(issue_token(caller)[0])).mode is mode
    before_test_mode = jwt.encode(claims(), KEY, algorithm="HS256")  # issued before tokens had a mode
    assert caller_from_authorization(bearer(before_test_mode)).mode is Mode.LIVE


def test_a_token_naming_an_unknown_mode_is_401():
    with pytest.raises(ApiError) as raised:
        caller_from_authorization(bearer(jwt.encode(claims(mode="sandbox"), KEY, algorithm="HS256")))
    assert raised.value.entries[0][0] == 101
