"""Who a request comes from, as words every layer may use: the roles, how a
caller authenticated, and the caller itself (``auth`` works out which one a
request is)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    MERCHANT = "merchant"
    CUSTOMER = "customer"  # a merchant's customer, with a short token the merchant minted
    SERVICE = "service"
    SUPPORT = "support"


class Via(StrEnum):
    """How a caller authenticated."""

    BEARER = "bearer"    # Authorization: Bearer <token>
    API_KEY = "api_key"  # X-API-KEY: <a merchant's API key>


# An API key's caller is "apikey:<key id>": its refunds' requester and history
# actor, its customer tokens' act.sub, its log lines (never the key itself).
API_KEY_LOGIN_PREFIX = "apikey:"


@dataclass(frozen=True, slots=True)
class Caller:
    login: str
    role: Role
    merchant_id: str | None
    customer_id: str | None = None
    # A customer's token names the merchant login (or API key) that minted it:
    # the token stops working when that login is disabled (or the key revoked).
    minted_by: str | None = None
    via: Via = Via.BEARER


def api_key_id_of(login: str | None) -> str | None:
    """The key id in an API key's caller name ("apikey:<key id>"), else None."""
    return login.removeprefix(API_KEY_LOGIN_PREFIX) if login and login.startswith(API_KEY_LOGIN_PREFIX) else None
