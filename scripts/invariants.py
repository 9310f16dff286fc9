"""The invariants no fault and no load may break, checked on the table itself.

For each order named (one GetItem, one Query of its refunds on the ByOrder
index) and each of their merchants (one Query of the events kept for replay,
``EVENTS#<merchant>``):

1. at most one open request (REQUESTED, WAITING, PROCESSING) per order, and
   the order's lock (``openRefundId``) names exactly that request: the lock
   and the open refund are both there or both absent;
2. nothing refunded beyond what was paid: the order's refund counters add up
   to exactly the ISSUED refunds' amounts, and to no more than its total;
3. every ISSUED refund has exactly one ``refund.issued`` event, and no other
   refund has one (events are delivered at least once with the same id: one
   event id, however many copies).

Events travel asynchronously (stream -> publisher -> SNS -> dispatcher):
check them once the event path is drained (``runtime.events.drain()``), or
with ``wait_until_hold`` against a server you cannot drain. No Scan: every
read is a Query or a GetItem of a known key. The tests and ``scripts/load_test.py``
share this module; it reads the table with plain boto3, independently of the
code it checks.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer

OPEN = {"REQUESTED", "WAITING", "PROCESSING"}
_deserialize = TypeDeserializer().deserialize


@dataclass
class Report:
    orders: int = 0
    refunds: int = 0
    issued: int = 0
    issued_events: int = 0
    statuses: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _plain(item: dict | None) -> dict | None:
    return {k: _deserialize(v) for k, v in item.items()} if item else None


def _query_all(dynamodb, **request) -> list[dict]:
    items, start = [], None
    while True:
        page = dynamodb.query(**request, **({"ExclusiveStartKey": start} if start else {}))
        items.extend(_plain(item) for item in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def refunded_total(counters: dict | None) -> Decimal:
    """What the order's counters say ISSUED refunds returned, tax included."""
    if not counters:
        return Decimal(0)
    lines = sum((Decimal(line["amount"]) + Decimal(line["tax"]) for line in counters.get("lines", {}).values()),
                Decimal(0))
    shipping = counters.get("shipping") or {}
    return (lines + Decimal(shipping.get("amount", 0)) + Decimal(shipping.get("tax", 0))
            + Decimal(counters.get("amountOnly", 0)))


def check(dynamodb, table: str, order_ids: Iterable[str], *, events: bool = True) -> Report:
    """The invariants over these orders, their refunds and (``events``) their merchants' events."""
    report = Report()
    issued_by_merchant: dict[str, set[str]] = {}
    others_by_merchant: dict[str, set[str]] = {}
    for order_id in sorted(set(order_ids)):
        order = _plain(dynamodb.get_item(TableName=table, Key={"PK": {"S": f"ORDER#{order_id}"},
                                                               "SK": {"S": "ORDER"}},
                                         ConsistentRead=True).get("Item"))
        refunds = _query_all(dynamodb, TableName=table, IndexName="ByOrder",
                             KeyConditionExpression="GSI3PK = :pk",
                             ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}})
        if order is None:
            if refunds:
                report.violations.append(f"order {order_id}: missing, yet {len(refunds)} refunds name it")
            continue
        report.orders += 1
        report.refunds += len(refunds)
        _check_order(order, refunds, report)
        merchant = order["merchantId"]
        for refund in refunds:
            target = issued_by_merchant if refund["status"] == "ISSUED" else others_by_merchant
            target.setdefault(merchant, set()).add(refund["id"])
    if events:
        for merchant in sorted(set(issued_by_merchant) | set(others_by_merchant)):
            _check_events(dynamodb, table, merchant, issued_by_merchant.get(merchant, set()),
                          others_by_merchant.get(merchant, set()), report)
    return report


def _check_order(order: dict, refunds: list[dict], report: Report) -> None:
    order_id = order["id"]
    report.statuses.update(refund["status"] for refund in refunds)
    open_ids = [refund["id"] for refund in refunds if refund["status"] in OPEN]
    lock = order.get("openRefundId")
    if len(open_ids) > 1:
        report.violations.append(f"order {order_id}: {len(open_ids)} open requests {open_ids}")
    if lock is None and open_ids:
        report.violations.append(f"order {order_id}: open request {open_ids} without the order's lock")
    if lock is not None and lock not in open_ids:
        report.violations.append(f"order {order_id}: lock held by {lock}, which is not an open request of it")
    issued = [refund for refund in refunds if refund["status"] == "ISSUED"]
    report.issued += len(issued)
    paid_back = sum((Decimal(refund["amount"]) for refund in issued), Decimal(0))
    counted = refunded_total(order.get("refunded"))
    total = Decimal(order["totals"]["total"])
    if counted != paid_back:
        report.violations.append(f"order {order_id}: counters say {counted} refunded, ISSUED refunds add up to "
                                 f"{paid_back}")
    if paid_back > total:
        report.violations.append(f"order {order_id}: {paid_back} refunded of a {total} order")


def _check_events(dynamodb, table: str, merchant: str, issued: set[str], others: set[str], report: Report) -> None:
    stored = _query_all(dynamodb, TableName=table, KeyConditionExpression="PK = :pk",
                        ExpressionAttributeValues={":pk": {"S": f"EVENTS#{merchant}"}})
    issued_events: dict[str, set[str]] = {}
    for event in stored:
        if event.get("eventType") == "refund.issued":
            refund_id = json.loads(event["body"])["data"]["id"]
            issued_events.setdefault(refund_id, set()).add(event["eventId"])
    for refund_id in sorted(issued):
        found = issued_events.get(refund_id, set())
        report.issued_events += len(found)
        if len(found) != 1:
            report.violations.append(f"refund {refund_id} (merchant {merchant}): ISSUED with {len(found)} "
                                     f"refund.issued events {sorted(found)}")
    for refund_id in sorted(others & set(issued_events)):
        report.violations.append(f"refund {refund_id} (merchant {merchant}): not ISSUED, yet has a refund.issued "
                                 "event")


def wait_until_hold(run_check: Callable[[], Report], timeout: float = 60.0, interval: float = 0.5) -> Report:
    """Checks again until the invariants hold or ``timeout`` passes (events may
    still be on their way); the last report either way."""
    deadline = time.monotonic() + timeout
    while True:
        report = run_check()
        if report.ok or time.monotonic() >= deadline:
            return report
        time.sleep(interval)
