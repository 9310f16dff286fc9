"""Merchants and logins, as the admin command and the local runtime create them.

Creating never overwrites (``replace=True`` does, on purpose); enabling and
disabling touch only the status of a record that exists. A missing or
existing record raises ``accounts.NotCreated``.
"""

from __future__ import annotations

from refunds_core.auth import hash_password
from refunds_core.callers import API_KEY_LOGIN_PREFIX, Role
from refunds_core.clock import now_iso
from refunds_core.dal import accounts
from refunds_core.dal.accounts import NotCreated
from refunds_core.models import IDENTIFIER

__all__ = ["NotCreated", "create_login", "create_merchant", "set_login_disabled", "set_merchant_disabled"]


def create_merchant(merchant_id: str, name: str | None = None, *, replace: bool = False) -> None:
    if not IDENTIFIER.fullmatch(merchant_id):
        raise ValueError(f"a merchant id matches {IDENTIFIER.pattern}")
    accounts.put_merchant(merchant_id, name or merchant_id, now=now_iso(), replace=replace)


def set_merchant_disabled(merchant_id: str, disabled: bool) -> None:
    accounts.set_merchant_status(merchant_id, "disabled" if disabled else "active")


def create_login(login: str, password: str, role: Role, merchant_id: str | None = None, *,
                 replace: bool = False) -> None:
    if (role is Role.MERCHANT) != bool(merchant_id):
        raise ValueError("a merchant login needs a merchant id, and only a merchant login has one")
    if login.startswith(API_KEY_LOGIN_PREFIX):
        raise ValueError(f"{API_KEY_LOGIN_PREFIX!r} names API keys' callers, not logins")
    if len(password) < 8:
        raise ValueError("passwords are at least 8 characters")
    accounts.put_credential(login, hash_password(password), role.value, merchant_id, now=now_iso(),
                            replace=replace)


def set_login_disabled(login: str, disabled: bool) -> None:
    accounts.set_disabled(login, disabled)
