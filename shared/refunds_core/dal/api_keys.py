"""A merchant's API keys (docs/data-model.md, "API keys").

| item | PK | SK |
|---|---|---|
| lookup (authenticating is one key lookup) | ``APIKEY#<sha256 hex of the key>`` | ``APIKEY`` |
| merchant's key (listing, revoking) | ``MERCHANT#<merchantId>`` | ``APIKEY#<keyId>`` |

The lookup holds ``merchantId``, ``keyId`` and ``scopes`` (what
authenticating needs); the merchant's key ``name``, ``prefix``, ``keyHash``,
``scopes`` and ``createdAt``. A key stored before keys had scopes has no
``scopes``: it has every scope.

Neither holds the key. Both are written, and deleted, in one transaction
with the merchant's ``apiKeyCount`` (the limit's counter, ``accounts.count_one_more``).
"""

from __future__ import annotations

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.dal.transactions import Explain, Guarded
from refunds_core.settings import settings

COUNTER = "apiKeyCount"
_PREFIX = "APIKEY#"


def keys_of(merchant_id: str) -> list[dict]:
    """Every key of a merchant (at most 10), oldest first: one Query of its partition."""
    response = dynamodb().query(
        TableName=settings().TABLE_NAME, ConsistentRead=True,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues=values(pk=f"MERCHANT#{merchant_id}", prefix=_PREFIX))
    return [from_item(item) for item in response.get("Items", [])]


def get_key(merchant_id: str, key_id: str) -> dict | None:
    """One key of this merchant, strongly consistent (None: missing, revoked, or another merchant's)."""
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.merchant_api_key(merchant_id, key_id),
                                   ConsistentRead=True)
    return from_item(response.get("Item"))


def put_new_key(record: dict) -> list[Guarded]:
    """The transaction items that write a new key's two items (never over existing ones).
    ``record``: ``id``, ``merchantId``, ``name``, ``prefix``, ``keyHash``, ``scopes``, ``mode``, ``createdAt``."""
    lookup = {**keys.api_key(record["keyHash"]),
              **to_item({"type": "ApiKey", "merchantId": record["merchantId"], "keyId": record["id"],
                         "scopes": record["scopes"], "mode": record["mode"], "createdAt": record["createdAt"]})}
    listed = {**keys.merchant_api_key(record["merchantId"], record["id"]),
              **to_item({"type": "MerchantApiKey", **record})}
    return [Guarded({"Put": {"TableName": settings().TABLE_NAME, "Item": item,
                             "ConditionExpression": "attribute_not_exists(PK)"}}) for item in (listed, lookup)]


def remove_key(record: dict, explain: Explain) -> list[Guarded]:
    """The transaction items that delete both items of a key that exists."""
    return [Guarded({"Delete": {"TableName": settings().TABLE_NAME, "Key": key,
                                "ConditionExpression": "attribute_exists(PK)"}}, explain)
            for key in (keys.merchant_api_key(record["merchantId"], record["id"]), keys.api_key(record["keyHash"]))]
