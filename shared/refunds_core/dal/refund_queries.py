"""Reading refunds by index: one Query per page, newest or oldest first; and
counting an index partition, up to a cap.

Every index sorts by refund id, a ULID, so ``ScanIndexForward=False`` is newest
first and ``True`` oldest first. ``Limit`` is the page size: DynamoDB reads at
most that many items, whatever the partition holds, so a page costs the same
for a merchant with ten refunds or ten million. A ``FilterExpression`` only drops items from those it
read (a page may come back short, even empty, with a ``LastEvaluatedKey``).
The index names and partition key values are ``dal/keys.py``'s, the very ones
``keys.refund_indexes`` writes.
"""

from __future__ import annotations

from refunds_core.aws import dynamodb
from refunds_core.dal.codec import from_item, values
from refunds_core.dal.keys import INDEXES
from refunds_core.settings import settings

# ------------------------------------------------------------- queries

def key_attributes(index: str) -> set[str]:
    """The attributes of a LastEvaluatedKey of this index."""
    return {"PK", "SK", *INDEXES[index]}


def page(index: str, partition: str, *, limit: int, attributes: tuple[str, ...], start_key: dict | None = None,
         only_statuses: frozenset[str] | None = None, only_batch: str | None = None,
         oldest_first: bool = False) -> tuple[list[dict], dict | None]:
    """One Query: at most ``limit`` refunds of one index partition, newest
    first (``oldest_first``: oldest first), after ``start_key``, with only ``attributes`` read; with
    ``only_statuses``, those in another status are dropped by DynamoDB, and
    with ``only_batch`` those of another batch (or of none). Returns the
    refunds and the LastEvaluatedKey (None on the partition's last page)."""
    if not attributes:
        raise ValueError("no attribute to read")  # DynamoDB refuses an empty ProjectionExpression
    partition_attribute, _ = INDEXES[index]
    names = {"#pk": partition_attribute} | {f"#a{i}": name for i, name in enumerate(attributes)}
    params = {
        "TableName": settings().TABLE_NAME, "IndexName": index,
        "KeyConditionExpression": "#pk = :pk", "ScanIndexForward": oldest_first, "Limit": limit,
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(attributes))),
    }
    value_args: dict = {"pk": partition}
    filters = []
    if only_statuses is not None:
        wanted = sorted(only_statuses)
        if not wanted:
            raise ValueError("no status wanted: nothing to query")
        names["#status"] = "status"
        filters.append("#status IN (" + ", ".join(f":s{i}" for i in range(len(wanted))) + ")")
        value_args |= {f"s{i}": status for i, status in enumerate(wanted)}
    if only_batch is not None:
        names["#batch"] = "batchId"
        filters.append("#batch = :batch")
        value_args["batch"] = only_batch
    if filters:
        params["FilterExpression"] = " AND ".join(filters)
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params, ExpressionAttributeNames=names,
                                ExpressionAttributeValues=values(**value_args))
    return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def count(index: str, partition: str, *, at_most: int) -> int:
    """How many items one index partition holds, counting no further than
    ``at_most``: Queries with ``Select=COUNT`` (no item comes back, but each
    one counted is read and billed as any Query's), continued past DynamoDB's
    1 MB per call, ``Limit`` = what is left to count, so no more than
    ``at_most`` items are ever read."""
    partition_attribute, _ = INDEXES[index]
    counted, start_key = 0, None
    while counted < at_most:
        params = {"TableName": settings().TABLE_NAME, "IndexName": index, "Select": "COUNT",
                  "KeyConditionExpression": "#pk = :pk", "ExpressionAttributeNames": {"#pk": partition_attribute},
                  "ExpressionAttributeValues": values(pk=partition), "Limit": at_most - counted}
        if start_key is not None:
            params["ExclusiveStartKey"] = start_key
        response = dynamodb().query(**params)
        counted += response["Count"]
        start_key = response.get("LastEvaluatedKey")
        if start_key is None:
            break
    return counted
