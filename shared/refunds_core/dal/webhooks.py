"""Webhook endpoints, the events kept for replay, and delivery attempts
(docs/data-model.md, "Webhooks").

| item | PK | SK |
|---|---|---|
| endpoint | ``MERCHANT#<merchantId>`` | ``WEBHOOK#<webhookId>`` |
| event | ``EVENTS#<merchantId>`` | ``<eventId>`` (``evt_<ULID>``: sorted by time) |
| attempt | ``WEBHOOK#<webhookId>`` | ``ATTEMPT#<ULID>`` (sorted by time); with ``refundId``, also in
  ``DeliveriesByRefund`` (``REFUND#<refundId>``, the ULID) |

A merchant's endpoint count is ``webhookCount`` on its merchant item; adding
and removing an endpoint change it in the same transaction, whose condition
enforces the limit. Events and attempts carry ``expiresAt`` (epoch seconds),
the table's TTL attribute: DynamoDB removes them after 30 days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ulid import ULID

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.dal.transactions import Explain, Guarded
from refunds_core.settings import settings

# The merchant item's count of its endpoints (accounts.count_one_more / count_one_less).
COUNTER = "webhookCount"

RETENTION = timedelta(days=30)
_ENDPOINT_PREFIX, _ATTEMPT_PREFIX = "WEBHOOK#", "ATTEMPT#"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def expires_at(iso_time: str) -> int:
    """The TTL of an item made at ``iso_time``: 30 days later, in epoch seconds."""
    return int((datetime.fromisoformat(iso_time) + RETENTION).timestamp())


# ------------------------------------------------------------ endpoints

def endpoints_of(merchant_id: str) -> list[dict]:
    """Every endpoint of a merchant (at most 10, a few KB): one Query of its partition."""
    response = dynamodb().query(
        TableName=settings().TABLE_NAME, ConsistentRead=True,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues=values(pk=f"MERCHANT#{merchant_id}", prefix=_ENDPOINT_PREFIX))
    return [from_item(item) for item in response.get("Items", [])]


def get_endpoint(merchant_id: str, webhook_id: str) -> dict | None:
    """One endpoint of this merchant, strongly consistent (None: missing, or another merchant's)."""
    response = dynamodb().get_item(TableName=settings().TABLE_NAME,
                                   Key=keys.webhook_endpoint(merchant_id, webhook_id), ConsistentRead=True)
    return from_item(response.get("Item"))


def put_new_endpoint(endpoint: dict) -> Guarded:
    """The transaction item that writes a new endpoint (never over an existing id)."""
    item = {**keys.webhook_endpoint(endpoint["merchantId"], endpoint["id"]),
            **to_item({"type": "WebhookEndpoint", **endpoint})}
    return Guarded({"Put": {"TableName": settings().TABLE_NAME, "Item": item,
                            "ConditionExpression": "attribute_not_exists(PK)"}})


def remove_endpoint(merchant_id: str, webhook_id: str, explain: Explain) -> Guarded:
    """The transaction item that deletes an endpoint that exists."""
    return Guarded({"Delete": {"TableName": settings().TABLE_NAME,
                               "Key": keys.webhook_endpoint(merchant_id, webhook_id),
                               "ConditionExpression": "attribute_exists(PK)"}}, explain)


def replace_secrets(endpoint: dict, new_secrets: list[dict], now: str, explain: Explain) -> Guarded:
    """The conditional UpdateItem of a rotation: the new secrets, on the condition
    that the secrets are still those that were read (DynamoDB compares lists by value)."""
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.webhook_endpoint(endpoint["merchantId"], endpoint["id"]),
        "UpdateExpression": "SET secrets = :new, updatedAt = :now",
        "ConditionExpression": "attribute_exists(PK) AND secrets = :read",
        "ExpressionAttributeValues": values(new=new_secrets, now=now, read=endpoint["secrets"]),
    }}, explain)


# --------------------------------------------------------------- events

def put_event(event: dict) -> None:
    """Keep an event for replay (``merchantId``, ``eventId``, ``eventType``,
    ``body``, ``createdAt``). Idempotent: the same event written again is the
    same item (its expiry counts from ``createdAt``)."""
    item = {"type": "WebhookEvent", "merchantId": event["merchantId"], "eventId": event["eventId"],
            "eventType": event["eventType"], "body": event["body"], "createdAt": event["createdAt"],
            "expiresAt": expires_at(event["createdAt"])}
    dynamodb().put_item(TableName=settings().TABLE_NAME,
                        Item={**keys.webhook_event(event["merchantId"], event["eventId"]), **to_item(item)})


def get_event(merchant_id: str, event_id: str) -> dict | None:
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.webhook_event(merchant_id, event_id))
    return from_item(response.get("Item"))


def events_since(merchant_id: str, since_iso: str, limit: int) -> list[dict]:
    """At most ``limit`` of the merchant's events made at ``since_iso`` or later,
    oldest first: one Query from the first event id of that millisecond (event
    ids are ``evt_`` + a ULID, whose first 48 bits are its time)."""
    millis = max(0, (datetime.fromisoformat(since_iso) - _EPOCH) // timedelta(milliseconds=1))
    first_id = f"evt_{ULID.from_bytes(millis.to_bytes(6, 'big') + bytes(10))}"
    response = dynamodb().query(
        TableName=settings().TABLE_NAME, KeyConditionExpression="PK = :pk AND SK >= :first",
        ExpressionAttributeValues=values(pk=f"EVENTS#{merchant_id}", first=first_id),
        ScanIndexForward=True, Limit=limit)
    return [from_item(item) for item in response.get("Items", [])]


# ------------------------------------------------------------- attempts

def put_attempt(webhook_id: str, attempt: dict) -> None:
    """Record one delivery attempt: ``eventId``, ``eventType``, ``attempt``,
    ``statusCode`` (None: no answer), ``error`` (None: answered), ``outcome``,
    ``at``, ``replay``; ``attemptId`` (a ULID) when the caller chose it;
    ``refundId`` (None: unknown) puts it among its refund's attempts too."""
    attempt_id = attempt.get("attemptId") or str(ULID())
    refund_id = attempt.get("refundId")
    item = {"type": "WebhookAttempt", "webhookId": webhook_id, "attemptId": attempt_id,
            "eventId": attempt["eventId"], "eventType": attempt["eventType"], "attempt": int(attempt["attempt"]),
            "statusCode": attempt.get("statusCode"), "error": attempt.get("error"), "outcome": attempt["outcome"],
            "at": attempt["at"], "replay": bool(attempt.get("replay", False)), "expiresAt": expires_at(attempt["at"])}
    if refund_id:  # the index is sparse: an attempt without a refund stays out of it
        item |= {"refundId": refund_id, **keys.refund_delivery_index(refund_id, attempt_id)}
    dynamodb().put_item(TableName=settings().TABLE_NAME,
                        Item={**keys.webhook_attempt(webhook_id, attempt_id), **to_item(item)})


def attempts_page(webhook_id: str, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """One Query: at most ``limit`` attempts of an endpoint, newest first, after
    ``start_key``; and the LastEvaluatedKey (None on the last page)."""
    params = {"TableName": settings().TABLE_NAME, "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
              "ExpressionAttributeValues": values(pk=f"WEBHOOK#{webhook_id}", prefix=_ATTEMPT_PREFIX),
              "ScanIndexForward": False, "Limit": limit}
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params)
    return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def refund_attempts_page(refund_id: str, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """One Query of ``DeliveriesByRefund``: at most ``limit`` attempts the
    refund's events caused, on every endpoint, newest first, after
    ``start_key``; and the LastEvaluatedKey (None on the last page)."""
    index = "DeliveriesByRefund"
    partition_attribute, _ = keys.ATTEMPT_INDEXES[index]
    params = {"TableName": settings().TABLE_NAME, "IndexName": index, "KeyConditionExpression": "#pk = :pk",
              "ExpressionAttributeNames": {"#pk": partition_attribute},
              "ExpressionAttributeValues": values(pk=keys.by_refund_deliveries(refund_id)),
              "ScanIndexForward": False, "Limit": limit}
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params)
    return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def refund_attempts_key_attributes() -> set[str]:
    """The attributes of a LastEvaluatedKey of ``DeliveriesByRefund``."""
    return {"PK", "SK", *keys.ATTEMPT_INDEXES["DeliveriesByRefund"]}
