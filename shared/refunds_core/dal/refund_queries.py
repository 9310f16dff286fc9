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

from typing import NamedTuple

from refunds_core.aws import dynamodb
from refunds_core.dal.codec import from_item, values
from refunds_core.dal.keys import INDEXES
from refunds_core.settings import settings

# ------------------------------------------------------------- queries

def key_attributes(index: str) -> set[str]:
    """The attributes of a LastEvaluatedKey of this index."""
    return {"PK", "SK", *INDEXES[index]}


class Read(NamedTuple):
    """What one Query returned: the refunds it kept, where the next one starts
    (None after the partition's last item), and how many items it read (the
    refunds, and those its filter dropped)."""

    items: list[dict]
    last_key: dict | None
    read: int


def page(index: str, partition: str, *, limit: int, attributes: tuple[str, ...], start_key: dict | None = None,
         only_statuses: frozenset[str] | None = None, only_batch: str | None = None,
         oldest_first: bool = False, created: tuple[str, str] | None = None,
         matching: tuple[tuple[str, str], ...] = ()) -> tuple[list[dict], dict | None]:
    """One Query (``query``): the refunds and the LastEvaluatedKey."""
    found = query(index, partition, limit=limit, attributes=attributes, start_key=start_key,
                  only_statuses=only_statuses, only_batch=only_batch, oldest_first=oldest_first,
                  created=created, matching=matching)
    return found.items, found.last_key


def query(index: str, partition: str, *, limit: int, attributes: tuple[str, ...], start_key: dict | None = None,
          only_statuses: frozenset[str] | None = None, only_batch: str | None = None,
          oldest_first: bool = False, created: tuple[str, str] | None = None,
          matching: tuple[tuple[str, str], ...] = ()) -> Read:
    """One Query: at most ``limit`` refunds of one index partition, newest
    first (``oldest_first``: oldest first), after ``start_key``, with only
    ``attributes`` read; with ``created`` (sort key bounds,
    ``keys.created_between``) only those created in that range are read (a key
    condition: the others cost nothing); with ``only_statuses``, those in
    another status are dropped by DynamoDB, with ``only_batch`` those of
    another batch (or of none), and with ``matching`` ((attribute, value)
    pairs) those whose attribute has another value or none. DynamoDB reads at
    most ``limit`` items, and less than that when they add up to 1 MB."""
    if not attributes:
        raise ValueError("no attribute to read")  # DynamoDB refuses an empty ProjectionExpression
    partition_attribute, sort_attribute = INDEXES[index]
    names = {"#pk": partition_attribute} | {f"#a{i}": name for i, name in enumerate(attributes)}
    params = {
        "TableName": settings().TABLE_NAME, "IndexName": index,
        "KeyConditionExpression": "#pk = :pk", "ScanIndexForward": oldest_first, "Limit": limit,
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(attributes))),
    }
    value_args: dict = {"pk": partition}
    if created is not None:
        names["#sk"] = sort_attribute
        params["KeyConditionExpression"] += " AND #sk BETWEEN :first AND :last"
        value_args |= {"first": created[0], "last": created[1]}
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
    for i, (attribute, value) in enumerate(matching):
        names[f"#m{i}"] = attribute
        filters.append(f"#m{i} = :m{i}")
        value_args[f"m{i}"] = value
    if filters:
        params["FilterExpression"] = " AND ".join(filters)
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params, ExpressionAttributeNames=names,
                                ExpressionAttributeValues=values(**value_args))
    items = [from_item(item) for item in response.get("Items", [])]
    return Read(items, response.get("LastEvaluatedKey"), response.get("ScannedCount", len(items)))


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
