"""A merchant's store connections (docs/data-model.md, "Connections").

| item | PK | SK |
|---|---|---|
| connection | ``MERCHANT#<merchantId>#CONNECTIONS`` | ``CONNECTION#<connectionId>`` |

It holds ``id`` (a UUID), ``merchantId``, ``name`` and ``createdAt``. In a
partition of its merchant's connections: a route that names one reads it
under the caller's own merchant (another merchant's id is simply not there),
a page of them is one Query, and a function that reads them is allowed that
partition only, none of the merchant's other items (its API keys, its
webhook endpoints). Nothing counts them: a merchant has as many as its administrator
creates.
"""

from __future__ import annotations

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.dal.transactions import Explain, Guarded
from refunds_core.settings import settings

_PREFIX = "CONNECTION#"


def get(merchant_id: str, connection_id: str) -> dict | None:
    """One connection of this merchant, strongly consistent: a connection the
    administrator created a moment ago is found (None: missing, or another merchant's)."""
    response = dynamodb().get_item(TableName=settings().TABLE_NAME,
                                   Key=keys.merchant_connection(merchant_id, connection_id), ConsistentRead=True)
    return from_item(response.get("Item"))


def page(merchant_id: str, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """One Query: at most ``limit`` connections of the merchant in id order, after
    ``start_key``; and the LastEvaluatedKey (None on the last page)."""
    params = {"TableName": settings().TABLE_NAME, "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
              "ExpressionAttributeValues": values(pk=keys.merchant_connection(merchant_id, "")["PK"]["S"],
                                                  prefix=_PREFIX),
              "ConsistentRead": True, "Limit": limit}
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    response = dynamodb().query(**params)
    return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def is_page_key(key: dict, merchant_id: str) -> bool:
    """Whether a page's LastEvaluatedKey (from a cursor) is one of this merchant's connections."""
    expected = keys.merchant_connection(merchant_id, "")
    return (set(key) == {"PK", "SK"} and key["PK"] == expected["PK"]
            and key["SK"]["S"].startswith(expected["SK"]["S"]))


def put_new(record: dict, explain: Explain) -> Guarded:
    """The transaction item that writes a new connection (never over an existing id).
    ``record``: ``id``, ``merchantId``, ``name``, ``createdAt``."""
    item = {**keys.merchant_connection(record["merchantId"], record["id"]),
            **to_item({"type": "Connection", **record})}
    return Guarded({"Put": {"TableName": settings().TABLE_NAME, "Item": item,
                            "ConditionExpression": "attribute_not_exists(PK)"}}, explain)
