"""Who a request comes from, as words every layer may use: the roles, how a
caller authenticated, and the caller itself (``auth`` works out which one a
request is)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from refunds_core.modes import Mode


class Role(StrEnum):
    MERCHANT = "merchant"
    CUSTOMER = "customer"  # a merchant's customer, with a short token the merchant minted
    SERVICE = "service"
    SUPPORT = "support"


class Scope(StrEnum):
    """What a caller may do on the routes its role serves (docs/api-keys.md).
    An API key has the scopes it was created with; a login's token has all;
    a customer token has those of the login or key that minted it."""

    READ_ORDER = "read_order"            # read orders and refunds (and preview a refund)
    WRITE_ORDER = "write_order"          # open, change and cancel refunds (and write orders)
    MANAGE_WEBHOOKS = "manage_webhooks"  # register, list, rotate, replay and remove webhook endpoints


ALL_SCOPES = frozenset(Scope)


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
    scopes: frozenset[Scope] = ALL_SCOPES
    # Live or test (docs/test-mode.md): the token's or API key's, for every role.
    mode: Mode = Mode.LIVE


def scopes_named(names: object) -> frozenset[Scope] | None:
    """The scopes a stored key or a token's claim names (a list, or a
    space-separated string); a name this version does not know grants
    nothing. None when ``names`` is neither."""
    if isinstance(names, str):
        names = names.split()
    if not isinstance(names, list | tuple | set):
        return None
    known = {scope.value for scope in Scope}
    return frozenset(Scope(name) for name in names if name in known)


def api_key_id_of(login: str | None) -> str | None:
    """The key id in an API key's caller name ("apikey:<key id>"), else None."""
    return login.removeprefix(API_KEY_LOGIN_PREFIX) if login and login.startswith(API_KEY_LOGIN_PREFIX) else None
