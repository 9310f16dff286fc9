"""Who is calling: passwords, access tokens (JWT, HS256), API keys and the caller's account.

The signing key is a Secrets Manager secret the template creates; it is read
through Powertools Parameters and cached for ``CACHE_TTL_SECONDS``. The
caller's account and API key are trusted by reads for ACCOUNT_CACHE_SECONDS
(1 s) and by no write: a write checks them in its own transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

import jwt

from refunds_core import aws, errors
from refunds_core.callers import ALL_SCOPES, API_KEY_LOGIN_PREFIX, Caller, Role, Via, api_key_id_of, scopes_named
from refunds_core.dal import keys
from refunds_core.errors import ApiError
from refunds_core.modes import Mode
from refunds_core.settings import settings

ISSUER = "refund-requests-api"
AUDIENCE = "refund-requests-api"
_ALGORITHM = "HS256"
_LEEWAY_SECONDS = 30
# scrypt at n=2**14, r=8, p=1: ~16 MiB and ~50 ms per hash, the OWASP minimum.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


# A customer token lives long enough to fill in a return form, no longer.
CUSTOMER_TOKEN_TTL_SECONDS = 900
API_KEY_HEADER = "X-API-KEY"


# ------------------------------------------------------------- passwords

def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str | None) -> bool:
    """Constant work whether or not the login exists, so timing tells nothing."""
    try:
        _, salt_b64, digest_b64 = (stored or "scrypt$$").split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        salt, expected = b"", b""
    digest = hashlib.scrypt(password.encode(), salt=salt or b"\0" * 16, dklen=32, **_SCRYPT)
    return bool(expected) and hmac.compare_digest(digest, expected)


# ---------------------------------------------------------------- tokens

def _signing_key() -> str:
    return aws.secrets().get(settings().TOKEN_SIGNING_SECRET_ID, max_age=settings().CACHE_TTL_SECONDS)


def derived_key(purpose: str) -> bytes:
    """A key for one purpose other than signing tokens (e.g. list cursors),
    derived from the signing key: HMAC-SHA256(signing key, label). Rotating
    the signing key rotates it; a MAC made with it is never a token signature."""
    label = f"{ISSUER}/derived-key/{purpose}".encode()
    return hmac.new(_signing_key().encode(), label, hashlib.sha256).digest()


def issue_token(caller: Caller, *, now: float | None = None, ttl: int | None = None) -> tuple[str, int]:
    issued = int(now if now is not None else time.time())
    ttl = ttl or settings().TOKEN_TTL_SECONDS
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": caller.login, "role": caller.role.value,
        "iat": issued, "nbf": issued, "exp": issued + ttl, "jti": secrets.token_hex(8),
        "mode": caller.mode.value,
    }
    if caller.merchant_id:
        claims["mid"] = caller.merchant_id
    if caller.customer_id:
        claims["cid"] = caller.customer_id
    if caller.minted_by:
        claims["act"] = {"sub": caller.minted_by}  # RFC 8693's actor claim
    if caller.scopes != ALL_SCOPES:  # a customer token of a key with fewer scopes: RFC 8693's "scope" claim
        claims["scope"] = " ".join(sorted(caller.scopes))
    return jwt.encode(claims, _signing_key(), algorithm=_ALGORITHM), ttl


def caller_from_headers(authorizations: list[str], api_keys: list[str]) -> Caller:
    """The caller of a request: a Bearer token in ``Authorization`` or a
    merchant's API key in ``X-API-KEY`` (each list: every value sent under
    that name, whatever its letter case), or 401. Anything but exactly one
    credential is 401: both headers, or either one twice, is ambiguous, and
    picking one would answer as a caller the client may not have meant."""
    if len(authorizations) + len(api_keys) != 1:
        raise ApiError(errors.UNAUTHORIZED)
    if api_keys:
        return caller_from_api_key(api_keys[0])
    return caller_from_authorization(authorizations[0])


# A token whose signature was checked is trusted again without decoding it, as
# long as the signing key it was checked with is still the one in use (the key
# itself is cached for CACHE_TTL_SECONDS: a rotation reaches cached tokens as it
# reaches new ones) and it has not expired: an integration sends the same token
# for up to an hour, and decoding it was a fifth of a warm request's CPU. Only
# tokens that passed every check are kept; a flood of distinct ones empties the
# cache rather than growing it.
_verified_tokens: dict[str, tuple[str, float, Caller]] = {}  # token -> (key, epoch until, caller)
_VERIFIED_TOKENS_MAX = 1000


def caller_from_authorization(header: str | None) -> Caller:
    """The caller a Bearer token names, or 401."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(errors.UNAUTHORIZED)
    key = _signing_key()
    cached = _verified_tokens.get(token)
    # Both keys are ours (no caller's input): a plain comparison, which unlike
    # hmac.compare_digest also takes a key with non-ASCII characters.
    if cached is not None and cached[0] == key and cached[1] > time.time():
        return cached[2]
    caller, expires = _verified_caller(token, key)
    if len(_verified_tokens) >= _VERIFIED_TOKENS_MAX:
        _verified_tokens.clear()
    _verified_tokens[token] = (key, expires + _LEEWAY_SECONDS, caller)
    return caller


def _verified_caller(token: str, key: str) -> tuple[Caller, int]:
    """The caller a token names and its expiry, or 401. Only HS256 with our key
    is accepted: ``alg: none`` and public-key algorithms are refused by the
    ``algorithms`` allow-list."""
    try:
        claims = jwt.decode(
            token, key, algorithms=[_ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            leeway=_LEEWAY_SECONDS, options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
        )
        role = Role(claims.get("role"))
    except (jwt.InvalidTokenError, ValueError):
        raise ApiError(errors.UNAUTHORIZED) from None
    merchant_id, customer_id = claims.get("mid"), claims.get("cid")
    if role in (Role.MERCHANT, Role.CUSTOMER) and not isinstance(merchant_id, str):
        raise ApiError(errors.UNAUTHORIZED)
    minted_by = (claims.get("act") or {}).get("sub") if isinstance(claims.get("act"), dict) else None
    if (role is Role.CUSTOMER) != isinstance(customer_id, str) or (role is Role.CUSTOMER) != isinstance(minted_by, str):
        raise ApiError(errors.UNAUTHORIZED)
    scopes = scopes_named(claims["scope"]) if "scope" in claims else ALL_SCOPES
    if scopes is None or (scopes != ALL_SCOPES and role is not Role.CUSTOMER):  # only minted tokens carry one
        raise ApiError(errors.UNAUTHORIZED)
    try:  # a token issued before test mode existed is live
        mode = Mode(claims.get("mode", Mode.LIVE))
    except ValueError:
        raise ApiError(errors.UNAUTHORIZED) from None
    caller = Caller(login=str(claims["sub"]), role=role, merchant_id=merchant_id, customer_id=customer_id,
                    minted_by=minted_by, scopes=scopes, mode=mode)
    return caller, int(claims["exp"])


# --------------------------------------------------------------- accounts
#
# Revoking a key or disabling a login or merchant takes effect at once where it
# matters: a write carries the caller's account checks in its own transaction
# (``account_guards``), so it commits only while the account is usable, and
# minting a token reads the account strongly (``require_active_account(...,
# fresh=True)``). Reads trust what this execution environment last read for
# ACCOUNT_CACHE_SECONDS: a revoked key can read for at most that long after its
# revocation answered (docs/benchmarks.md has what the cache saves). Every
# read of an account is strongly consistent, so a cache filled after the
# revocation never holds a replica's older answer.
ACCOUNT_CACHE_SECONDS = 1.0

_active_until: dict[tuple[str, str, str | None, str | None], float] = {}


def _account_cache_key(caller: Caller) -> tuple[str, str, str | None, str | None]:
    return caller.login, caller.role.value, caller.merchant_id, caller.minted_by


def _account_login(caller: Caller) -> tuple[str, Role]:
    """The login (or API key caller) whose account answers for the caller: a
    customer has none, the merchant login or API key that minted its token does."""
    if caller.role is Role.CUSTOMER:
        return str(caller.minted_by), Role.MERCHANT
    return caller.login, caller.role


def require_active_account(caller: Caller, *, fresh: bool = False) -> None:
    """15000 unless the caller's account is usable: its login exists, is enabled
    and still has the token's role and merchant (an API key: it is not revoked);
    a merchant's or customer's merchant is active. A positive answer is trusted
    for ACCOUNT_CACHE_SECONDS; ``fresh`` trusts no cache (before minting a
    token). The reads are strongly consistent."""
    # Here, not at the top: every function imports auth (through api), and the
    # DAL brings boto3, which the OpenAPI function never needs (a cold start's ms).
    from refunds_core.dal import accounts

    key = _account_cache_key(caller)
    now = time.monotonic()
    if not fresh and _active_until.get(key, 0.0) > now:
        return
    login, role = _account_login(caller)
    key_id = api_key_id_of(login)
    if key_id is not None:  # an API key's caller, or a customer whose token a key minted
        stored_key, merchant = accounts.get_with_merchant(
            keys.merchant_api_key(caller.merchant_id, key_id) if caller.merchant_id else None, caller.merchant_id,
            consistent=True)
        login_ok = role is Role.MERCHANT and stored_key is not None
    else:
        credential, merchant = accounts.get_login_and_merchant(login, caller.merchant_id, consistent=True)
        login_ok = (
            credential is not None and not credential.get("disabled")
            and credential.get("role") == role.value
            and credential.get("merchantId") == caller.merchant_id)
    merchant_ok = caller.merchant_id is None or (merchant is not None and merchant.get("status") == "active")
    if not (login_ok and merchant_ok):
        raise _unusable(caller, key_revoked=not login_ok and caller.via is Via.API_KEY)
    _active_until[key] = now + ACCOUNT_CACHE_SECONDS


def account_guards(caller: Caller) -> list:
    """The ConditionChecks a write by this caller joins to its transaction
    (``dal.transactions.Guarded`` items): its login, or API key, and its
    merchant are still usable when the write commits. A revoked key's write
    is 401 (101); a disabled login's or merchant's, or a customer's whose
    minting login or key is gone, 15000."""
    from refunds_core.dal import accounts

    login, role = _account_login(caller)
    key_id = api_key_id_of(login)

    def account_gone(_old: dict | None) -> Exception:
        return _unusable(caller, key_revoked=caller.via is Via.API_KEY)

    def merchant_gone(merchant: dict | None) -> Exception | None:
        # Folded into a write of the merchant's item (its counters), the failed
        # condition may be the write's own: only an inactive merchant is ours.
        if merchant is not None and merchant.get("status") == "active":
            return None
        return _unusable(caller, key_revoked=False)

    if key_id is not None:
        guards = [accounts.api_key_present(str(caller.merchant_id), key_id, account_gone)]
    else:
        guards = [accounts.login_usable(login, role.value, caller.merchant_id, account_gone)]
    if caller.merchant_id is not None:
        guards.append(accounts.merchant_active(caller.merchant_id, merchant_gone))
    return guards


def _unusable(caller: Caller, *, key_revoked: bool) -> ApiError:
    """Forget what this environment trusted of the caller; the refusal to answer."""
    _active_until.pop(_account_cache_key(caller), None)
    for digest in [d for d, (_, cached) in _api_key_callers.items() if cached.login == caller.login]:
        _api_key_callers.pop(digest, None)
    return ApiError(errors.UNAUTHORIZED if key_revoked else errors.UNKNOWN_ACCOUNT)


# --------------------------------------------------------------- API keys
#
# A key is ``rrk_live_`` (a test-mode key: ``rrk_test_``, docs/test-mode.md) +
# 32 random bytes (base64url, 43 characters) + ``_`` + its merchant's id. The
# prefix is covered by the hash like the rest: a live key with its prefix
# changed to test is an unknown key. The merchant id in the key lets one BatchGetItem read
# both the key's lookup item and its merchant (is it active?); it is no
# secret (every token of the merchant carries it), and it is covered by the
# hash: a key with another merchant's id is simply an unknown key.
#
# Keys are stored as SHA-256 only. A slow, salted hash (scrypt, as for
# passwords) defends guessable secrets against a stolen table; a 256-bit
# random key cannot be guessed, so a plain SHA-256 is as strong here, and it
# makes authentication a key lookup (``APIKEY#<sha256 hex>``) instead of a
# search.

API_KEY_PREFIXES = {Mode.LIVE: "rrk_live_", Mode.TEST: "rrk_test_"}
_API_KEY = re.compile(r"rrk_(?P<mode>live|test)_[A-Za-z0-9_-]{43}_(?P<merchant>[A-Za-z0-9][A-Za-z0-9._:-]{0,63})")
# What an API key's list shows of it: enough to tell keys apart, never enough to use one.
API_KEY_DISPLAY_LENGTH = 12

_api_key_callers: dict[str, tuple[float, Caller]] = {}  # by the key's digest: positive answers only


def new_api_key(merchant_id: str, mode: Mode = Mode.LIVE) -> str:
    return f"{API_KEY_PREFIXES[mode]}{secrets.token_urlsafe(32)}_{merchant_id}"


def api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def caller_from_api_key(key: str) -> Caller:
    """The merchant caller an API key names, or 401 (malformed, unknown or
    revoked). The key's merchant being disabled or unknown is 15000, later,
    from ``require_active_account`` (after the checks that come before it).
    A key of an active merchant is trusted for ACCOUNT_CACHE_SECONDS."""
    from refunds_core.dal import accounts

    match = _API_KEY.fullmatch(key.strip())
    if match is None:
        raise ApiError(errors.UNAUTHORIZED)
    digest, merchant_id, now = api_key_digest(match.group(0)), match.group("merchant"), time.monotonic()
    cached = _api_key_callers.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    stored, merchant = accounts.get_with_merchant(keys.api_key(digest), merchant_id, consistent=True)
    if stored is None or stored.get("merchantId") != merchant_id:
        _api_key_callers.pop(digest, None)
        raise ApiError(errors.UNAUTHORIZED)
    # A key stored before keys had scopes has them all (as it had before).
    scopes = scopes_named(stored["scopes"]) if "scopes" in stored else ALL_SCOPES
    caller = Caller(login=API_KEY_LOGIN_PREFIX + stored["keyId"], role=Role.MERCHANT, merchant_id=merchant_id,
                    via=Via.API_KEY, scopes=scopes or frozenset(), mode=Mode(match.group("mode")))
    if merchant is not None and merchant.get("status") == "active":
        until = now + ACCOUNT_CACHE_SECONDS
        _api_key_callers[digest] = (until, caller)
        _active_until[_account_cache_key(caller)] = until  # the same read answered require_active_account
    return caller


def forget_cached_callers() -> None:
    """Trust nothing this environment verified or read of its callers (after a
    SnapStart restore: the snapshot's caches are not this environment's)."""
    _verified_tokens.clear()
    _active_until.clear()
    _api_key_callers.clear()


def forget_api_key(key_id: str, digest: str) -> None:
    """Drop what this execution environment cached about a revoked key: it,
    and the customer tokens it minted. (Other environments trust their cache
    for reads for at most ACCOUNT_CACHE_SECONDS, and for no write.)"""
    _api_key_callers.pop(digest, None)
    login = API_KEY_LOGIN_PREFIX + key_id
    for cached in [key for key in _active_until if login in (key[0], key[3])]:
        _active_until.pop(cached, None)
