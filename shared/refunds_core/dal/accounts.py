"""Logins (credentials) and merchants, and the counters kept on a merchant."""

from __future__ import annotations

from refunds_core.aws import dynamodb
from refunds_core.dal import keys
from refunds_core.dal.codec import from_item, to_item, values
from refunds_core.dal.transactions import Explain, Guarded
from refunds_core.settings import settings


def get_credential(login: str) -> dict | None:
    """Strongly consistent: a login disabled a moment ago gets no new token."""
    response = dynamodb().get_item(TableName=settings().TABLE_NAME, Key=keys.credential(login), ConsistentRead=True)
    return from_item(response.get("Item"))


def get_login_and_merchant(login: str | None, merchant_id: str | None, *,
                           consistent: bool = False) -> tuple[dict | None, dict | None]:
    """The records a caller's token rests on, in one round trip."""
    return get_with_merchant(keys.credential(login) if login else None, merchant_id, consistent=consistent)


# ------------------------------------------- the caller's account, in a write
#
# Each is a ConditionCheck that joins a write's own transaction, so the write
# commits only if the account is still usable at that moment: no extra round
# trip, and no cache can let a revoked key or a disabled login write. Their
# placeholders start with "acct" so they never clash with the write's own
# when a check is folded into a write of the same item (transactions._folded).

def login_usable(login: str, role: str, merchant_id: str | None, explain: Explain) -> Guarded:
    """The login exists, is enabled, and still has this role and merchant."""
    merchant = ("#acct_merchant = :acct_merchant" if merchant_id is not None
                else "(attribute_not_exists(#acct_merchant) OR attribute_type(#acct_merchant, :acct_null))")
    return Guarded({"ConditionCheck": {
        "TableName": settings().TABLE_NAME, "Key": keys.credential(login),
        "ConditionExpression": ("attribute_exists(PK) AND #acct_disabled = :acct_false AND #acct_role = :acct_role "
                                f"AND {merchant}"),
        "ExpressionAttributeNames": {"#acct_disabled": "disabled", "#acct_role": "role",
                                     "#acct_merchant": "merchantId"},
        "ExpressionAttributeValues": values(acct_false=False, acct_role=role, **(
            {"acct_merchant": merchant_id} if merchant_id is not None else {"acct_null": "NULL"})),
    }}, explain)


def api_key_present(merchant_id: str, key_id: str, explain: Explain) -> Guarded:
    """The merchant's API key has not been revoked (revoking deletes its items)."""
    return Guarded({"ConditionCheck": {
        "TableName": settings().TABLE_NAME, "Key": keys.merchant_api_key(merchant_id, key_id),
        "ConditionExpression": "attribute_exists(PK)",
    }}, explain)


def merchant_active(merchant_id: str, explain: Explain) -> Guarded:
    return Guarded({"ConditionCheck": {
        "TableName": settings().TABLE_NAME, "Key": keys.merchant(merchant_id),
        "ConditionExpression": "#acct_status = :acct_active",
        "ExpressionAttributeNames": {"#acct_status": "status"},
        "ExpressionAttributeValues": values(acct_active="active"),
    }}, explain)


def get_with_merchant(key: dict | None, merchant_id: str | None, *,
                      consistent: bool = False) -> tuple[dict | None, dict | None]:
    """The item at ``key`` (a login, an API key...) and the merchant's item, in
    one BatchGetItem; None for what is missing or not asked for. ``consistent``:
    a strongly consistent read, which sees a revocation that has just answered."""
    wanted = [k for k in (key, keys.merchant(merchant_id) if merchant_id else None) if k is not None]
    if not wanted:
        return None, None
    table = settings().TABLE_NAME
    request = {table: {"Keys": wanted, "ConsistentRead": consistent}}
    found: list[dict] = []
    while request:  # BatchGetItem may leave keys unprocessed under load
        response = dynamodb().batch_get_item(RequestItems=request)
        found += response.get("Responses", {}).get(table, [])
        request = response.get("UnprocessedKeys") or None
    # By PK and SK: a merchant's API key shares its partition with the merchant.
    by_key = {(item["PK"]["S"], item["SK"]["S"]): from_item(item) for item in found}

    def record(wanted_key: dict | None) -> dict | None:
        return by_key.get((wanted_key["PK"]["S"], wanted_key["SK"]["S"])) if wanted_key else None

    return record(key), record(keys.merchant(merchant_id) if merchant_id else None)


# ------------------------------------------------- counters on the merchant

def count_one_more(merchant_id: str, counter: str, limit: int, refusal: Exception) -> Guarded:
    """The transaction item that counts one more of something the merchant
    owns (``webhookCount``, ``apiKeyCount``) on its merchant item, on the
    condition that it has fewer than ``limit``: written with the thing itself,
    so concurrent creations never exceed the limit. A cancellation on it is
    ``refusal`` when the merchant is at the limit; otherwise it was contention
    (or the merchant was removed meanwhile), which the caller retries."""

    def explain(merchant: dict | None) -> Exception | None:
        return refusal if merchant is not None and int(merchant.get(counter, 0)) >= limit else None

    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.merchant(merchant_id),
        "UpdateExpression": "SET #counter = if_not_exists(#counter, :zero) + :one",
        "ConditionExpression": "attribute_exists(PK) AND (attribute_not_exists(#counter) OR #counter < :limit)",
        "ExpressionAttributeNames": {"#counter": counter},
        "ExpressionAttributeValues": values(zero=0, one=1, limit=limit),
    }}, explain)


def count_one_less(merchant_id: str, counter: str, explain: Explain) -> Guarded:
    """The transaction item that counts one less (never below zero)."""
    return Guarded({"Update": {
        "TableName": settings().TABLE_NAME, "Key": keys.merchant(merchant_id),
        "UpdateExpression": "SET #counter = #counter - :one",
        "ConditionExpression": "#counter > :zero",
        "ExpressionAttributeNames": {"#counter": counter},
        "ExpressionAttributeValues": values(zero=0, one=1),
    }}, explain)


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


def put_merchant(merchant_id: str, name: str, *, now: str, contact_email: str | None = None,
                 replace: bool = False) -> None:
    _put({**keys.merchant(merchant_id),
          **to_item({"type": "Merchant", "id": merchant_id, "name": name, "status": "active",
                     "contactEmail": contact_email, "updatedAt": now})},
         replace=replace)


def set_contact_email(merchant_id: str, email: str, *, only_if_none: bool = False) -> bool:
    """Set the merchant's contact email for refund requests. NotCreated: no
    such merchant. With ``only_if_none``, an email it has already is kept
    (False), and so is a missing merchant (False)."""
    if not only_if_none:
        _update_existing(keys.merchant(merchant_id), "contactEmail", email)
        return True
    try:
        dynamodb().update_item(
            TableName=settings().TABLE_NAME, Key=keys.merchant(merchant_id), UpdateExpression="SET #a = :v",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(#a)",
            ExpressionAttributeNames={"#a": "contactEmail"}, ExpressionAttributeValues=values(v=email),
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


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
