"""Merchants and logins, as the admin command and the local runtime create them,
and the merchant's contact email on file.

Creating never overwrites (``replace=True`` does, on purpose); enabling and
disabling touch only the status of a record that exists. A missing or
existing record raises ``accounts.NotCreated``.
"""

from __future__ import annotations

from refunds_core import errors
from refunds_core.auth import hash_password
from refunds_core.callers import API_KEY_LOGIN_PREFIX, Caller, Role
from refunds_core.clock import now_iso
from refunds_core.dal import accounts
from refunds_core.dal.accounts import NotCreated
from refunds_core.errors import FieldErrors
from refunds_core.models import IDENTIFIER, ContactEmail
from refunds_core.validation import parse

__all__ = ["NotCreated", "contact_email_on_file", "create_login", "create_merchant", "set_contact_email",
           "set_login_disabled", "set_merchant_disabled"]


def create_merchant(merchant_id: str, name: str | None = None, *, contact_email: str | None = None,
                    replace: bool = False) -> None:
    if not IDENTIFIER.fullmatch(merchant_id):
        raise ValueError(f"a merchant id matches {IDENTIFIER.pattern}")
    email = _email(contact_email) if contact_email is not None else None
    accounts.put_merchant(merchant_id, name or merchant_id, now=now_iso(), contact_email=email, replace=replace)


def set_contact_email(merchant_id: str, email: str, *, only_if_none: bool = False) -> bool:
    """The address we write to about the merchant's refund requests when a
    request carries none (seed 002's POST /api/v2/refunds); False when
    ``only_if_none`` and the merchant has one already."""
    return accounts.set_contact_email(merchant_id, _email(email), only_if_none=only_if_none)


def _email(value: str) -> str:
    try:
        return parse(ContactEmail, {"email": value}).email
    except FieldErrors:
        raise ValueError(f"{value!r} is not an email address of at most 80 characters") from None


def contact_email_on_file(caller: Caller) -> str:
    """The caller's merchant's contact email, or 15010 ``email`` saying how
    to set one (the request had none to give)."""
    _, merchant = accounts.get_with_merchant(None, caller.merchant_id) if caller.merchant_id else (None, None)
    email = (merchant or {}).get("contactEmail")
    if not email:
        raise FieldErrors(["email"], notes={"email": errors.CONTACT_EMAIL_MISSING})
    return email


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
