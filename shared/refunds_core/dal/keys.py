"""Primary keys and index keys of every item type (docs/data-model.md)."""

from __future__ import annotations


def _key(pk: str, sk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def credential(login: str) -> dict:
    return _key(f"LOGIN#{login}", "CREDENTIAL")


def merchant(merchant_id: str) -> dict:
    return _key(f"MERCHANT#{merchant_id}", "MERCHANT")


def order(order_id: str) -> dict:
    return _key(f"ORDER#{order_id}", "ORDER")


def refund(refund_id: str) -> dict:
    return _key(f"REFUND#{refund_id}", "REFUND")


def refund_indexes(merchant_id: str, order_id: str, status: str, refund_id: str) -> dict:
    """Index attributes of a refund item. Refund ids are ULIDs, so sorting by id
    is sorting by creation time."""
    return {
        "GSI1PK": f"MERCHANT#{merchant_id}", "GSI1SK": refund_id,                 # ByMerchant
        "GSI2PK": f"MERCHANT#{merchant_id}#STATUS#{status}", "GSI2SK": refund_id,  # ByMerchantStatus
        "GSI3PK": f"ORDER#{order_id}", "GSI3SK": refund_id,                       # ByOrder
    }
