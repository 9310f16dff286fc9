"""Primary keys and index keys of every item type (docs/data-model.md).

Orders, refunds, webhook endpoints, their delivery attempts and events have a
mode, live or test (``modes``): every partition of theirs, in the table and in
its indexes, is built by ``_moded``, which marks a test partition after its
first segment (``ORDER#@test#<id>``, ``STATUS#@test#REQUESTED``). A key or a
query built in one mode can never name the other's items. The mark cannot be
part of an id (identifiers start with a letter or digit and never hold
``#``), and it keeps each partition's leading word, so the IAM policies'
``dynamodb:LeadingKeys`` patterns (``ORDER#*``) cover both modes, and a
test-only function can be granted ``ORDER#@test#*`` alone. Live partitions
are unchanged: the items stored before test mode existed are live.

Logins, merchants, API keys and store connections are the account's, shared
by both modes: their keys have no mode.
"""

from __future__ import annotations

from refunds_core import modes, refund_ids, statuses
from refunds_core.modes import Mode

TEST_MARK = "@test"


def _key(pk: str, sk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _moded(partition: str) -> str:
    """``partition`` in the mode being handled (see the module)."""
    if modes.current() is Mode.LIVE:
        return partition
    kind, _, rest = partition.partition("#")
    return f"{kind}#{TEST_MARK}#{rest}"


def leading_test_keys(kind: str) -> str:
    """An IAM ``LeadingKeys`` pattern for the test-mode partitions of one kind
    (``ORDER`` -> ``ORDER#@test#*``): what a test-only function may touch."""
    return f"{kind}#{TEST_MARK}#*"


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


def merchant_connection(merchant_id: str, connection_id: str) -> dict:
    """A store connection, in a partition of its merchant's connections only:
    naming one is one key lookup under the caller's own merchant, one Query
    lists them, and the functions that read them may read nothing else of the
    merchant's (IAM's LeadingKeys ``MERCHANT#*#CONNECTIONS``)."""
    return _key(f"MERCHANT#{merchant_id}#CONNECTIONS", f"CONNECTION#{connection_id}")


def order(order_id: str) -> dict:
    return _key(_moded(f"ORDER#{order_id}"), "ORDER")


def refund(refund_id: str) -> dict:
    return _key(_moded(f"REFUND#{refund_id}"), "REFUND")


# ------------------------------------------------------------- indexes
#
# Each refund index (template.yaml declares them) sorts by refund id, a ULID,
# so by creation time. Its partition key values are built here only: the
# refund's writes (``refund_indexes``) and the queries (``refund_queries``)
# take them from the same functions, so the two cannot drift apart.

# index name -> (partition key attribute, sort key attribute)
INDEXES = {
    "ByMerchant": ("GSI1PK", "GSI1SK"),
    "ByMerchantStatus": ("GSI2PK", "GSI2SK"),
    "ByOrder": ("GSI3PK", "GSI3SK"),
    "ByMerchantValidity": ("GSI4PK", "GSI4SK"),
    "ByCustomer": ("GSI5PK", "GSI5SK"),
    "ByStatus": ("GSI6PK", "GSI6SK"),
    "ByMerchantBatch": ("GSI7PK", "GSI7SK"),
}


def by_merchant(merchant_id: str) -> str:
    return _moded(f"MERCHANT#{merchant_id}")


def by_merchant_status(merchant_id: str, status: str) -> str:
    return _moded(f"MERCHANT#{merchant_id}#STATUS#{status}")


def by_order(order_id: str) -> str:
    return _moded(f"ORDER#{order_id}")


def by_merchant_validity(merchant_id: str, valid: bool) -> str:
    return _moded(f"MERCHANT#{merchant_id}#VALID#{str(valid).lower()}")


def by_customer(merchant_id: str, customer_id: str) -> str:
    return _moded(f"MERCHANT#{merchant_id}#CUSTOMER#{customer_id}")


def by_status(status: str) -> str:
    return _moded(f"STATUS#{status}")


def by_merchant_batch(merchant_id: str, batch_id: str) -> str:
    return _moded(f"MERCHANT#{merchant_id}#BATCH#{batch_id}")


def created_between(first_ms: int | None, last_ms: int | None) -> tuple[str, str]:
    """The sort key bounds (both inclusive) of an index's refunds created from
    millisecond ``first_ms`` to ``last_ms`` (None: unbounded): every refund
    index sorts by the refund id, a ULID whose head is its creation millisecond."""
    return (refund_ids.first_id_at(0 if first_ms is None else first_ms),
            refund_ids.last_id_at(2**48 - 1 if last_ms is None else last_ms))


def _index(name: str, partition: str, refund_id: str) -> dict:
    partition_attribute, sort_attribute = INDEXES[name]
    return {partition_attribute: partition, sort_attribute: refund_id}


def refund_indexes(refund: dict) -> dict:
    """Every index attribute of a refund item (docs/data-model.md lists the indexes)."""
    merchant_id, refund_id = refund["merchantId"], refund["id"]
    indexes = {**_index("ByMerchant", by_merchant(merchant_id), refund_id),
               **_index("ByOrder", by_order(refund["orderId"]), refund_id),
               **{sort: refund_id for sort in (INDEXES[name][1] for name in _STATUS_INDEXES)},
               **status_indexes(merchant_id, refund["status"])}
    if refund.get("customerId"):  # ByCustomer is sparse: orders without a customer stay out
        indexes |= _index("ByCustomer", by_customer(merchant_id, refund["customerId"]), refund_id)
    if refund.get("batchId"):  # ByMerchantBatch is sparse: refunds without a batch stay out
        indexes |= _index("ByMerchantBatch", by_merchant_batch(merchant_id, refund["batchId"]), refund_id)
    return indexes


# The indexes whose partition follows the refund's status.
_STATUS_INDEXES = ("ByMerchantStatus", "ByMerchantValidity", "ByStatus")


def status_indexes(merchant_id: str, status: str) -> dict:
    """The index keys that move when the status does (a transition SETs them)."""
    partitions = (by_merchant_status(merchant_id, status),
                  by_merchant_validity(merchant_id, statuses.is_valid(status)), by_status(status))
    return {INDEXES[name][0]: partition for name, partition in zip(_STATUS_INDEXES, partitions, strict=True)}


# ------------------------------------------------------------- webhooks

def endpoints_partition(merchant_id: str) -> str:
    """A merchant's live endpoints share its own partition (with its item and
    its API keys); its test endpoints have the test one."""
    return _moded(f"MERCHANT#{merchant_id}")


WEBHOOK_PREFIX, ATTEMPT_PREFIX = "WEBHOOK#", "ATTEMPT#"


def webhook_endpoint(merchant_id: str, webhook_id: str) -> dict:
    """An endpoint lives in its merchant's partition: one Query lists them."""
    return _key(endpoints_partition(merchant_id), f"{WEBHOOK_PREFIX}{webhook_id}")


def attempts_partition(webhook_id: str) -> str:
    return _moded(f"WEBHOOK#{webhook_id}")


def webhook_attempt(webhook_id: str, attempt_id: str) -> dict:
    """An endpoint's delivery attempts, sorted by attempt id (a ULID: by time)."""
    return _key(attempts_partition(webhook_id), f"{ATTEMPT_PREFIX}{attempt_id}")


# The table's eighth index is sparse and overloaded: a refund's delivery
# attempts (REFUND#<refundId>, only attempts that know the refund their event
# is about) and a merchant's kept events by type
# (EVENTS#<merchantId>#TYPE#<type>), each sorted by its ULID, so by time. It
# keeps the name it was deployed with, DeliveriesByRefund, though it now holds
# the events by type too: CloudFormation creates or deletes one index per
# table update, and a rename is both.
ACTIVITY_INDEX = ("DeliveriesByRefund", "GSI8PK", "GSI8SK")
ATTEMPT_INDEXES = {"DeliveriesByRefund": ACTIVITY_INDEX[1:]}


def by_refund_deliveries(refund_id: str) -> str:
    return _moded(f"REFUND#{refund_id}")


def refund_delivery_index(refund_id: str, attempt_id: str) -> dict:
    """The index attributes that put an attempt among its refund's, sorted by
    attempt id (a ULID: by time, across the merchant's endpoints)."""
    partition_attribute, sort_attribute = ATTEMPT_INDEXES["DeliveriesByRefund"]
    return {partition_attribute: by_refund_deliveries(refund_id), sort_attribute: attempt_id}


# --------------------------------------------------------------- events
#
# A merchant's events, kept 30 days: the partition sorts them by id (a ULID:
# by time). Each is also in two index partitions sorted by event id, so a
# time range is a key condition there too: its type's, in DeliveriesByRefund (above),
# and a refund event in its refund's, in ByOrder (index overloading: the index
# that holds an order's refunds holds a refund's events too, under partitions
# of their own).

def events_partition(merchant_id: str) -> str:
    return _moded(f"EVENTS#{merchant_id}")


def event(merchant_id: str, event_id: str) -> dict:
    return _key(events_partition(merchant_id), event_id)


# what an event is listed by -> (index, its partition key attribute, its sort key attribute)
EVENT_INDEXES = {"type": ACTIVITY_INDEX, "refund": ("ByOrder", *INDEXES["ByOrder"])}


def events_by_type(merchant_id: str, event_type: str) -> str:
    return _moded(f"EVENTS#{merchant_id}#TYPE#{event_type}")


def events_by_refund(merchant_id: str, refund_id: str) -> str:
    return _moded(f"EVENTS#{merchant_id}#REFUND#{refund_id}")


def event_indexes(event: dict) -> dict:
    """The index attributes of a kept event: by type always, by refund when it is a refund's."""
    _, partition, sort = EVENT_INDEXES["type"]
    indexes = {partition: events_by_type(event["merchantId"], event["eventType"]), sort: event["eventId"]}
    if event.get("refundId"):
        _, partition, sort = EVENT_INDEXES["refund"]
        indexes |= {partition: events_by_refund(event["merchantId"], event["refundId"]), sort: event["eventId"]}
    return indexes
