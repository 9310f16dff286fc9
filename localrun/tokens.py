"""Access tokens for the local accounts, and `{{token:<login>}}` placeholders
in sample events (events/*.json), which cannot hold a real token: it expires
and is signed with a key made when the runtime starts. `{{token:<merchant
login>/<customer id>}}` is a customer token that merchant login minted."""

from __future__ import annotations

import re
from collections.abc import Callable

PLACEHOLDER = re.compile(r"\{\{(test-)?token:([^}]+)\}\}")


def issue_local_token(login: str, issued_at: float | None = None, mode: str = "live") -> str:
    """A token for an existing login, as POST /v1/auth/token would issue it
    (without its password); for ``<merchant login>/<customer id>``, the
    customer token POST /v1/auth/customer-token would issue that login.
    ``issued_at`` in the past makes one that has expired; ``mode`` "test"
    one in test mode (docs/test-mode.md). Runs inside
    `in_process.function_environment`."""
    from refunds_core.auth import CUSTOMER_TOKEN_TTL_SECONDS, issue_token
    from refunds_core.callers import Caller, Role
    from refunds_core.dal.accounts import get_credential
    from refunds_core.modes import Mode

    login, _, customer_id = login.partition("/")
    credential = get_credential(login)
    if credential is None:
        raise LookupError(f"no login {login!r} in the table")
    caller = Caller(login=login, role=Role(credential["role"]), merchant_id=credential.get("merchantId"),
                    mode=Mode(mode))
    if not customer_id:
        return issue_token(caller, now=issued_at)[0]
    if caller.role is not Role.MERCHANT:
        raise LookupError(f"{login!r} is not a merchant login: it mints no customer token")
    customer = Caller(login=f"customer:{customer_id}", role=Role.CUSTOMER, merchant_id=caller.merchant_id,
                      customer_id=customer_id, minted_by=login, mode=caller.mode)
    return issue_token(customer, now=issued_at, ttl=CUSTOMER_TOKEN_TTL_SECONDS)[0]


def fill_token_placeholders(event: dict, token_for: Callable[[str], str]) -> dict:
    """The event with each `{{token:<login>}}` in its header values replaced by
    token_for(login), and each `{{test-token:<login>}}` by a test-mode one,
    token_for(login, mode="test") (docs/test-mode.md); one token per login and
    mode, shared by headers and multiValueHeaders."""
    issued: dict[tuple[str, str], str] = {}

    def token(match: re.Match) -> str:
        test, login = match.groups()
        if (login, test or "") not in issued:
            issued[(login, test or "")] = token_for(login, mode="test") if test else token_for(login)
        return issued[(login, test or "")]

    def fill(value):
        if isinstance(value, list):
            return [fill(item) for item in value]
        if not isinstance(value, str):
            return value
        return PLACEHOLDER.sub(token, value)

    filled = dict(event)
    for section in ("headers", "multiValueHeaders"):
        if isinstance(event.get(section), dict):
            filled[section] = {name: fill(value) for name, value in event[section].items()}
    return filled
