"""Events kept 30 days: what the events API lists and replays deliver again
(docs/data-model.md, "Events").

| item | PK | SK |
|---|---|---|
| event | ``EVENTS#<merchantId>`` | ``<eventId>`` (``evt_<ULID>``: sorted by time) |

and in two index partitions sorted by event id: its type's (``DeliveriesByRefund``)
and, for a refund's event, its refund's (``ByOrder``; ``dal/keys.py``).

An event is written by the transaction that makes the change it tells of
(``keep``), never over one already kept; ``expiresAt`` (epoch seconds, 30
days after it) is the table's TTL attribute. A read treats an event past
``expiresAt`` as gone, since DynamoDB deletes it some time later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError
from ulid import ULID

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.dal.transactions import Guarded
from refunds_core.settings import settings

RETENTION = timedelta(days=30)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The smallest and the largest event id: ULIDs of 26 Crockford base32 digits (the first at most 7).
FIRST_ID, LAST_ID = "evt_" + "0" * 26, "evt_7" + "Z" * 25


def expires_at(iso_time: str) -> int:
    """The TTL of an item made at ``iso_time``: 30 days later, in epoch seconds."""
    return int((datetime.fromisoformat(iso_time) + RETENTION).timestamp())


def _millis(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def first_id_at(millis: int) -> str:
    """The smallest event id of millisecond ``millis`` since the epoch (ids are ``evt_`` + a ULID,
    its first 48 bits the time): ``SK >= first_id_at(t)`` is every event made at ``t`` or later."""
    return f"evt_{ULID.from_int(_clamped(millis) << 80)}"


def last_id_at(millis: int) -> str:
    """The largest event id of millisecond ``millis``: ``SK <= last_id_at(t)`` is every event
    made at ``t`` or earlier (none before the epoch)."""
    if millis < 0:
        return FIRST_ID[:-1]  # below every id: an empty range
    return f"evt_{ULID.from_int((_clamped(millis) << 80) | (2**80 - 1))}"


def _clamped(millis: int) -> int:
    return min(max(millis, 0), 2**48 - 1)  # a ULID's time: 1970 to the year 10889


def item_of(event: dict) -> dict:
    """The item that keeps ``event`` (``merchantId``, ``eventId``, ``eventType``, ``body``, ``createdAt``,
    ``refundId`` for a refund's, ``livemode`` when it says), with its index keys."""
    attributes = {"type": "Event", "merchantId": event["merchantId"], "eventId": event["eventId"],
                  "eventType": event["eventType"], "refundId": event.get("refundId"), "body": event["body"],
                  "createdAt": event["createdAt"], "expiresAt": expires_at(event["createdAt"]),
                  "livemode": event.get("livemode")}
    return {**keys.event(event["merchantId"], event["eventId"]), **to_item(attributes),
            **to_item(keys.event_indexes(event))}


def keep(event: dict) -> Guarded:
    """The transaction item that keeps an event, with the change it tells of."""
    return Guarded({"Put": {"TableName": settings().TABLE_NAME, "Item": item_of(event),
                            "ConditionExpression": "attribute_not_exists(PK)"}})


def keep_once(event: dict) -> bool:
    """Keep an event outside a transaction (the publisher, for a change written
    before events were kept with it); False when it was kept already."""
    try:
        dynamodb().put_item(TableName=settings().TABLE_NAME, Item=item_of(event),
                            ConditionExpression="attribute_not_exists(PK)")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get(merchant_id: str, event_id: str) -> dict | None:
    """One of the merchant's events (None: missing, or another merchant's)."""
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.event(merchant_id, event_id),
                                   ConsistentRead=True)
    return from_item(response.get("Item"))


def since(merchant_id: str, since_iso: str, limit: int) -> list[dict]:
    """At most ``limit`` of the merchant's events made at ``since_iso`` or later,
    oldest first: one Query from the first event id of that millisecond."""
    response = dynamodb().query(
        TableName=settings().TABLE_NAME, KeyConditionExpression="PK = :pk AND SK >= :first",
        ExpressionAttributeValues=values(pk=keys.events_partition(merchant_id),
                                         first=first_id_at(_millis(datetime.fromisoformat(since_iso)))),
        ScanIndexForward=True, Limit=limit)
    return [from_item(item) for item in response.get("Items", [])]


def newest_first(merchant_id: str, *, first_id: str, last_id: str, limit: int, start_key: dict | None,
                 event_type: str | None = None, refund_id: str | None = None) -> tuple[list[dict], dict | None]:
    """One Query: at most ``limit`` of the merchant's events with ids from
    ``first_id`` to ``last_id`` (a time range, as a key condition), newest
    first, after ``start_key``; and the LastEvaluatedKey (None on the last page).
    A refund's events are read from its own index partition (a ``type`` with
    it is a filter on that refund's few events), a type's from its own, all
    of them from the merchant's partition."""
    index, partition_key, sort_key = _plan(event_type, refund_id)
    if refund_id is not None:
        partition = keys.events_by_refund(merchant_id, refund_id)
    elif event_type is not None:
        partition = keys.events_by_type(merchant_id, event_type)
    else:
        partition = keys.events_partition(merchant_id)
    params: dict = {
        "TableName": settings().TABLE_NAME, "ScanIndexForward": False, "Limit": limit,
        "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
        "ExpressionAttributeNames": {"#pk": partition_key, "#sk": sort_key},
        "ExpressionAttributeValues": values(pk=partition, first=first_id, last=last_id)}
    if index is not None:
        params["IndexName"] = index
    if refund_id is not None and event_type is not None:
        params["FilterExpression"] = "eventType = :type"
        params["ExpressionAttributeValues"] |= values(type=event_type)
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params)
    return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def _plan(event_type: str | None, refund_id: str | None) -> tuple[str | None, str, str]:
    """(index or None for the table, its partition key attribute, its sort key attribute)."""
    if refund_id is not None:
        return keys.EVENT_INDEXES["refund"]
    if event_type is not None:
        return keys.EVENT_INDEXES["type"]
    return None, "PK", "SK"


def key_attributes(*, event_type: str | None, refund_id: str | None) -> set[str]:
    """The attributes of a LastEvaluatedKey of ``newest_first`` with these filters."""
    _, partition_key, sort_key = _plan(event_type, refund_id)
    return {"PK", "SK", partition_key, sort_key}
