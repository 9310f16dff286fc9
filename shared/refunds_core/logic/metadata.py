"""A refund's metadata: the merchant's own keys and values, changed with
PATCH /v1/refunds/{id} ``{"metadata": {...}}`` (docs/reconciliation.md).

Stripe's merge: a key with a string is set, a key with null is removed, keys
not named keep their values. The result holds at most
``models.MAX_METADATA_KEYS`` keys. Two merchants' systems changing different
keys at once both win: the write is conditioned on the metadata it was merged
from (compare and swap on the map), and a write that lost to another is
merged again from what that one wrote (``retry_on_contention``), so no
change is lost and the limit holds on what is stored. A change of metadata is
no transition: the refund's ``version`` stays, so it is no event either;
the next event carries it in its ``data`` (a transition is conditioned on
the metadata it read, ``dal/refunds.move``, so it never carries a stale map).

Only the refund's merchant (a login or API key) writes it: it is that
merchant's data for its own systems. Support reads it and may not change it,
like the merchant's customers (403, 15120).
"""

from __future__ import annotations

import uuid

from refunds_core import errors, shapes
from refunds_core.auth import account_guards, require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.clock import now_iso
from refunds_core.dal import refunds
from refunds_core.dal.transactions import retry_on_contention, transact_write
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic.lifecycle import visible_refund
from refunds_core.logic.refunds import present
from refunds_core.models import MAX_METADATA_KEYS, MetadataUpdate
from refunds_core.observability import count, logger
from refunds_core.validation import parse


def is_change(body: dict) -> bool:
    """Whether a PATCH body is a metadata change rather than an action: it
    names ``metadata`` and no ``action`` (an action's body with ``metadata``
    is that action's unknown field, 15010)."""
    return "metadata" in body and "action" not in body


def merged(stored: dict | None, changes: dict[str, str | None]) -> dict[str, str]:
    """The metadata after the change: keys set, keys removed (None), the rest kept."""
    result = dict(stored or {})
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def change(caller: Caller, refund_id: str, body: dict) -> shapes.Refund:
    """15000, then the role (403, 15120), then the body (15010), then the
    refund (404, 15070), then the limit on the result (15010 ``metadata``)."""
    require_active_account(caller)
    if caller.role is not Role.MERCHANT:
        raise ApiError(errors.FORBIDDEN)
    changes = parse(MetadataUpdate, body).metadata
    logger.append_keys(refund_id=refund_id, action="METADATA")

    def attempt(_n: int) -> shapes.Refund:
        refund = visible_refund(caller, refund_id)
        metadata = merged(refund.get("metadata"), changes)
        if len(metadata) > MAX_METADATA_KEYS:
            raise FieldErrors(["metadata"], notes={"metadata": errors.METADATA_KEYS_FULL})
        now = now_iso()
        transact_write([
            refunds.set_metadata(refund, metadata, now, explain=lambda stored: _refused(stored, caller)),
            *account_guards(caller),
        ], idempotency_token=str(uuid.uuid4()))
        count("RefundMetadataChanged")
        return present({**refund, "metadata": metadata, "updatedAt": now})

    return retry_on_contention(attempt, gave_up="refund metadata kept being changed by other requests")


def _refused(stored: dict | None, caller: Caller) -> Exception | None:
    """Gone (or never this merchant's): 404. Otherwise its metadata changed
    since it was read: None, merged again from what is stored now."""
    if stored is None or stored.get("merchantId") != caller.merchant_id:
        return ApiError(errors.REFUND_NOT_FOUND)
    return None
