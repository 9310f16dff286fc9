"""Webhook endpoints and delivery attempts (docs/data-model.md, "Webhooks");
the events they deliver are ``dal/events.py``'s.

| item | PK | SK |
|---|---|---|
| endpoint | ``MERCHANT#<merchantId>`` | ``WEBHOOK#<webhookId>`` |
| attempt | ``WEBHOOK#<webhookId>`` | ``ATTEMPT#<ULID>`` (sorted by time); with ``refundId``, also in
  ``DeliveriesByRefund`` (``REFUND#<refundId>``, the ULID) |

In test mode every partition above is its test one (``dal/keys.py``). A
merchant's endpoint count is ``webhookCount`` (``testWebhookCount``) on its merchant item; adding
and removing an endpoint change it in the same transaction, whose condition
enforces the limit. Attempts carry ``expiresAt`` (epoch seconds), the table's
TTL attribute: DynamoDB removes them after 30 days.
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from ulid import ULID

from refunds_core import modes
from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.dal.events import expires_at
from refunds_core.dal.transactions import Explain, Guarded
from refunds_core.modes import Mode
from refunds_core.settings import settings


def counter() -> str:
    """The merchant item's count of its endpoints in the mode being handled
    (accounts.count_one_more / count_one_less): test endpoints take nothing
    from the live limit."""
    return "webhookCount" if modes.current() is Mode.LIVE else "testWebhookCount"


# ------------------------------------------------------------ endpoints

def endpoints_of(merchant_id: str) -> list[dict]:
    """Every endpoint of a merchant (at most 10, a few KB): one Query of its partition."""
    response = dynamodb().query(
        TableName=settings().TABLE_NAME, ConsistentRead=True,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues=values(pk=keys.endpoints_partition(merchant_id), prefix=keys.WEBHOOK_PREFIX))
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


def change_endpoint(endpoint: dict, assigned: dict, removed: list[str], explain: Explain) -> Guarded:
    """The conditional UpdateItem of a change by its merchant: SET ``assigned``
    (``updatedAt`` among them), REMOVE ``removed``, on the condition that the
    endpoint is still as it was read (its ``updatedAt``: every change by its
    merchant, and a disabling, moves it)."""
    names = {f"#{name}": name for name in [*assigned, *removed]}
    expression = "SET " + ", ".join(f"#{name} = :{name}" for name in assigned)
    if removed:
        expression += " REMOVE " + ", ".join(f"#{name}" for name in removed)
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.webhook_endpoint(endpoint["merchantId"], endpoint["id"]),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(PK) AND #read_updated = :read_updated",
        "ExpressionAttributeNames": {**names, "#read_updated": "updatedAt"},
        "ExpressionAttributeValues": values(**assigned, read_updated=endpoint["updatedAt"]),
    }}, explain)


# -------------------------------------------------------------- health
#
# An endpoint's failure streak: ``failingSince`` is the time of the first
# failed delivery since the last one that succeeded. Each write is conditioned
# on what it changes, never on what a delivery read before its POST (others
# ran meanwhile): the first failure of a streak sets it only where none is set,
# a success removes it, and disabling needs it still as old as the rule says.

def _conditional_update(merchant_id: str, webhook_id: str, **update) -> bool:
    """One UpdateItem; False when its condition did not hold (nothing written)."""
    try:
        dynamodb().update_item(TableName=settings().TABLE_NAME, Key=keys.webhook_endpoint(merchant_id, webhook_id),
                               **update)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def start_failing(merchant_id: str, webhook_id: str, at: str) -> bool:
    """``failingSince = at`` unless a streak is already on (or the endpoint is gone)."""
    return _conditional_update(merchant_id, webhook_id, UpdateExpression="SET failingSince = :at",
                               ConditionExpression="attribute_exists(PK) AND attribute_not_exists(failingSince)",
                               ExpressionAttributeValues=values(at=at))


def stop_failing(merchant_id: str, webhook_id: str) -> bool:
    """A delivery succeeded: the streak, if any, ends."""
    return _conditional_update(merchant_id, webhook_id, UpdateExpression="REMOVE failingSince",
                               ConditionExpression="attribute_exists(failingSince)")


def disable_failing(endpoint: dict, failing_since_at_most: str, now: str, explain: Explain) -> Guarded:
    """The transaction item that disables an endpoint whose streak began at
    ``failing_since_at_most`` or before, while it is enabled (once, whoever tries)."""
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.webhook_endpoint(endpoint["merchantId"], endpoint["id"]),
        "UpdateExpression": "SET enabled = :false, disabledReason = :failing, updatedAt = :now",
        "ConditionExpression": "attribute_exists(PK) AND failingSince <= :cutoff "
                               "AND (attribute_not_exists(enabled) OR enabled = :true)",
        "ExpressionAttributeValues": values(false=False, true=True, failing="failing", now=now,
                                            cutoff=failing_since_at_most),
    }}, explain)


# ----------------------------------------------------------- test pings
#
# How often a merchant tests its endpoints (the rule: logic/webhook_ping.py):
# ``lastTestAt`` on the endpoint, and on the merchant item the minute of its
# latest test (``webhookTestMinute``) with how many it made in it
# (``webhookTests``), times as epoch milliseconds and minutes. Each is one
# conditional write, in the transaction that lets the ping go.

TEST_MINUTE, TESTS_IN_MINUTE = "webhookTestMinute", "webhookTests"


def note_test(endpoint: dict, now_ms: int, last_at_most_ms: int, explain: Explain) -> Guarded:
    """The transaction item that notes a test of the endpoint at ``now_ms``, on
    the condition that it exists and its last test was at ``last_at_most_ms`` or before."""
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.webhook_endpoint(endpoint["merchantId"], endpoint["id"]),
        "UpdateExpression": "SET lastTestAt = :now",
        "ConditionExpression": "attribute_exists(PK) AND (attribute_not_exists(lastTestAt) OR lastTestAt <= :since)",
        "ExpressionAttributeValues": values(now=now_ms, since=last_at_most_ms),
    }}, explain)


def count_test(merchant_id: str, minute: int, budget: int, explain: Explain, *, first_in_minute: bool) -> Guarded:
    """The transaction item that counts a test in the merchant's ``minute``:
    its first (the count starts again at 1, on the condition that the last test
    was in an earlier minute, or never), or one more (on the condition that the
    merchant's minute is this one, or a later one another clock is in, with
    fewer than ``budget`` tests)."""
    if first_in_minute:
        update = "SET #minute = :minute, #tests = :one"
        condition = "attribute_exists(PK) AND (attribute_not_exists(#minute) OR #minute < :minute)"
        given = values(minute=minute, one=1)
    else:
        update = "SET #tests = #tests + :one"
        condition = "#minute >= :minute AND #tests < :budget"
        given = values(minute=minute, one=1, budget=budget)
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.merchant(merchant_id),
        "UpdateExpression": update, "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#minute": TEST_MINUTE, "#tests": TESTS_IN_MINUTE},
        "ExpressionAttributeValues": given,
    }}, explain)


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
              "ExpressionAttributeValues": values(pk=keys.attempts_partition(webhook_id), prefix=keys.ATTEMPT_PREFIX),
              "ScanIndexForward": False, "Limit": limit}
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params)
    return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def refund_attempts_page(refund_id: str, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """One Query of ``DeliveriesByRefund``: at most ``limit`` attempts the
    refund's events caused, on every endpoint, newest first, after
    ``start_key``; and the LastEvaluatedKey (None on the last page)."""
    index = keys.ACTIVITY_INDEX[0]
    partition_attribute, _ = keys.ATTEMPT_INDEXES[index]
    params = {"TableName": settings().TABLE_NAME, "IndexName": index, "KeyConditionExpression": "#pk = :pk",
              "ExpressionAttributeNames": {"#pk": partition_attribute},
              "ExpressionAttributeValues": values(pk=keys.by_refund_deliveries(refund_id)),
              "ScanIndexForward": False, "Limit": limit}
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params)
    return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def is_attempts_key(webhook_id: str, key: dict) -> bool:
    """Whether ``key`` is a LastEvaluatedKey ``attempts_page`` of this endpoint can have answered."""
    return (set(key) == {"PK", "SK"} and key["PK"]["S"] == keys.attempts_partition(webhook_id)
            and key["SK"]["S"].startswith(keys.ATTEMPT_PREFIX))


def is_refund_attempts_key(refund_id: str, key: dict) -> bool:
    """Whether ``key`` is a LastEvaluatedKey ``refund_attempts_page`` of this refund can have answered."""
    partition_attribute, sort_attribute = keys.ATTEMPT_INDEXES[keys.ACTIVITY_INDEX[0]]
    return (set(key) == {"PK", "SK", partition_attribute, sort_attribute}
            and key[partition_attribute]["S"] == keys.by_refund_deliveries(refund_id))
