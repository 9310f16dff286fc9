"""Refund requests: one item per request, keyed by its id, indexed by merchant,
merchant and status, and order (docs/data-model.md)."""

from __future__ import annotations

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.dal.transactions import Explain, Guarded
from refunds_core.settings import settings


def get(refund_id: str) -> dict | None:
    """One refund, strongly consistent: its status and version are what the
    next transition is conditioned on."""
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.refund(refund_id), ConsistentRead=True)
    return from_item(response.get("Item"))


def put_new(refund: dict, explain: Explain | None = None) -> Guarded:
    """The transaction item that writes a new refund, never over an existing
    id (``explain``: why one was there)."""
    item = {
        **keys.refund(refund["id"]),
        **to_item({"type": "Refund", **refund,
                   **keys.refund_indexes(refund)}),
    }
    return Guarded({"Put": {"TableName": settings().TABLE_NAME, "Item": item,
                            "ConditionExpression": "attribute_not_exists(PK)"}}, explain)


def move(refund: dict, changes: dict, entry: dict, explain: Explain, *, history_limit: int | None = None) -> Guarded:
    """The write of one transition: SET the new status, the index keys that
    follow it, ``changes`` (updatedAt and the action's fields), version + 1,
    and append ``entry`` to the history; on the condition that the refund is
    still in the status, at the version and with the metadata that were read
    (``refund``): a metadata change moves no version, and the transition's
    answer and event carry the metadata (docs/events.md)."""
    assigned = {**changes, **keys.status_indexes(refund["merchantId"], changes["status"])}
    names = {f"#{name}": name for name in assigned} | {"#status": "status", "#version": "version",
                                                        "#history": "history", "#metadata": "metadata"}
    metadata_condition, metadata_read = _metadata_as_read(refund)
    expression = ("SET " + ", ".join(f"#{name} = :{name}" for name in assigned)
                  + ", #version = #version + :one, #history = list_append(if_not_exists(#history, :empty), :entry)")
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.refund(refund["id"]),
        "UpdateExpression": expression,
        # history_limit: the database, not only the read, keeps the item bounded.
        "ConditionExpression": f"#status = :current AND #version = :version AND {metadata_condition}"
                               + (" AND size(#history) < :limit" if history_limit else ""),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values(
            **assigned, **metadata_read, one=1, empty=[], entry=[entry], version=refund["version"],
            current=refund["status"], **({"limit": history_limit} if history_limit else {})),
    }}, explain)


def set_metadata(refund: dict, metadata: dict, now: str, explain: Explain) -> Guarded:
    """The write of a metadata change: the whole new map and updatedAt, on the
    condition that the stored map is still the one it was merged from (absent
    on a refund that never had one). Neither status nor version moves."""
    metadata_condition, metadata_read = _metadata_as_read(refund)
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.refund(refund["id"]),
        "UpdateExpression": "SET #metadata = :metadata, #updatedAt = :now",
        "ConditionExpression": f"attribute_exists(PK) AND #merchantId = :merchantId AND {metadata_condition}",
        "ExpressionAttributeNames": {"#metadata": "metadata", "#updatedAt": "updatedAt", "#merchantId": "merchantId"},
        "ExpressionAttributeValues": values(metadata=metadata, now=now, merchantId=refund["merchantId"],
                                            **metadata_read),
    }}, explain)


def _metadata_as_read(refund: dict) -> tuple[str, dict]:
    """The condition (on ``#metadata``) that the stored map is still the one
    read, and its value: absent on a refund that never had one."""
    read = refund.get("metadata")
    if read is None:
        return "attribute_not_exists(#metadata)", {}
    return "#metadata = :metadataRead", {"metadataRead": read}
