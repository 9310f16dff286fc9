"""Refund requests: one item per request, keyed by its id, indexed by merchant,
merchant and status, and order (docs/data-model.md)."""

from __future__ import annotations

from refunds_core.dal import keys
from refunds_core.dal.codec import to_item
from refunds_core.dal.transactions import Guarded
from refunds_core.settings import settings


def put_new(refund: dict) -> Guarded:
    """The transaction item that writes a new refund (never over an existing id)."""
    item = {
        **keys.refund(refund["id"]),
        **to_item({"type": "Refund", **refund,
                   **keys.refund_indexes(refund)}),
    }
    return Guarded({"Put": {"TableName": settings().TABLE_NAME, "Item": item,
                            "ConditionExpression": "attribute_not_exists(PK)"}})
