"""What a warm request costs, measured inside this process: the handlers run
with their function's environment (localrun.in_process) against the embedded
AWS (moto's server on loopback), as the integration tests' `layer` and
`admin` fixtures run the layer.

- round trips: botocore's `before-send` event, on every client made in this
  process, counts the HTTP requests one warm request sends (retries
  included), after warm-up requests filled the signing key, account and
  client caches;
- CPU overhead: the AWS answers of one warm request are recorded (`after-call`),
  then the same request is replayed with those answers handed back by a
  `before-call` hook (no signing, no HTTP, no response parsing: "stubbed", as
  botocore's Stubber does) and, for comparison, by a `before-send` hook (the
  SDK's signing and parsing included, no network); the handler's thread CPU
  time (time.thread_time_ns) is the measure;
- peak RSS: a fresh process (bench/rss_child.py) imports the handler and
  serves warm requests against the same embedded AWS.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.cold import ROOT, Site

RSS_CHILD = Path(__file__).with_name("rss_child.py")


# ------------------------------------------------------------- AWS calls

@dataclass
class Recorded:
    service: str
    operation: str
    url: str
    status: int
    headers: dict
    body: bytes
    parsed: dict


class _Raw:
    """The raw stream AWSResponse reads a canned body from."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_kwargs) -> Iterator[bytes]:
        yield self._body


class AwsCalls:
    """Hooks on every botocore client made in this process (see install()):
    counts what is sent, records answers, or hands recorded answers back."""

    def __init__(self):
        self.sent: list[str] = []          # "dynamodb.GetItem"... since the last reset
        self.recording: list[Recorded] | None = None
        self._replay: deque[tuple[Recorded, dict]] = deque()
        self._replay_at: str | None = None  # "call" (stubbed) or "send" (wire)
        # Thread CPU spent inside client calls (the SDK's request building, the
        # stub's or the wire's answer, parsing) since the last reset of it.
        self.sdk_ns = 0
        self._call_began = 0

    def attach(self, client) -> None:
        events = client.meta.events
        # The first event of a client call and the last: what lies between is the SDK's.
        events.register("provide-client-params", self._call_begins)
        events.register("before-call", self._before_call)
        events.register("before-send", self._before_send)
        events.register("after-call", self._after_call)
        events.register("after-call", self._call_ends)

    def reset(self) -> None:
        self.sent = []

    @contextlib.contextmanager
    def record(self) -> Iterator[list[Recorded]]:
        self.recording = []
        try:
            yield self.recording
        finally:
            self.recording = None

    @contextlib.contextmanager
    def replay(self, at: str) -> Iterator[None]:
        self._replay_at = at
        try:
            yield
        finally:
            self._replay_at, self._replay = None, deque()

    def load(self, answers: list[Recorded]) -> None:
        """The answers for the next request, each with a fresh copy of its
        parsed response made now, so the copying is not timed with the request."""
        self._replay = deque((answer, copy.deepcopy(answer.parsed)) for answer in answers)

    def _next(self, event_name: str) -> tuple[Recorded, dict]:
        _, service, operation = event_name.split(".", 2)
        if not self._replay:
            raise RuntimeError(f"benchmark replay: {service}.{operation} was not recorded")
        answer, parsed = self._replay.popleft()
        if (answer.service, answer.operation) != (service, operation):
            raise RuntimeError(f"benchmark replay: {service}.{operation} called, "
                               f"{answer.service}.{answer.operation} recorded")
        return answer, parsed

    def _before_call(self, event_name: str, **_kwargs):
        if self._replay_at != "call":
            return None
        from botocore.awsrequest import AWSResponse

        answer, parsed = self._next(event_name)
        return AWSResponse(answer.url, answer.status, answer.headers, _Raw(answer.body)), parsed

    def _before_send(self, event_name: str, request, **_kwargs):
        _, service, operation = event_name.split(".", 2)
        self.sent.append(f"{service}.{operation}")
        if self._replay_at != "send":
            return None
        from botocore.awsrequest import AWSResponse

        answer, _ = self._next(event_name)
        return AWSResponse(request.url, answer.status, answer.headers, _Raw(answer.body))

    def _call_begins(self, **_kwargs) -> None:
        self._call_began = time.thread_time_ns()

    def _call_ends(self, **_kwargs) -> None:
        self.sdk_ns += time.thread_time_ns() - self._call_began

    def _after_call(self, event_name: str, http_response, parsed, **_kwargs) -> None:
        if self.recording is None or self._replay_at is not None:
            return
        _, service, operation = event_name.split(".", 2)
        self.recording.append(Recorded(service, operation, getattr(http_response, "url", "") or "",
                                       http_response.status_code, dict(http_response.headers),
                                       http_response.content, copy.deepcopy(parsed)))


@contextlib.contextmanager
def _account_cache_held() -> Iterator[None]:
    """The caller's account stays cached while a scenario runs, as in a busy
    function (a request within auth.ACCOUNT_CACHE_SECONDS, 1 s, of the
    previous one), however long the measuring takes: the replayed request is
    the one just recorded. The uncached path's extra read is counted apart
    (get_refund_account_uncached)."""
    from types import SimpleNamespace

    from refunds_core import auth

    frozen = time.monotonic()
    real = auth.time
    auth.time = SimpleNamespace(monotonic=lambda: frozen, time=time.time)
    try:
        yield
    finally:
        auth.time = real


def install(calls: AwsCalls) -> None:
    """Every botocore client made from now on carries the hooks."""
    import botocore.session

    original = botocore.session.Session.create_client
    if getattr(original, "bench_hooked", False):
        raise RuntimeError("the benchmark's client hooks are already installed")

    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        calls.attach(client)
        return client

    create_client.bench_hooked = True
    botocore.session.Session.create_client = create_client


# ---------------------------------------------------------------- events

class Api:
    """API Gateway proxy events for the template's routes (localrun's builder)."""

    def __init__(self, template: dict):
        from localrun import template as cfn
        from localrun.routing import Router

        self._router = Router(cfn.api_routes(template))

    def event(self, method: str, path: str, *, token: str | None = None, body: dict | None = None,
              headers: tuple[tuple[str, str], ...] = ()) -> dict:
        from localrun.proxy_event import HttpRequest, proxy_event

        match = self._router.resolve(method, path)
        sent = [("Host", "bench.execute-api.us-east-1.amazonaws.com"), ("User-Agent", "bench"), *headers]
        if token:
            sent.append(("Authorization", f"Bearer {token}"))
        data = b""
        if body is not None:
            sent.append(("Content-Type", "application/json"))
            data = json.dumps(body).encode()
        return proxy_event(HttpRequest(method, path, "", sent, data, "203.0.113.10"), match, stage="prod")


def load_handler(spec) -> Callable:
    """The template's handler, imported from its CodeUri under a module name of its own."""
    module_name, _, attribute = spec.handler.rpartition(".")
    loader = importlib.util.spec_from_file_location(f"bench_{spec.logical_id}", spec.code_uri / f"{module_name}.py")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return getattr(module, attribute)


def context(spec) -> object:
    from localrun.worker import LambdaContext

    return LambdaContext({"requestId": str(uuid.uuid4()), "deadlineMs": int(time.time() * 1000) + 10_000,
                          "invokedFunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{spec.logical_id}"})


@contextlib.contextmanager
def stdout_discarded() -> Iterator[None]:
    """fd 1 to /dev/null: the handlers' log and metric lines are written (that
    is part of a request's work), not shown."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


# ------------------------------------------------------------- scenarios

@dataclass
class Scenario:
    name: str
    function: str
    make_event: Callable[[], dict]   # a fresh request (a fresh order, refund, key...) each call
    prepare: Callable[[], None] | None = None  # run just before each counted request


@dataclass
class Findings:
    round_trips: dict[str, int] = field(default_factory=dict)
    calls: dict[str, list[str]] = field(default_factory=dict)       # what the counted request sent
    overhead_us: dict[str, float] = field(default_factory=dict)     # AWS answers stubbed (before-call)
    wire_overhead_us: dict[str, float] = field(default_factory=dict)  # canned HTTP (before-send)
    # Stubbed, less the CPU inside the SDK's client calls: our code (the layer,
    # Powertools, pydantic, pyjwt...), what the issue's budget is about.
    own_overhead_us: dict[str, float] = field(default_factory=dict)
    # The warm requests reuse one token (a cache hit): checking a token not seen before costs this.
    token_check_us: float = 0.0
    # A fresh process: CPU of the import, of the first request (what INIT moved there) and of a later one.
    first_request: dict[str, dict[str, float]] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    rss_after_import_mb: dict[str, float] = field(default_factory=dict)


class WarmBench:
    def __init__(self, runtime, calls: AwsCalls):
        from localrun.in_process import function_environment

        self.runtime, self.calls = runtime, calls
        self.api = Api(runtime.template)
        self._function_environment = function_environment
        self.findings = Findings()
        # Tokens first: issuing one runs the layer in an environment of its own.
        self.tokens = {login: runtime.token(login) for login in ("demo", "support", "orders-service")}
        self.second_demo_token = runtime.token("demo")

    @contextlib.contextmanager
    def function(self, logical_id: str) -> Iterator[tuple[Callable, object]]:
        spec = self.runtime.functions[logical_id]
        with self._function_environment(self.runtime.function_env(logical_id), spec.layers):
            yield load_handler(spec), spec

    def call(self, handler, spec, event: dict) -> dict:
        with stdout_discarded():
            response = handler(event, context(spec))
        if not 200 <= response["statusCode"] < 300:
            raise RuntimeError(f"{spec.logical_id} answered {response['statusCode']}: {response.get('body')}")
        return response

    # ------------------------------------------------------ round trips

    def round_trips(self, scenario: Scenario, handler, spec, warmups: int = 2, counted: int = 3) -> None:
        with _account_cache_held():  # requests of a busy function (the uncached scenario clears it each time)
            self._round_trips(scenario, handler, spec, warmups, counted)

    def _round_trips(self, scenario: Scenario, handler, spec, warmups: int, counted: int) -> None:
        for _ in range(warmups):
            self.call(handler, spec, scenario.make_event())
        counts, sent = [], []
        for _ in range(counted):
            event = scenario.make_event()
            if scenario.prepare is not None:  # the state each counted request starts from
                scenario.prepare()
            self.calls.reset()
            self.call(handler, spec, event)
            counts.append(len(self.calls.sent))
            sent = list(self.calls.sent)
        self.findings.round_trips[scenario.name] = max(counts)  # warm requests send the same; the max if not
        self.findings.calls[scenario.name] = sent

    # --------------------------------------------------------- overhead

    def overhead(self, scenario: Scenario, handler, spec, runs: int) -> None:
        with _account_cache_held():
            self._overhead(scenario, handler, spec, runs)

    def _overhead(self, scenario: Scenario, handler, spec, runs: int) -> None:
        self.call(handler, spec, scenario.make_event())  # warm (again): the caches' TTL starts now
        event = scenario.make_event()
        with self.calls.record() as answers:
            self.call(handler, spec, event)
        for at, results in (("call", self.findings.overhead_us), ("send", self.findings.wire_overhead_us)):
            samples, own = [], []
            with self.calls.replay(at):
                for run in range(runs + 5):  # the first 5: warm-up of the replay path itself
                    self.calls.load(answers)
                    replayed = copy.deepcopy(event)
                    with stdout_discarded():
                        self.calls.sdk_ns = 0
                        start = time.thread_time_ns()
                        response = handler(replayed, context(spec))
                        elapsed = time.thread_time_ns() - start
                    if not 200 <= response["statusCode"] < 300:
                        raise RuntimeError(f"{spec.logical_id} replayed answered {response['statusCode']}: "
                                           f"{response.get('body')}")
                    if run >= 5:
                        samples.append(elapsed / 1000)
                        own.append((elapsed - self.calls.sdk_ns) / 1000)
            results[scenario.name] = round(statistics.median(samples), 1)
            if at == "call":
                self.findings.own_overhead_us[scenario.name] = round(statistics.median(own), 1)

    def token_check(self, runs: int) -> None:
        """CPU of authenticating a token this environment has not seen (the
        signing key cached): pyjwt's decode and our checks."""
        from refunds_core.auth import caller_from_headers, issue_token
        from refunds_core.callers import Caller, Role

        tokens = [issue_token(Caller("demo", Role.MERCHANT, "demo"))[0] for _ in range(runs + 5)]
        samples = []
        for token in tokens:
            start = time.thread_time_ns()
            caller_from_headers([f"Bearer {token}"], [])
            samples.append((time.thread_time_ns() - start) / 1000)
        self.findings.token_check_us = round(statistics.median(samples[5:]), 1)

    # -------------------------------------------------------------- all

    def run(self, overhead_runs: int) -> Findings:
        from localrun.seed import DEMO_ORDER, DEMO_REFUND_REQUEST, open_demo_refund
        from refunds_core.auth import caller_from_headers, issue_token, require_active_account
        from refunds_core.callers import Caller, Role
        from refunds_core.logic import lifecycle, orders, refunds
        from refunds_core.observability import metrics

        def paid_order() -> str:
            order_id = f"bench-{uuid.uuid4().hex[:12]}"
            orders.put(Caller("orders-service", Role.SERVICE, None), order_id, {**DEMO_ORDER, "number": order_id})
            metrics.clear_metrics()
            return order_id

        def create_event(*headers) -> dict:
            return self.api.event("POST", f"/v1/order/{paid_order()}/refund", token=self.tokens["demo"],
                                  body=DEMO_REFUND_REQUEST, headers=headers)

        with self.function("CreateRefundFunction") as (handler, spec):
            create = Scenario("create_refund", spec.logical_id, create_event)
            self.round_trips(create, handler, spec)
            self.round_trips(Scenario("create_refund_idempotent", spec.logical_id,
                                      lambda: create_event(("Idempotency-Key", uuid.uuid4().hex))), handler, spec)
            self.overhead(create, handler, spec, overhead_runs)

        with self.function("GetRefundFunction") as (handler, spec):
            refund_id = open_demo_refund()
            get = Scenario("get_refund", spec.logical_id,
                           lambda: self.api.event("GET", f"/v1/refunds/{refund_id}", token=self.tokens["demo"]))
            self.round_trips(get, handler, spec)
            self.overhead(get, handler, spec, overhead_runs)
            # The revocation option not taken (docs/architecture.md): reads that
            # trust no cached account read it on every request.
            from refunds_core import auth

            self.round_trips(Scenario("get_refund_account_uncached", spec.logical_id, get.make_event,
                                      prepare=auth._active_until.clear), handler, spec)
            # A request after the first, with another token of the same login:
            # what authenticating it costs (signing key and account cached). The
            # first: a token never seen, so the key is read if its TTL has passed
            # since the warm-ups (verified tokens are trusted without the key).
            require_active_account(caller_from_headers(
                [f"Bearer {issue_token(Caller('demo', Role.MERCHANT, 'demo'))[0]}"], []))
            self.calls.reset()
            require_active_account(caller_from_headers([f"Bearer {self.second_demo_token}"], []))
            self.findings.round_trips["auth_token"] = len(self.calls.sent)
            self.findings.calls["auth_token"] = list(self.calls.sent)
            self.token_check(overhead_runs)

        with self.function("ListRefundsFunction") as (handler, spec):
            listing = Scenario("list_refunds", spec.logical_id,
                               lambda: self.api.event("GET", "/v1/refunds", token=self.tokens["demo"]))
            self.round_trips(listing, handler, spec)
            self.overhead(listing, handler, spec, overhead_runs)

        with self.function("UpdateRefundFunction") as (handler, spec):
            self.round_trips(Scenario("decision", spec.logical_id, lambda: self.api.event(
                "PATCH", f"/v1/refunds/{open_demo_refund()}", token=self.tokens["support"],
                body={"action": "APPROVE"})), handler, spec)
            support = Caller("support", Role.SUPPORT, None)

            def approved_refund() -> str:
                # A refund-only request approved (PROCESSING), so the counted decision is ISSUE.
                refund_id = refunds.create(Caller("demo", Role.MERCHANT, "demo"), paid_order(),
                                           {**DEMO_REFUND_REQUEST, "refundOnly": True})["id"]
                lifecycle.act(support, refund_id, {"action": "APPROVE"})
                metrics.clear_metrics()
                return refund_id

            # Not budgeted apart (the budget's decision is APPROVE's): reported in the details.
            self.round_trips(Scenario("decision_issue", spec.logical_id, lambda: self.api.event(
                "PATCH", f"/v1/refunds/{approved_refund()}", token=self.tokens["support"],
                body={"action": "ISSUE"})), handler, spec)

        with self.function("PutOrderFunction") as (handler, spec):
            self.round_trips(Scenario("put_order", spec.logical_id, lambda: self.api.event(
                "PUT", f"/v1/orders/bench-{uuid.uuid4().hex[:12]}", token=self.tokens["orders-service"],
                body={**DEMO_ORDER, "number": "SO-BENCH"})), handler, spec)

        return self.findings

    # -------------------------------------------------------------- RSS

    def peak_rss(self, logical_id: str, site: Site, requests: int) -> None:
        """A fresh process imports the handler and serves `requests` warm
        create-refund requests (each on an order of its own) against the
        embedded AWS; its ru_maxrss."""
        from localrun.seed import DEMO_ORDER, DEMO_REFUND_REQUEST
        from refunds_core.callers import Caller, Role
        from refunds_core.logic import orders
        from refunds_core.observability import metrics

        spec = self.runtime.functions[logical_id]
        with self._function_environment(self.runtime.function_env(logical_id), spec.layers):
            events = []
            for _ in range(requests):
                order_id = f"bench-{uuid.uuid4().hex[:12]}"
                orders.put(Caller("orders-service", Role.SERVICE, None), order_id,
                           {**DEMO_ORDER, "number": order_id})
                events.append(self.api.event("POST", f"/v1/order/{order_id}/refund", token=self.tokens["demo"],
                                             body=DEMO_REFUND_REQUEST))
            metrics.clear_metrics()
        env = {**self.runtime.function_env(logical_id), "PYTHONPATH": site.pythonpath(spec.code_uri)}
        env.pop("PYTHONHOME", None)
        with tempfile.TemporaryDirectory(prefix="bench-rss-") as tmp:
            events_file, result_file = Path(tmp) / "events.json", Path(tmp) / "result.json"
            events_file.write_text(json.dumps(events))
            done = subprocess.run(  # noqa: S603 - our interpreter, our script
                [sys.executable, "-S", "-P", str(RSS_CHILD), spec.handler, str(events_file), str(result_file)],
                env=env, cwd=spec.code_uri, capture_output=True, text=True, timeout=120)
            if done.returncode != 0 or not result_file.exists():
                raise RuntimeError(f"RSS child failed ({done.returncode}):\n{done.stderr[-3000:]}")
            result = json.loads(result_file.read_text())
        bad = [status for status in result["statuses"] if not 200 <= status < 300]
        if bad:
            raise RuntimeError(f"RSS child: {logical_id} answered {bad}")
        self.findings.peak_rss_mb[logical_id] = result["peak_mb"]
        self.findings.rss_after_import_mb[logical_id] = result["after_import_mb"]
        self.findings.first_request[logical_id] = {name: result[name] for name in (
            "import_cpu_ms", "first_request_cpu_ms", "later_request_cpu_ms")}


def measure(site: Site, *, quick: bool, log=print) -> Findings:
    from localrun.runtime import LocalRuntime

    # As tests/conftest.py does: whatever the shell holds, no credentials that
    # work, no profile, no deployed stack, no other endpoint.
    for name in [n for n in os.environ if n.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"))]:
        del os.environ[name]
    os.environ.pop("STACK_NAME", None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - dummy
                      AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    calls = AwsCalls()
    install(calls)
    log("warm: starting the embedded AWS (no gateway, no event pump)")
    with LocalRuntime(ROOT, port=None, seed=True, events=False, throttling=False) as runtime:
        bench = WarmBench(runtime, calls)
        from refunds_core import modes
        from refunds_core.modes import Mode

        with modes.acting_in(Mode.LIVE):  # its data is made as a live caller's (each handler sets its own)
            log("warm: round trips and CPU overhead")
            bench.run(overhead_runs=20 if quick else 200)
            log("warm: peak RSS of a fresh create_refund process")
            bench.peak_rss("CreateRefundFunction", site, requests=3 if quick else 50)
        return bench.findings
