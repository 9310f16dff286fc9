"""Measure what one create-refund request and one read store, write, read and log:
the inputs of docs/cost.md.

Starts one local runtime (``LocalRuntime(ROOT, port=0)``, as the tests'
``runtime`` fixture does: moto on loopback, the template's resources, the
seeded accounts, every function in its own worker), then through the API:
an order (PUT /v1/orders/{id}), a refund on it (POST /v1/order/{id}/refund,
once without and once with an Idempotency-Key), GET /v1/refunds/{id} and a
page of GET /v1/refunds. Each measured request is the second of its kind, on
a warm worker; the first one warms it up.

It then reads back the items those requests wrote and sizes them by
DynamoDB's rules (docs.aws.amazon.com/amazondynamodb/latest/developerguide/
CapacityUnitCalculations.html): attribute name bytes + value bytes; a number
is 1 byte per two significant digits + 1; null and boolean 1 byte; a list or
map 3 bytes + its elements, each element 1 byte more; a map's keys count as
names. From the sizes it derives the request units of each operation, the GSI
entries a refund writes (the template's indexes, projection ALL) and the
storage per refund. It also sizes the log lines the functions printed for each
request and the event messages (SNS, SQS).

    .venv/bin/python scripts/item_sizes.py          # a table, then the JSON
    .venv/bin/python scripts/item_sizes.py --json   # only the JSON

Local only: it never reaches AWS (the runtime's embedded moto, dummy credentials).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# As tests/conftest.py: nothing real is reachable, whatever the shell holds.
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",  # noqa: S105
                   "AWS_DEFAULT_REGION": "us-east-1"})
for _name in [n for n in os.environ if n.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"))]:
    del os.environ[_name]
os.environ.pop("STACK_NAME", None)

PASSWORDS = {"demo": "demo-secret", "orders-service": "orders-secret"}
INDEXES = {  # GSI name -> its partition key attribute (template.yaml, RefundsTable)
    "ByMerchant": "GSI1PK", "ByMerchantStatus": "GSI2PK", "ByOrder": "GSI3PK", "ByMerchantValidity": "GSI4PK",
    "ByCustomer": "GSI5PK", "ByStatus": "GSI6PK", "ByMerchantBatch": "GSI7PK"}
# A kept event's indexes (dal/keys.py EVENT_INDEXES): by type, and its refund's partition of ByOrder.
EVENT_INDEXES = {"type": ("DeliveriesByRefund", "GSI8PK", "GSI8SK"), "refund": ("ByOrder", "GSI3PK", "GSI3SK")}
# The runtime's own lines: the gateway's access line, an event source's batch line.
_ACCESS = re.compile(r"^(?:GET|POST|PUT|PATCH|DELETE) \S+ \d{3} (\d+)ms (\w+) (cold|warm)")
_BATCH = re.compile(r"^\[event-source [^\]]+\] \d+ record\(s\) -> (\w+) \w+ (\d+)ms(?: \((cold)\))?")
STORAGE_OVERHEAD = 100  # bytes DynamoDB adds to every item, in the table and in each index, for storage


# ------------------------------------------------------------ item sizes

def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0]
    significant = digits.strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1


def value_size(value: dict) -> int:
    """The size of one attribute value in DynamoDB's JSON form ({"S": ...})."""
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(n) for n in data)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def wru(size: int) -> int:
    """Write request units of one standard write of an item of this size (1 KB each)."""
    return max(1, math.ceil(size / 1024))


def rru_strong(size: int) -> int:
    """Read request units of one strongly consistent read (4 KB each)."""
    return max(1, math.ceil(size / 4096))


# ------------------------------------------------------------------ logs

class LogTap:
    """Tees the runtime's stderr (each worker's lines arrive as "[LogicalId] ...")
    and counts the bytes each function printed since the last mark."""

    def __init__(self, stream):
        self.stream, self.lines, self._lock = stream, [], threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.lines.extend(line for line in text.splitlines() if line)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)

    def since(self, mark: int) -> dict[str, dict]:
        """Per function: log events and bytes printed after ``mark`` (without the "[LogicalId] " prefix)."""
        with self._lock:
            lines = self.lines[mark:]
        per: dict[str, dict] = {}
        for line in lines:
            if (match := _ACCESS.match(line) or _BATCH.match(line)) is not None:
                ms, function, cold = (match.group(1), match.group(2), match.group(3)) if match.re is _ACCESS \
                    else (match.group(2), match.group(1), match.group(3))
                entry = per.setdefault(function, {"events": 0, "bytes": 0, "lines": []})
                entry.setdefault("local_ms", []).append(f"{ms}{' cold' if cold == 'cold' else ''}")
                continue
            if not line.startswith("[") or "] " not in line:
                continue
            function, text = line[1:].split("] ", 1)
            if " " in function:  # the runtime's own lines ("[event-source ...] ..."), not a function's
                continue
            entry = per.setdefault(function, {"events": 0, "bytes": 0, "lines": []})
            entry["events"] += 1
            entry["bytes"] += len(text.encode()) + 1  # the newline Lambda keeps
            entry["lines"].append(text[:160])
        return per


# ------------------------------------------------------------------- API

class Api:
    def __init__(self, base_url: str):
        self.base_url, self.tokens = base_url, {}

    def call(self, method: str, path: str, body=None, login: str | None = None,
             headers: dict | None = None) -> tuple[int, dict | None, int]:
        all_headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        if login:
            all_headers["Authorization"] = f"Bearer {self.token(login)}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method,  # noqa: S310 - loopback
                                         headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        answer = json.loads(payload) if payload else None
        if isinstance(answer, dict) and isinstance(answer.get("data"), dict):
            answer = answer["data"]  # {"data": {...}}: the resource itself
        return status, answer, len(payload)

    def token(self, login: str) -> str:
        if login not in self.tokens:
            status, body, _ = self.call("POST", "/v1/auth/token", {"login": login, "password": PASSWORDS[login]})
            if status != 200:
                raise RuntimeError(f"token for {login}: {status} {body}")
            self.tokens[login] = body["token"]
        return self.tokens[login]


def sample_order(lines: int) -> dict:
    """tests/conftest.py's sample order (the issue's example), with ``lines`` line items."""
    return {"merchantId": "demo", "number": "SO-1001", "status": "paid", "currency": "USD", "customerId": "cust-1",
            "lineItems": [{"itemId": f"sku-{i + 1}", "name": "Widget", "quantity": 2, "unitPrice": "25.00",
                           "discount": "5.00", "tax": "4.50"} for i in range(lines)],
            "shipping": {"price": "10.00", "tax": "0.00"}}


REFUND_BODY = {"description": "Wrong product", "email": "merchant@example.com"}  # events/create_refund.json


def _check(status: int, body, what: str, expected: int = 200) -> None:
    if status != expected:
        raise RuntimeError(f"{what}: {status} {body}")


# --------------------------------------------------------------- measure

def measure(lines: int = 1) -> dict:
    import boto3

    from localrun.runtime import LocalRuntime

    tap = LogTap(sys.stderr)
    sys.stderr = tap
    try:
        with LocalRuntime(ROOT, port=0, throttling=False) as runtime:
            return _measure(runtime, Api(runtime.url), tap, boto3.client(
                "dynamodb", endpoint_url=runtime.aws_endpoint, region_name="us-east-1",
                aws_access_key_id="testing", aws_secret_access_key="testing"), lines)  # noqa: S106
    finally:
        sys.stderr = tap.stream


def _settle(runtime, seconds: float = 0.5) -> None:
    """The event path drained and the workers' last log lines forwarded."""
    runtime.events.drain(timeout=60)
    time.sleep(seconds)


def _measure(runtime, api: Api, tap: LogTap, ddb, lines: int) -> dict:
    table, idempotency_table = runtime.physical_ids["RefundsTable"], runtime.physical_ids["IdempotencyTable"]

    def get(pk: str, sk: str, name: str = table) -> dict:
        return ddb.get_item(TableName=name, Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True)["Item"]

    def new_order(n: int = lines) -> str:
        order_id = f"o-{uuid.uuid4().hex[:12]}"
        status, body, _ = api.call("PUT", f"/v1/orders/{order_id}", sample_order(n), login="orders-service")
        _check(status, body, "put order")
        return order_id

    api.token("demo")
    # Warm-up: one of each request on fresh workers (cold starts, caches filled), not measured.
    warm_order = new_order()
    status, body, _ = api.call("POST", f"/v1/order/{warm_order}/refund", REFUND_BODY, login="demo")
    _check(status, body, "warm-up create")
    api.call("GET", f"/v1/refunds/{body['id']}", login="demo")
    api.call("GET", "/v1/refunds?limit=20", login="demo")
    _settle(runtime)

    order_id = new_order()
    order_before = get(f"ORDER#{order_id}", "ORDER")
    mark = tap.mark()
    status, created, create_bytes = api.call("POST", f"/v1/order/{order_id}/refund", REFUND_BODY, login="demo")
    _check(status, created, "create")
    _settle(runtime)
    create_logs = tap.since(mark)
    refund_id = created["id"]
    order_after = get(f"ORDER#{order_id}", "ORDER")
    refund = get(f"REFUND#{refund_id}", "REFUND")
    # The event kept with the refund (the create's transaction): the newest of the merchant's partition.
    events = ddb.query(TableName=table, KeyConditionExpression="PK = :pk", ScanIndexForward=False, Limit=10,
                       ExpressionAttributeValues={":pk": {"S": "EVENTS#demo"}})["Items"]
    event_item = next(item for item in events if refund_id in item["body"]["S"])
    credential, merchant = get("LOGIN#demo", "CREDENTIAL"), get("MERCHANT#demo", "MERCHANT")

    # The same create with an Idempotency-Key (a fresh order): its record, and its log lines.
    idem_order = new_order()
    mark = tap.mark()
    key = f"k-{uuid.uuid4().hex}"
    status, idem_created, _ = api.call("POST", f"/v1/order/{idem_order}/refund", REFUND_BODY, login="demo",
                                       headers={"Idempotency-Key": key})
    _check(status, idem_created, "create with Idempotency-Key")
    _settle(runtime)
    idem_logs = tap.since(mark)
    # A local-only read of the local IdempotencyTable, which holds only this run's records
    # (the record's key is a hash this script does not recompute). The API never scans.
    records = ddb.scan(TableName=idempotency_table)["Items"]
    record = next(item for item in records if idem_created["id"] in json.dumps(item))

    # Reads: one refund, one page of the merchant's newest 20.
    mark = tap.mark()
    status, body, get_bytes = api.call("GET", f"/v1/refunds/{refund_id}", login="demo")
    _check(status, body, "get")
    time.sleep(0.5)
    get_logs = tap.since(mark)
    for n in range(20):  # at least 20 refunds of demo, so the page is full; the first one with a batchId
        status, body, _ = api.call("POST", f"/v1/order/{new_order()}/refund",
                                   {**REFUND_BODY, "batchId": "batch-2026-11"} if n == 0 else REFUND_BODY, login="demo")
        _check(status, body, "fill")
        if n == 0:
            batch_refund = get(f"REFUND#{body['id']}", "REFUND")
    _settle(runtime)
    mark = tap.mark()
    status, page, list_bytes = api.call("GET", "/v1/refunds?limit=20", login="demo")
    _check(status, page, "list")
    time.sleep(0.5)
    list_logs = tap.since(mark)
    page_ids = [r["id"] for r in page["data"]]
    page_sizes = [item_size(get(f"REFUND#{rid}", "REFUND")) for rid in page_ids]

    # Line items: the order's size with 5 lines, to give the growth per line.
    order5 = get(f"ORDER#{new_order(5)}", "ORDER")

    return report(order_before=order_before, order_after=order_after, refund=refund, event_item=event_item,
                  record=record, credential=credential, merchant=merchant, order5=order5, lines=lines,
                  batch_refund=batch_refund,
                  page_sizes=page_sizes, responses={"create": create_bytes, "get": get_bytes, "list": list_bytes},
                  logs={"create": create_logs, "create_idempotent": idem_logs, "get": get_logs, "list": list_logs})


def _attr_sizes(item: dict) -> dict:
    return dict(sorted(((name, len(name.encode()) + value_size(value)) for name, value in item.items()),
                       key=lambda pair: -pair[1]))


def report(*, order_before, order_after, refund, event_item, record, credential, merchant, order5, lines,
           batch_refund, page_sizes, responses, logs) -> dict:
    sizes = {"order_before_lock": item_size(order_before), "order_after_lock": item_size(order_after),
             "refund": item_size(refund), "event_kept_for_replay": item_size(event_item),
             "idempotency_record": item_size(record), "credential": item_size(credential),
             "merchant": item_size(merchant), f"order_{lines}_line(s)": item_size(order_before),
             "order_5_lines": item_size(order5), "refund_with_batchId": item_size(batch_refund)}
    indexes = [name for name, pk in INDEXES.items() if pk in refund]
    event_indexes = [name for name, pk, _ in EVENT_INDEXES.values() if pk in event_item]
    refund_size, order_write = sizes["refund"], max(sizes["order_before_lock"], sizes["order_after_lock"])
    event_body = event_item["body"]["S"]
    create_units = {
        "GetItem order (strong)": {"rru": rru_strong(sizes["order_before_lock"])},
        "TransactWriteItems: Update order (2x)": {"wru": 2 * wru(order_write)},
        "TransactWriteItems: Put refund (2x)": {"wru": 2 * wru(refund_size)},
        f"GSI entries ({len(indexes)}: {', '.join(indexes)})": {"wru": len(indexes) * wru(refund_size)},
        "TransactWriteItems: Put its event (2x)": {"wru": 2 * wru(sizes["event_kept_for_replay"])},
        f"event's GSI entries ({len(event_indexes)}: {', '.join(event_indexes)})": {
            "wru": len(event_indexes) * wru(sizes["event_kept_for_replay"])},
    }
    page_bytes = sum(page_sizes)
    out = {
        "item_bytes": sizes,
        "order_bytes_per_extra_line_item": round((sizes["order_5_lines"] - sizes["order_before_lock"]) / 4, 1)
        if lines == 1 else None,
        "refund_attribute_bytes": _attr_sizes(refund),
        "order_attribute_bytes": _attr_sizes(order_after),
        "refund_indexes": indexes,
        "refund_with_batchId_indexes": [name for name, pk in INDEXES.items() if pk in batch_refund],
        "create_request_units": create_units,
        "create_wru_total": sum(u.get("wru", 0) for u in create_units.values()),
        "create_rru_total": sum(u.get("rru", 0) for u in create_units.values()),
        "idempotency_record_wru": {"PutItem in progress": 1,
                                   "UpdateItem with the answer": wru(sizes["idempotency_record"])},
        "get_rru": rru_strong(refund_size),
        "list_page": {"items": len(page_sizes), "bytes": page_bytes,
                      "rru_eventually_consistent": max(1, math.ceil(page_bytes / 4096)) / 2},
        "auth_refresh_rru": 0.5 * 2,  # BatchGetItem credential + merchant, eventually consistent, < 4 KB each
        "storage_bytes_per_refund": {
            "table": refund_size + STORAGE_OVERHEAD,
            "indexes": len(indexes) * (refund_size + STORAGE_OVERHEAD),
            "event_kept_30_days": (1 + len(event_indexes)) * (sizes["event_kept_for_replay"] + STORAGE_OVERHEAD),
        },
        "event_indexes": event_indexes,
        "event_message_bytes": len(event_body.encode()),
        "response_body_bytes": responses,
        # local_ms: the local runtime's wall time of the invocation (moto on loopback, a busy
        # machine): not Lambda's duration, shown for the record only.
        "log_bytes": {request: {function: {k: v for k, v in entry.items() if k != "lines"}
                                for function, entry in per.items()} for request, per in logs.items()},
        "log_lines": {request: {function: entry["lines"] for function, entry in per.items()}
                      for request, per in logs.items()},
    }
    out["storage_bytes_per_refund"]["total"] = sum(out["storage_bytes_per_refund"].values())
    return out


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    parser.add_argument("--lines", type=int, default=1, help="line items of the measured order (default 1)")
    args = parser.parse_args()
    result = measure(args.lines)
    if not args.json:
        print("\nitem sizes (bytes, DynamoDB rules):")
        for name, size in result["item_bytes"].items():
            print(f"  {name:28} {size:6}  WRU {wru(size)}  strong RRU {rru_strong(size)}")
        print(f"refund indexes: {', '.join(result['refund_indexes'])}")
        print(f"create: {result['create_wru_total']} WRU, {result['create_rru_total']} RRU")
        print(f"list page: {result['list_page']}")
        print("log bytes per request:")
        for request, per in result["log_bytes"].items():
            print(f"  {request}: {per}")
        print()
    print(json.dumps(result, indent=2, default=_default))


if __name__ == "__main__":
    main()
