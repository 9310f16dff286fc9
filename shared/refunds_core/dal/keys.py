"""Primary keys and index keys of every item type (docs/data-model.md)."""

from __future__ import annotations

from refunds_core import statuses


def _key(pk: str, sk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def credential(login: str) -> dict:
    return _key(f"LOGIN#{login}", "CREDENTIAL")


def merchant(merchant_id: str) -> dict:
    return _key(f"MERCHANT#{merchant_id}", "MERCHANT")


def api_key(digest: str) -> dict:
    """An API key's lookup item, by the SHA-256 (hex) of the key: authenticating is one key lookup."""
    return _key(f"APIKEY#{digest}", "APIKEY")


def merchant_api_key(merchant_id: str, key_id: str) -> dict:
    """An API key in its merchant's partition (no key, only its hash): one Query lists them."""
    return _key(f"MERCHANT#{merchant_id}", f"APIKEY#{key_id}")


def order(order_id: str) -> dict:
    return _key(f"ORDER#{order_id}", "ORDER")


def refund(refund_id: str) -> dict:
    return _key(f"REFUND#{refund_id}", "REFUND")


def refund_indexes(refund: dict) -> dict:
    """Every index attribute of a refund item. Each index sorts by refund id, a
    ULID, so by creation time. docs/data-model.md lists the indexes."""
    merchant_id, refund_id = refund["merchantId"], refund["id"]
    indexes = {
        "GSI1PK": f"MERCHANT#{merchant_id}", "GSI1SK": refund_id,  # ByMerchant
        "GSI3PK": f"ORDER#{refund['orderId']}", "GSI3SK": refund_id,  # ByOrder
        "GSI2SK": refund_id, "GSI4SK": refund_id, "GSI6SK": refund_id,
        **status_indexes(merchant_id, refund["status"]),
    }
    if refund.get("customerId"):  # ByCustomer is sparse: orders without a customer stay out
        indexes |= {"GSI5PK": f"MERCHANT#{merchant_id}#CUSTOMER#{refund['customerId']}", "GSI5SK": refund_id}
    if refund.get("batchId"):  # ByMerchantBatch is sparse: refunds without a batch stay out
        indexes |= {"GSI7PK": f"MERCHANT#{merchant_id}#BATCH#{refund['batchId']}", "GSI7SK": refund_id}
    return indexes


def status_indexes(merchant_id: str, status: str) -> dict:
    """The index keys that move when the status does (a transition SETs them)."""
    return {
        "GSI2PK": f"MERCHANT#{merchant_id}#STATUS#{status}",                        # ByMerchantStatus
        "GSI4PK": f"MERCHANT#{merchant_id}#VALID#{str(statuses.is_valid(status)).lower()}",  # ByMerchantValidity
        "GSI6PK": f"STATUS#{status}",                                               # ByStatus (support, all merchants)
    }


# ------------------------------------------------------------- webhooks

def webhook_endpoint(merchant_id: str, webhook_id: str) -> dict:
    """An endpoint lives in its merchant's partition: one Query lists them."""
    return _key(f"MERCHANT#{merchant_id}", f"WEBHOOK#{webhook_id}")


def webhook_event(merchant_id: str, event_id: str) -> dict:
    """A merchant's events, sorted by id (a ULID: by time), kept 30 days for replay."""
    return _key(f"EVENTS#{merchant_id}", event_id)


def webhook_attempt(webhook_id: str, attempt_id: str) -> dict:
    """An endpoint's delivery attempts, sorted by attempt id (a ULID: by time)."""
    return _key(f"WEBHOOK#{webhook_id}", f"ATTEMPT#{attempt_id}")
