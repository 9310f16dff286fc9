"""A merchant's store connections: the stores (shops, sales channels) its
refunds come from. Seed 003's API names one in every path
(``/v1/connections/{connectionId}/...``, docs/dialects.md); a merchant has one
or more, which its administrator creates (``make admin ARGS="create-connection
<merchantId>"``; the local merchants have one each), and ``GET
/v1/connections`` lists them.

A connection is named under the caller's own merchant, so another merchant's
id answers exactly like a missing one: 404 (15240), never 403. Orders are the
merchant's, not a connection's (the order system pushes them per merchant):
any connection of the merchant reaches any of its orders.
"""

from __future__ import annotations

import re
import uuid

from pydantic import BaseModel, ConfigDict

from refunds_core import errors, shapes
from refunds_core.auth import derived_key, require_active_account
from refunds_core.callers import Caller
from refunds_core.clock import now_iso
from refunds_core.dal import accounts, connections
from refunds_core.dal.accounts import NotCreated
from refunds_core.dal.transactions import transact_write
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.listing_query import DEFAULT_LIMIT, CursorText, Limit, cursor_owner, open_cursor, seal_cursor
from refunds_core.validation import parse

__all__ = ["ConnectionsQuery", "NotCreated", "create", "page", "present", "visible"]

CONNECTION_ID = re.compile(shapes.CONNECTION_ID)
CURSOR_KEY_PURPOSE = "list-connections-cursor"
MAX_NAME = 100


def present(record: dict) -> shapes.Connection:
    return shapes.Connection(id=record["id"], name=record.get("name"), createdAt=record["createdAt"])


def visible(caller: Caller, connection_id: str) -> dict:
    """The caller's merchant's connection of this id, or 404 (15240): an id that
    is no UUID is looked up nowhere."""
    require_active_account(caller)
    record = None
    if caller.merchant_id is not None and CONNECTION_ID.fullmatch(connection_id):
        record = connections.get(caller.merchant_id, connection_id)
    if record is None:
        raise ApiError(errors.CONNECTION_NOT_FOUND)
    return record


class ConnectionsQuery(BaseModel):
    """GET /v1/connections's query string."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    limit: Limit = DEFAULT_LIMIT
    cursor: CursorText = None  # type: ignore[assignment]


def page(caller: Caller, params: dict[str, str]) -> shapes.Page:
    """A page of the caller's merchant's connections in id order: one Query, with
    sealed cursors bound to the caller and the limit (as GET /v1/refunds')."""
    require_active_account(caller)
    query = parse(ConnectionsQuery, params)
    context = {"caller": cursor_owner(caller),
               "limit": query.limit}
    key = derived_key(CURSOR_KEY_PURPOSE)
    start_key = None
    if query.cursor is not None:
        start_key = open_cursor(query.cursor, context, key)
        if not connections.is_page_key(start_key, str(caller.merchant_id)):
            raise FieldErrors(["cursor"])
    items, last_key = connections.page(str(caller.merchant_id), query.limit, start_key)
    return shapes.Page([present(item) for item in items], seal_cursor(last_key, context, key) if last_key else None)


def create(merchant_id: str, name: str | None = None, *, connection_id: str | None = None) -> shapes.Connection:
    """A new connection of an active merchant, for the administrator (and the
    local accounts' fixed ones): NotCreated when the merchant is missing or
    disabled, or the id is taken. One transaction: the connection, on the
    condition that its merchant is active when it commits."""
    if name is not None and not 0 < len(name) <= MAX_NAME:
        raise ValueError(f"a connection's name is 1 to {MAX_NAME} characters")
    connection_id = connection_id or str(uuid.uuid4())
    if not CONNECTION_ID.fullmatch(connection_id):
        raise ValueError("a connection's id is a UUID in lower case")
    record = {"id": connection_id, "merchantId": merchant_id, "name": name, "createdAt": now_iso()}

    def taken(_old: dict | None) -> Exception:
        return NotCreated(f"connection {connection_id} already exists")

    def no_merchant(_merchant: dict | None) -> Exception:
        return NotCreated(f"merchant {merchant_id} does not exist or is disabled")

    transact_write([connections.put_new(record, taken), accounts.merchant_active(merchant_id, no_merchant)],
                   idempotency_token=connection_id)
    return present(record)
