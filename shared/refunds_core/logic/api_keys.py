"""API keys (``/v1/api-keys``): a merchant creates, lists and revokes the keys
its systems send as ``X-API-KEY`` instead of a Bearer token (auth.py reads them).

Managing keys takes a merchant login's token (the routes refuse API-key
callers: 403, 15120), so a leaked key cannot mint more keys nor revoke its
owner's. Another merchant's key answers 404 (15190), exactly like a missing one.

- **Create**: the key (``auth.new_api_key``) is in this answer only; the table
  keeps its SHA-256, and its scopes (every one unless the body names some),
  on both its items: authenticating reads them with the key. Its two items and the merchant's ``apiKeyCount`` are
  written in one transaction conditioned on the count being below
  ``MAX_KEYS`` (400, 15200 beyond).
- **Revoke**: both items are deleted and the count lowered in one
  transaction. From the moment it answers, the key (and every customer token
  it minted) can write nothing and mint nothing anywhere: each write checks
  the key in its own transaction, and minting reads it strongly. Reads in
  another execution environment may trust it for ACCOUNT_CACHE_SECONDS (1 s).
"""

from __future__ import annotations

import re
import uuid

from ulid import ULID

from refunds_core import errors, shapes
from refunds_core.auth import (
    API_KEY_DISPLAY_LENGTH,
    account_guards,
    api_key_digest,
    forget_api_key,
    new_api_key,
    require_active_account,
)
from refunds_core.callers import ALL_SCOPES, Caller, Scope, scopes_named
from refunds_core.clock import now_iso
from refunds_core.dal import accounts, api_keys
from refunds_core.dal.transactions import retry_on_contention, transact_write
from refunds_core.errors import ApiError
from refunds_core.models import CreateApiKeyRequest
from refunds_core.modes import Mode
from refunds_core.observability import count, logger
from refunds_core.validation import parse

MAX_KEYS = 10
_KEY_ID = re.compile(r"key_[0-9A-HJKMNP-TV-Z]{26}")


def present(record: dict) -> shapes.ApiKey:
    """A key as the list shows it: never the key, nor its hash."""
    return shapes.ApiKey(id=record["id"], name=record.get("name"), prefix=record["prefix"],
                         scopes=scope_names(record), mode=_mode_of(record).value,
                         createdAt=record["createdAt"])


def scope_names(record: dict) -> list[str]:
    """A stored key's scopes in their documented order; every scope for a key
    stored before keys had scopes (it could do everything, and still can)."""
    held = scopes_named(record["scopes"]) if "scopes" in record else ALL_SCOPES
    return [scope.value for scope in Scope if scope in (held or ())]


def create(caller: Caller, body: dict) -> shapes.ApiKeyCreated:
    require_active_account(caller)
    request = parse(CreateApiKeyRequest, body)
    mode = Mode(request.mode) if request.mode is not None else caller.mode
    if not manages(caller, mode):
        raise ApiError(errors.FORBIDDEN)
    key = new_api_key(caller.merchant_id, mode)
    scopes = request.scopes or [scope.value for scope in Scope]
    record = {"id": f"key_{ULID()}", "merchantId": caller.merchant_id, "name": request.name,
              "prefix": key[:API_KEY_DISPLAY_LENGTH], "keyHash": api_key_digest(key),
              "scopes": [scope.value for scope in Scope if scope.value in scopes], "mode": mode.value,
              "createdAt": now_iso()}

    def write(attempt: int) -> None:
        # Each attempt its own token: botocore's retry of one is answered as its first success.
        counted = accounts.count_one_more(caller.merchant_id, api_keys.COUNTER, MAX_KEYS,
                                          ApiError(errors.TOO_MANY_API_KEYS))
        transact_write([counted, *api_keys.put_new_key(record), *account_guards(caller)],
                       idempotency_token=f"{record['id']}-{attempt}")

    retry_on_contention(write, gave_up="the merchant's API keys kept changing under the request")
    count("ApiKeyCreated")
    logger.info("api key created", extra={"api_key_id": record["id"]})
    return shapes.ApiKeyCreated(**present(record), key=key)


def list_keys(caller: Caller) -> list[shapes.ApiKey]:
    require_active_account(caller)
    return [present(record) for record in api_keys.keys_of(caller.merchant_id) if manages(caller, _mode_of(record))]


def manages(caller: Caller, mode: Mode) -> bool:
    """Whether the caller's token may see and manage keys of ``mode``: a live
    token, both modes' (the account's owner); a test token, test keys only, so
    a test token leaked from a CI log can neither mint a live key nor revoke one."""
    return caller.mode is Mode.LIVE or mode is Mode.TEST


def _mode_of(record: dict) -> Mode:
    return Mode(record.get("mode", Mode.LIVE.value))  # a key stored before test mode is live


def revoke(caller: Caller, key_id: str) -> None:
    require_active_account(caller)

    def write(_attempt: int) -> dict:
        record = api_keys.get_key(caller.merchant_id, key_id) if _KEY_ID.fullmatch(key_id) else None
        if record is None or not manages(caller, _mode_of(record)):
            raise ApiError(errors.API_KEY_NOT_FOUND)
        transact_write([*api_keys.remove_key(record, _key_gone),
                        accounts.count_one_less(caller.merchant_id, api_keys.COUNTER, lambda _merchant: None),
                        *account_guards(caller)],
                       idempotency_token=str(uuid.uuid4()))
        return record

    record = retry_on_contention(write, gave_up="the merchant's API keys kept changing under the request")
    forget_api_key(record["id"], record["keyHash"])
    count("ApiKeyRevoked")
    logger.info("api key revoked", extra={"api_key_id": record["id"]})


def _key_gone(record: dict | None) -> Exception | None:
    return ApiError(errors.API_KEY_NOT_FOUND) if record is None else None
