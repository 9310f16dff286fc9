"""Who is calling: passwords, access tokens (JWT, HS256) and the caller's account.

The signing key is a Secrets Manager secret the template creates; it is read
through Powertools Parameters and cached, like the caller's account, for
``CACHE_TTL_SECONDS``, so a warm function authenticates with no AWS call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

import jwt

from refunds_core import errors
from refunds_core.errors import ApiError
from refunds_core.settings import settings

ISSUER = "refund-requests-api"
AUDIENCE = "refund-requests-api"
_ALGORITHM = "HS256"
_LEEWAY_SECONDS = 30
# scrypt at n=2**14, r=8, p=1: ~16 MiB and ~50 ms per hash, the OWASP minimum.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Role(StrEnum):
    MERCHANT = "merchant"
    CUSTOMER = "customer"  # a merchant's customer, with a short token the merchant minted
    SERVICE = "service"
    SUPPORT = "support"


# A customer token lives long enough to fill in a return form, no longer.
CUSTOMER_TOKEN_TTL_SECONDS = 900


@dataclass(frozen=True, slots=True)
class Caller:
    login: str
    role: Role
    merchant_id: str | None
    customer_id: str | None = None
    # A customer's token names the merchant login that minted it: the token
    # stops working when that login is disabled, like the login's own.
    minted_by: str | None = None


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
    # Imported here: Parameters is only needed once per TTL, not at cold start.
    from aws_lambda_powertools.utilities.parameters import get_secret

    return get_secret(settings().TOKEN_SIGNING_SECRET_ID, max_age=settings().CACHE_TTL_SECONDS)


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
    }
    if caller.merchant_id:
        claims["mid"] = caller.merchant_id
    if caller.customer_id:
        claims["cid"] = caller.customer_id
    if caller.minted_by:
        claims["act"] = {"sub": caller.minted_by}  # RFC 8693's actor claim
    return jwt.encode(claims, _signing_key(), algorithm=_ALGORITHM), ttl


def caller_from_authorization(header: str | None) -> Caller:
    """The caller a Bearer token names, or 401. Only HS256 with our key is
    accepted: ``alg: none`` and public-key algorithms are refused by the
    ``algorithms`` allow-list."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(errors.UNAUTHORIZED)
    try:
        claims = jwt.decode(
            token.strip(), _signing_key(), algorithms=[_ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
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
    return Caller(login=str(claims["sub"]), role=role, merchant_id=merchant_id, customer_id=customer_id,
                  minted_by=minted_by)


# --------------------------------------------------------------- accounts

_active_until: dict[tuple[str, str, str | None, str | None], float] = {}


def require_active_account(caller: Caller) -> None:
    """15000 unless the caller's account is usable: its login exists, is enabled
    and still has the token's role and merchant; a merchant's or customer's
    merchant is active. A customer has no login: the merchant login that minted
    its token answers for it. A positive answer is cached for CACHE_TTL_SECONDS."""
    from refunds_core.dal import accounts

    key = (caller.login, caller.role.value, caller.merchant_id, caller.minted_by)
    now = time.monotonic()
    if _active_until.get(key, 0.0) > now:
        return
    login, role = (caller.minted_by, Role.MERCHANT) if caller.role is Role.CUSTOMER else (caller.login, caller.role)
    credential, merchant = accounts.get_login_and_merchant(login, caller.merchant_id)
    login_ok = (
        credential is not None and not credential.get("disabled")
        and credential.get("role") == role.value
        and credential.get("merchantId") == caller.merchant_id)
    merchant_ok = caller.merchant_id is None or (merchant is not None and merchant.get("status") == "active")
    usable = login_ok and merchant_ok
    if not usable:
        _active_until.pop(key, None)
        raise ApiError(errors.UNKNOWN_ACCOUNT)
    _active_until[key] = now + settings().CACHE_TTL_SECONDS
