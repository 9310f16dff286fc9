"""Logins (credentials) and merchants."""

from __future__ import annotations

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.settings import settings


def get_credential(login: str) -> dict | None:
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.credential(login))
    return from_item(response.get("Item"))


def get_login_and_merchant(login: str | None, merchant_id: str | None) -> tuple[dict | None, dict | None]:
    """The records a caller's token rests on, in one round trip."""
    wanted = ([keys.credential(login)] if login else []) + ([keys.merchant(merchant_id)] if merchant_id else [])
    table = settings().TABLE_NAME
    request = {table: {"Keys": wanted}}
    found: list[dict] = []
    while request:  # BatchGetItem may leave keys unprocessed under load
        response = dynamodb().batch_get_item(RequestItems=request)
        found += response.get("Responses", {}).get(table, [])
        request = response.get("UnprocessedKeys") or None
    by_pk = {item["PK"]["S"]: from_item(item) for item in found}
    credential = by_pk.get(keys.credential(login)["PK"]["S"]) if login else None
    merchant = by_pk.get(keys.merchant(merchant_id)["PK"]["S"]) if merchant_id else None
    return credential, merchant


class NotCreated(Exception):  # noqa: N818 - says what happened, like KeyError
    """The record already exists (create) or does not exist (update)."""


def _put(item: dict, *, replace: bool) -> None:
    condition = {} if replace else {"ConditionExpression": "attribute_not_exists(PK)"}
    try:
        dynamodb().put_item(TableName=settings().TABLE_NAME, Item=item, **condition)
    except dynamodb().exceptions.ConditionalCheckFailedException:
        raise NotCreated(item["PK"]["S"]) from None


def _update_existing(key: dict, attribute: str, value) -> None:
    try:
        dynamodb().update_item(
            TableName=settings().TABLE_NAME, Key=key, UpdateExpression="SET #a = :v",
            ConditionExpression="attribute_exists(PK)", ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues=values(v=value),
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        raise NotCreated(key["PK"]["S"]) from None


def put_merchant(merchant_id: str, name: str, *, now: str, replace: bool = False) -> None:
    _put({**keys.merchant(merchant_id),
          **to_item({"type": "Merchant", "id": merchant_id, "name": name, "status": "active", "updatedAt": now})},
         replace=replace)


def set_merchant_status(merchant_id: str, status: str) -> None:
    _update_existing(keys.merchant(merchant_id), "status", status)


def put_credential(login: str, password_hash: str, role: str, merchant_id: str | None, *, now: str,
                   replace: bool = False) -> None:
    _put({**keys.credential(login),
          **to_item({"type": "Credential", "login": login, "passwordHash": password_hash, "role": role,
                     "merchantId": merchant_id, "disabled": False, "updatedAt": now})},
         replace=replace)


def set_disabled(login: str, disabled: bool) -> None:
    _update_existing(keys.credential(login), "disabled", disabled)
