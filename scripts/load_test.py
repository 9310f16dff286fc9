"""Load test: many merchants, orders and concurrent clients creating, deciding
and listing refunds, for a bounded time, on loopback only. Reports throughput,
p50/p99 latency per operation and overall, and status codes; fails on any 5xx
or any broken invariant (scripts/invariants.py, checked on the table once the
event path has caught up).

    make load                                   # its own local runtime, 60 s, figures to docs/benchmarks.md
    .venv/bin/python scripts/load_test.py --duration 15 --clients 4
    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:3000 --aws-endpoint http://127.0.0.1:<port>
        # against `make run` (its embedded AWS's endpoint is printed when it starts)

Its own runtime has the gateway's throttling off (LocalRuntime(throttling=False)):
the point is the API's own limits, not the stage's 50 rps. Against `make run`,
start it with THROTTLE_RATE_LIMIT=100000 THROTTLE_BURST_LIMIT=100000, or 429s are
counted (they are not 5xx).

The clients: each a thread with one keep-alive connection, picking at random:
open a request on one of its merchants' orders (a full, an amount or an item
refund; a fifth of them on a few "hot" orders every client targets, so
requests race), decide one (support: APPROVE, ISSUE, DENY, FAIL; the
merchant: cancel), list (the merchant's newest, or support's queue of a
merchant), or read one.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import secrets
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from scripts.invariants import Report, check, wait_until_hold  # noqa: E402

MAX_DURATION = 60.0  # the bound: at most a minute
SERVICE_LOGIN, SERVICE_PASSWORD = "orders-service", "orders-secret"  # noqa: S105 - the local accounts'
SUPPORT_LOGIN, SUPPORT_PASSWORD = "support", "support-secret"  # noqa: S105
OPEN = {"REQUESTED", "WAITING", "PROCESSING"}
ORDER = {  # 2 x 25.00 - 5.00 + 4.50 tax, 3 x 10.00 + 2.00 tax, shipping 10.00 + 0.80: 92.30
    "status": "paid", "currency": "USD", "customerId": "cust-1",
    "lineItems": [{"itemId": "sku-1", "name": "Widget", "quantity": 2, "unitPrice": "25.00", "discount": "5.00",
                   "tax": "4.50"},
                  {"itemId": "sku-2", "name": "Socks", "quantity": 3, "unitPrice": "10.00", "tax": "2.00"}],
    "shipping": {"price": "10.00", "tax": "0.80"},
}


@dataclass(frozen=True)
class Config:
    duration: float = 60.0
    clients: int = 8
    merchants: int = 10
    orders_per_merchant: int = 10
    hot_orders: int = 4
    warmup: float = 0.0  # seconds of the same load first, not measured (after the warm-up bursts)
    seed: int | None = None


@dataclass
class Result:
    config: Config
    elapsed: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter = field(default_factory=Counter)  # transport failures (no HTTP answer)
    refusals: Counter = field(default_factory=Counter)  # "create 400 15050": the API's 4xx, by error code
    server_errors: list[str] = field(default_factory=list)  # the first few 5xx, for the report
    invariants: Report | None = None
    setup_seconds: float = 0.0
    warmup_5xx: int = 0
    load_average: float | None = None  # the machine's 1-minute load average when the measured run began
    # Writes retried with their Idempotency-Key that did not answer the first response again.
    replays: int = 0
    replay_mismatches: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(found) for found in self.latencies.values())

    @property
    def five_xx(self) -> int:
        return self.warmup_5xx + sum(count for counts in self.statuses.values()
                                     for status, count in counts.items() if status >= 500)

    @property
    def ok(self) -> bool:
        return (self.five_xx == 0 and not self.errors and not self.replay_mismatches
                and self.invariants is not None and self.invariants.ok)


# ------------------------------------------------------------ HTTP

class Connection:
    """One keep-alive connection to the API, JSON in and out."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"loopback only: {base_url}")
        self.host, self.port, self.prefix = parts.hostname, parts.port or 80, parts.path.rstrip("/")
        self._connection: http.client.HTTPConnection | None = None
        self.replayed = False

    def request(self, method: str, path: str, body: dict | None = None,
                token: str | None = None, idempotency_key: str | None = None) -> tuple[int, dict | None]:
        """The status and JSON body; ``self.replayed`` says whether it was an idempotent replay."""
        headers = {"Connection": "keep-alive"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self._connection.request(method, self.prefix + path, body=data, headers=headers)
                response = self._connection.getresponse()
                payload = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2 or method not in ("GET",):
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            self.replayed = response.getheader("Idempotent-Replayed") == "true"
            return response.status, (json.loads(payload) if payload else None)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def token(connection: Connection, login: str, password: str) -> str:
    status, body = connection.request("POST", "/v1/auth/token", {"login": login, "password": password})
    if status != 200:
        raise SystemExit(f"no token for {login}: {status} {body}")
    return body["token"]


# ------------------------------------------------------------ setup

@dataclass
class World:
    """What the clients share: merchants and their tokens, orders, refunds as last seen."""

    support_token: str
    merchant_tokens: dict[str, str]
    orders: dict[str, str]  # order id -> merchant id
    hot: list[str]
    refunds: dict[str, tuple[str, str]] = field(default_factory=dict)  # refund id -> (merchant, status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, refund: dict) -> None:
        with self.lock:
            if refund["status"] in OPEN:
                self.refunds[refund["id"]] = (refund["merchantId"], refund["status"])
            else:
                self.refunds.pop(refund["id"], None)

    def pick_refund(self, rng: random.Random) -> tuple[str, str, str] | None:
        with self.lock:
            if not self.refunds:
                return None
            refund_id = rng.choice(list(self.refunds))
            return (refund_id, *self.refunds[refund_id])


def create_merchants(run_id: str, count: int, env: dict[str, str]) -> dict[str, str]:
    """Merchants and their logins, through the layer's own account code (what
    scripts/admin.py does), with the functions' environment; {login: password}."""
    from refunds_core import aws
    from refunds_core.callers import Role
    from refunds_core.logic import accounts
    from refunds_core.settings import settings

    saved = dict(os.environ)
    os.environ.update(env)
    settings.cache_clear()
    aws.dynamodb.cache_clear()
    try:
        logins = {}
        for i in range(count):
            merchant_id = f"load-{run_id}-{i:03d}"
            password = secrets.token_urlsafe(12)
            # NotCreated on a run id of its own: the SDK retried a write whose first
            # attempt succeeded but answered late (a busy machine), so it is there.
            with contextlib.suppress(accounts.NotCreated):
                accounts.create_merchant(merchant_id)
            with contextlib.suppress(accounts.NotCreated):
                accounts.create_login(merchant_id, password, Role.MERCHANT, merchant_id)
            logins[merchant_id] = password
        return logins
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
        aws.dynamodb.cache_clear()


def set_up(url: str, env: dict[str, str], config: Config, run_id: str) -> World:
    connection = Connection(url)
    logins = create_merchants(run_id, config.merchants, env)
    merchant_tokens = {login: token(connection, login, password) for login, password in logins.items()}
    service = token(connection, SERVICE_LOGIN, SERVICE_PASSWORD)
    orders = {}
    for merchant_id in logins:
        for n in range(config.orders_per_merchant):
            order_id = f"{merchant_id}-o{n:03d}"
            status, body = connection.request("PUT", f"/v1/orders/{order_id}", {
                **ORDER, "merchantId": merchant_id, "number": f"SO-{order_id}"}, service)
            if status != 200:
                raise SystemExit(f"PUT /v1/orders/{order_id}: {status} {body}")
            orders[order_id] = merchant_id
    world = World(token(connection, SUPPORT_LOGIN, SUPPORT_PASSWORD), merchant_tokens, orders,
                  hot=sorted(orders)[:config.hot_orders])
    connection.close()
    return world


# ------------------------------------------------------------ the clients

def _create_body(rng: random.Random) -> dict:
    kind = rng.random()
    body = {"email": "load@example.com", "description": "load test"}
    if kind < 0.4:
        return body  # everything that remains
    if kind < 0.7:
        return {**body, "amount": rng.choice(["1.00", "5.00", "12.34"])}
    return {**body, "items": [{"itemId": rng.choice(["sku-1", "sku-2"]), "quantity": 1}]}


def _decision(rng: random.Random, status: str) -> tuple[str, dict | None, str]:
    """(method, body, who): what a client does next to a refund it saw in ``status``."""
    roll = rng.random()
    if status == "REQUESTED":
        if roll < 0.70:
            return "PATCH", {"action": "APPROVE"}, "support"
        if roll < 0.85:
            return "PATCH", {"action": "DENY", "responseReason": "load test", "declineReason": "other"}, "support"
        return "DELETE", None, "merchant"
    if status == "PROCESSING":
        if roll < 0.85:
            return "PATCH", {"action": "ISSUE"}, "support"
        return "PATCH", {"action": "FAIL", "responseReason": "load test"}, "support"
    # WAITING (a return, not made by this test) or a status it has not seen yet
    return "PATCH", {"action": "DENY", "responseReason": "load test", "declineReason": "other"}, "support"


def client_loop(url: str, world: World, result: Result, deadline: float, rng: random.Random,
                results_lock: threading.Lock) -> None:
    connection = Connection(url)
    merchants = sorted(world.merchant_tokens)
    orders = sorted(world.orders)

    def call(operation: str, method: str, path: str, body: dict | None, bearer: str,
             key: str | None = None) -> tuple[int, dict | None]:
        started = time.perf_counter()
        try:
            status, answer = connection.request(method, path, body, bearer, key)
        except (OSError, http.client.HTTPException) as exc:
            with results_lock:
                result.errors[f"{operation}: {type(exc).__name__}"] += 1
            return 0, None
        elapsed = time.perf_counter() - started
        with results_lock:
            result.latencies[operation].append(elapsed)
            result.statuses[operation][status] += 1
            if 400 <= status < 500:
                for error in (answer or {}).get("errors", [{}]):
                    result.refusals[f"{operation} {status} {error.get('error')}"] += 1
            if status >= 500 and len(result.server_errors) < 20:
                result.server_errors.append(f"{method} {path} -> {status} {answer}")
        return status, answer

    def write(operation: str, method: str, path: str, body: dict | None, bearer: str) -> tuple[int, dict | None]:
        """A write with an Idempotency-Key; one in ten is sent again with the same key, as a client
        retrying after a lost answer would, and must answer the first response again."""
        key = f"load-{rng.getrandbits(64):016x}"
        status, answer = call(operation, method, path, body, bearer, key)
        if 200 <= status < 500 and status != 409 and rng.random() < 0.1:
            again, repeated = call("replay", method, path, body, bearer, key)
            with results_lock:
                result.replays += 1
                if (again, repeated) != (status, answer) or not connection.replayed:
                    result.replay_mismatches.append(f"{method} {path}: {status} then {again} "
                                                    f"(replayed={connection.replayed})")
        return status, answer

    try:
        while time.monotonic() < deadline:
            roll = rng.random()
            if roll < 0.35:
                order_id = rng.choice(world.hot) if rng.random() < 0.2 else rng.choice(orders)
                merchant = world.orders[order_id]
                status, answer = write("create", "POST", f"/v1/order/{order_id}/refund", _create_body(rng),
                                       world.merchant_tokens[merchant])
                if status == 200:
                    world.note(answer["data"])
            elif roll < 0.70:
                picked = world.pick_refund(rng)
                if picked is None:
                    continue
                refund_id, merchant, status_seen = picked
                method, body, who = _decision(rng, status_seen)
                bearer = world.support_token if who == "support" else world.merchant_tokens[merchant]
                status, answer = write("decide", method, f"/v1/refunds/{refund_id}", body, bearer)
                if status == 200:
                    world.note(answer["data"])
                elif status == 409:  # another client decided it first: look again next time
                    got, fresh = call("get", "GET", f"/v1/refunds/{refund_id}", None, world.merchant_tokens[merchant])
                    if got == 200:
                        world.note(fresh["data"])
            elif roll < 0.90:
                merchant = rng.choice(merchants)
                if rng.random() < 0.5:
                    call("list", "GET", "/v1/refunds?limit=20", None, world.merchant_tokens[merchant])
                else:
                    status_filter = rng.choice(["REQUESTED", "PROCESSING"])
                    call("list", "GET", f"/v1/refunds?merchantId={merchant}&status={status_filter}&limit=20",
                         None, world.support_token)
            else:
                picked = world.pick_refund(rng)
                if picked is not None:
                    call("get", "GET", f"/v1/refunds/{picked[0]}", None, world.merchant_tokens[picked[1]])
    finally:
        connection.close()


def warm_up(url: str, world: World, clients: int, rounds: int = 3) -> None:
    """Cold starts out of the measurement: each route the clients use gets
    ``clients`` requests at once, ``rounds`` times (on ids that do not exist:
    404s, which still start a worker per concurrent request)."""
    merchant = sorted(world.merchant_tokens)[0]
    bearer = world.merchant_tokens[merchant]
    missing = "rf_" + "0" * 26
    requests = [("POST", "/v1/order/no-such-order/refund", {"email": "load@example.com"}, bearer),
                ("PATCH", f"/v1/refunds/{missing}", {"action": "APPROVE"}, world.support_token),
                ("DELETE", f"/v1/refunds/{missing}", None, bearer),
                ("GET", f"/v1/refunds/{missing}", None, bearer),
                ("GET", "/v1/refunds?limit=1", None, bearer)]
    for method, path, body, token_ in requests:
        for _ in range(rounds):
            def one(method=method, path=path, body=body, token_=token_) -> None:
                connection = Connection(url)
                try:
                    connection.request(method, path, body, token_)
                finally:
                    connection.close()
            threads = [threading.Thread(target=one) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()


def _clients(url: str, world: World, result: Result, clients: int, seconds: float, rng: random.Random) -> float:
    """``clients`` threads for ``seconds``; the time they took."""
    results_lock = threading.Lock()
    begin = time.monotonic()
    threads = [threading.Thread(target=client_loop, name=f"load-client-{i}",
                                args=(url, world, result, begin + seconds, random.Random(rng.random()),  # noqa: S311
                                      results_lock))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - begin


def run_load(url: str, env: dict[str, str], config: Config, *, drain=None, dynamodb=None,
             table: str | None = None, log=print) -> Result:
    """Set up, run the clients for ``config.duration`` seconds, then check the
    invariants (``drain()`` first when given: the event path caught up;
    otherwise they are checked again until they hold, for up to a minute)."""
    if not 0 < config.duration <= MAX_DURATION:
        raise SystemExit(f"--duration must be above 0 and at most {MAX_DURATION:.0f} s")
    run_id = uuid.uuid4().hex[:6]
    rng = random.Random(config.seed)  # noqa: S311 - a workload, not a secret
    result = Result(config)
    started = time.monotonic()
    world = set_up(url, env, config, run_id)
    result.setup_seconds = time.monotonic() - started
    log(f"set up {len(world.merchant_tokens)} merchants, {len(world.orders)} orders in {result.setup_seconds:.1f} s; "
        f"{config.clients} clients; warm-up, then {config.duration:.0f} s measured")
    warm_up(url, world, config.clients)
    if config.warmup > 0:
        warm = Result(config)
        _clients(url, world, warm, config.clients, config.warmup, rng)
        result.server_errors.extend(warm.server_errors)  # a 5xx is a 5xx, measured or not
        result.warmup_5xx = warm.five_xx
        result.errors.update(warm.errors)
    result.load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    result.elapsed = _clients(url, world, result, config.clients, config.duration, rng)
    if drain is not None:
        drain()
        result.invariants = check(dynamodb, table, world.orders)
    else:
        result.invariants = wait_until_hold(lambda: check(dynamodb, table, world.orders), timeout=60)
    return result


# ------------------------------------------------------------ report

def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


def summary_rows(result: Result) -> list[tuple[str, int, float, float, float, str]]:
    """(operation, requests, requests/s, p50 ms, p99 ms, status counts) per operation, then all."""
    rows = []
    everything: list[float] = []
    for operation in ("create", "decide", "replay", "list", "get"):
        found = result.latencies.get(operation, [])
        everything.extend(found)
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(result.statuses[operation].items()))
        rows.append((operation, len(found), len(found) / result.elapsed if result.elapsed else 0.0,
                     percentile(found, 0.5) * 1000, percentile(found, 0.99) * 1000, statuses))
    total = Counter()
    for counts in result.statuses.values():
        total.update(counts)
    rows.append(("all", len(everything), len(everything) / result.elapsed if result.elapsed else 0.0,
                 percentile(everything, 0.5) * 1000, percentile(everything, 0.99) * 1000,
                 ", ".join(f"{status}: {count}" for status, count in sorted(total.items()))))
    return rows


def render(result: Result) -> str:
    lines = ["| operation | requests | requests/s | p50 ms | p99 ms | status codes |", "|---|---:|---:|---:|---:|---|"]
    for operation, count, rate, p50, p99, statuses in summary_rows(result):
        lines.append(f"| {operation} | {count} | {rate:.1f} | {p50:.0f} | {p99:.0f} | {statuses} |")
    report = result.invariants or Report()
    refunds = ", ".join(f"{status} {count}" for status, count in sorted(report.statuses.items()))
    refusals = ", ".join(f"{key}: {count}" for key, count in sorted(result.refusals.items()))
    lines += ["", f"- 5xx: **{result.five_xx}**; transport errors: {sum(result.errors.values())}",
              f"- 4xx by operation, status and error code: {refusals or 'none'}",
              f"- writes sent again with their Idempotency-Key: {result.replays}, answered other than the "
              f"first time: **{len(result.replay_mismatches)}**",
              f"- invariants over {report.orders} orders and {report.refunds} refunds ({refunds}): "
              f"**{len(report.violations)} violations**; {report.issued} ISSUED refunds, "
              f"{report.issued_events} `refund.issued` events"]
    return "\n".join(lines)


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = found.group(1).strip() if found else model
    return (f"{os.cpu_count()} CPU(s), {model}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def doc_section(result: Result, target: str) -> str:
    config = result.config
    return f"""## Load test

`make load` (`scripts/load_test.py`), {dt.datetime.now(dt.UTC):%Y-%m-%d}, against {target}, on loopback.

- Machine: {machine()}; the runtime, its worker processes, the embedded AWS
  (moto, one call at a time) and the load clients all share it. Load average when the measured
  run began: {_load(result)} (other work on the machine counts).
- Parameters: {config.clients} concurrent clients (threads, one keep-alive connection each) for
  {result.elapsed:.0f} s, after warm-up bursts ({config.clients} concurrent requests to each route, three
  times, not measured: cold starts take seconds when the cores are busy);
  {config.merchants} merchants x {config.orders_per_merchant} paid orders of 92.30 USD (set up in
  {result.setup_seconds:.0f} s, not measured); each client draws: 35 % open a request (a full,
  an amount or an item refund; a fifth of them on {config.hot_orders} hot orders every client targets, so
  requests race), 35 % decide one (support APPROVE / ISSUE / DENY / FAIL, the merchant cancels), 20 %
  list (the merchant's newest, or support's queue of one merchant), 10 % read one. Every create and
  decision carries an Idempotency-Key; one in ten is sent again with its key, as a client retrying after
  a lost answer would, and must answer the first response again (the `replay` row).
- Gateway throttling off for this runtime (`LocalRuntime(throttling=False)`)
  (the template's stage limits are 50 rps, burst 100).
- 400 and 409 are the API refusing what the race lost (an open request exists, the amount exceeds what
  is left, another operator decided first): expected, not failures.

{render(result)}

Latency is end to end (client -> local gateway -> Lambda worker -> moto), on
one machine shared by everything: it measures this local
stack, not API Gateway, Lambda and DynamoDB. The p99 includes the cold starts
of further workers when more requests to one function overlap than it has warm
workers (a cold start takes 1-3 s here, and requests queue behind it). What the
run asserts is zero 5xx and zero invariant violations.
"""


def _load(result: Result) -> str:
    return f"{result.load_average:.1f}" if result.load_average is not None else "n/a"


def write_doc(path: Path, section: str) -> None:
    """Replace the "## Load test" section (up to the next "## " heading), keep the rest."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Load test\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


# ------------------------------------------------------------ runtime

@contextlib.contextmanager
def local_runtime():
    """The local runtime `make run` serves, on a free loopback port, with stage throttling off."""
    from localrun.runtime import LocalRuntime

    with LocalRuntime(ROOT, port=0, throttling=False) as runtime:
        yield runtime


def run_on_local_runtime(config: Config, log=print) -> Result:
    import boto3

    with local_runtime() as runtime:
        dynamodb = boto3.client("dynamodb", endpoint_url=runtime.aws_endpoint, region_name=runtime.region,
                                aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106
        return run_load(runtime.url, runtime.function_env("CreateRefundFunction"), config,
                        drain=lambda: runtime.events.drain(timeout=120), dynamodb=dynamodb,
                        table=runtime.physical_ids["RefundsTable"], log=log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load, at most 60 (default 60)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--merchants", type=int, default=10)
    parser.add_argument("--orders-per-merchant", type=int, default=10)
    parser.add_argument("--warmup", type=float, default=0.0,
                        help="seconds of unmeasured load after the warm-up bursts (default 0)")
    parser.add_argument("--seed", type=int, help="the workload's random seed")
    parser.add_argument("--url", help="a running `make run` (loopback); default: start a runtime of its own")
    parser.add_argument("--aws-endpoint", help="with --url: its embedded AWS endpoint (seeding, invariants)")
    parser.add_argument("--table", default="RefundsTable", help="with --url: the table (default RefundsTable)")
    parser.add_argument("--write-doc", type=Path, help="write the figures to this file's '## Load test' section")
    args = parser.parse_args(argv)
    config = Config(duration=args.duration, clients=args.clients, merchants=args.merchants,
                    orders_per_merchant=args.orders_per_merchant, warmup=args.warmup, seed=args.seed)
    if args.url:
        if not args.aws_endpoint:
            parser.error("--url needs --aws-endpoint (to seed merchants and read the table)")
        import boto3

        env = {"AWS_ENDPOINT_URL": args.aws_endpoint, "TABLE_NAME": args.table, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
               "TOKEN_SIGNING_SECRET_ID": "not-used-by-admin"}
        dynamodb = boto3.client("dynamodb", endpoint_url=args.aws_endpoint, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106
        result = run_load(args.url, env, config, dynamodb=dynamodb, table=args.table)
        target = f"`make run` at {args.url}"
    else:
        result = run_on_local_runtime(config)
        target = "a local runtime of its own (`LocalRuntime`, as `make run` serves)"
    print(render(result))
    for line in result.server_errors:
        print("5xx:", line)
    for error, count in result.errors.items():
        print(f"transport error: {error} x{count}")
    for violation in (result.invariants.violations if result.invariants else [])[:50]:
        print("VIOLATION:", violation)
    for mismatch in result.replay_mismatches[:20]:
        print("REPLAY MISMATCH:", mismatch)
    if args.write_doc:
        write_doc(args.write_doc, doc_section(result, target))
        print(f"written to {args.write_doc}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
