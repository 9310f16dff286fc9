"""What a merchant waits for after a quiet period: a cold execution
environment's init (the handler's import) and init + its first request, for
every API function, each as a ratio to the same two figures of a hand-written
reference handler (bench/reference/: json + boto3 only, the same AWS calls)
of the function's family.

- init: a fresh interpreter, as Lambda starts one (bench/cold.py's sys.path and
  compiled layer, tracing on), imports the handler and leaves with os._exit
  (bench/first_request_child.py): Lambda never runs the interpreter's shutdown;
- init + first request: the same, then the function serves one realistic
  request (its sample event of events/, with a fresh order, refund, endpoint
  or key as the sample needs) against the embedded AWS (moto's server on
  loopback): clients made, the signing key read, the account read, the token
  checked, the models built, the answer logged;
- the starts go round-robin (each function's and each reference's, then the
  next round), so a change in the machine's load weighs on all alike; a ratio
  is taken within a round (ours over its reference's, same minute), and the
  table gives the median and the interquartile range of those ratios.

A function's family says which reference makes the same AWS calls: one line in
FAMILIES, else inferred from its route (infer_family); a function with no
family (no reference makes its calls) is measured and reported unbudgeted.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.cold import ROOT, Site

CHILD = Path(__file__).with_name("first_request_child.py")
REFERENCES = Path(__file__).with_name("reference")

# Each family's reference handler (bench/reference/<family>/app.py) serves the
# sample event of the function that represents the family, so for that
# function ours and the reference answer the very same request.
REPRESENTATIVES = {"create": "CreateRefundFunction", "get": "GetRefundFunction",
                   "list": "ListRefundsFunction", "decision": "UpdateRefundFunction"}

# What each API function does, by the reference whose AWS calls are closest to
# its first request's (a token check, the account read, then): create = read
# one item, write one transaction; get = read one or two items; list = query
# one page; decision = read an item, write it conditionally. A function not
# named here gets infer_family()'s; None: no reference makes its calls.
FAMILIES: dict[str, str | None] = {
    "IssueTokenFunction": "get",             # reads the login and its merchant, signs (and checks a password: scrypt)
    "IssueCustomerTokenFunction": "get",     # reads the minting account afresh, signs
    "PutOrderFunction": "create",            # one transaction, then reads the order back
    "GetOrderFunction": "get",
    "CreateRefundFunction": "create",
    "PreviewRefundFunction": "get",          # reads the order, writes nothing
    "GetRefundFunction": "get",
    "ListRefundsFunction": "list",
    "UpdateRefundFunction": "decision",
    "CancelRefundFunction": "decision",
    "CreateWebhookFunction": "create",
    "ListWebhooksFunction": "list",
    "DeleteWebhookFunction": "decision",
    "RotateWebhookSecretFunction": "decision",
    "ListWebhookDeliveriesFunction": "list",
    "ReplayWebhookFunction": "list",         # queries the merchant's events, queues them
    "CreateApiKeyFunction": "create",
    "ListApiKeysFunction": "list",
    "DeleteApiKeyFunction": "decision",
    "OpenApiFunction": None,                 # a file: no token, no AWS call
}


def infer_family(method: str, path: str) -> str:
    """The family of a route FAMILIES does not name: a GET of one resource
    (its path ends with a parameter) is a get, another GET a list; a POST or
    PUT a create; a PATCH or DELETE a decision."""
    if method == "GET":
        return "get" if re.search(r"\{[^}]+\}$", path) else "list"
    return "create" if method in ("POST", "PUT") else "decision"


def family_of(function: str, routes: list) -> tuple[str | None, bool]:
    """(family, inferred) of an API function."""
    if function in FAMILIES:
        return FAMILIES[function], False
    route = next(route for route in routes if route.function == function)
    return infer_family(route.method, route.path), True


# ---------------------------------------------------------------- samples

@dataclass
class Sample:
    wall_ms: float
    cpu_ms: float


@dataclass
class Start:
    """One kind of cold start to time: a function's or a reference's, init or init + request."""

    name: str                                  # "CreateRefundFunction" or "reference:create"
    request: bool                              # init + first request (else init alone)
    code_dir: Path
    handler: str
    env: dict[str, str]
    make_event: Callable[[], dict] | None = None
    samples: dict[int, Sample] = field(default_factory=dict)  # by round
    failure: str | None = None                 # could not run at all (its recording run failed)
    failed_rounds: list[str] = field(default_factory=list)  # a round's start that failed (e.g. a timeout under load)


def _run_child(start: Start, tmp: Path, calls_file: Path | None = None) -> Sample:
    """Time one fresh interpreter (wall from spawn to exit, and its user +
    system CPU); the event is prepared before the clock starts."""
    args = [sys.executable, "-S", "-P", str(CHILD), "request" if start.request else "init", start.handler]
    if start.request:
        event_file = tmp / f"event-{uuid.uuid4().hex}.json"
        event_file.write_text(json.dumps(start.make_event()))
        args.append(str(event_file))
        if calls_file is not None:
            args.append(str(calls_file))
    log_file = tmp / "child.log"  # the handler's log (stdout), read only when it failed
    with open(log_file, "wb") as log:
        began = time.perf_counter()
        process = subprocess.Popen(args, env=start.env, cwd=start.code_dir,  # noqa: S603 - our interpreter
                                   stdout=log, stderr=subprocess.PIPE)
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = (time.perf_counter() - began) * 1000
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        logged = log_file.read_text(errors="replace")
        raise RuntimeError(f"{start.name} ({'request' if start.request else 'init'}) exited {code}: "
                           f"{errors.decode(errors='replace')[-1500:]} {logged[-1500:]}")
    return Sample(wall, (usage.ru_utime + usage.ru_stime) * 1000)


# ------------------------------------------------------------- requests

class Requests:
    """Fresh sample events against a running LocalRuntime: each call makes a
    new one (a fresh paid order where the sample names the demo order, a
    fresh refund, endpoint or key where it has a placeholder)."""

    def __init__(self, runtime):
        from localrun import template as cfn

        self.runtime = runtime
        self.by_folder = {spec.code_uri.name: logical_id for logical_id, spec in runtime.functions.items()}
        # A function's sample: events/<folder>.json (its variants, <folder>.<variant>.json, are other cases).
        self.samples = {logical_id: ROOT / "events" / f"{folder}.json" for folder, logical_id in self.by_folder.items()
                        if (ROOT / "events" / f"{folder}.json").is_file()}
        self.routes = cfn.api_routes(runtime.template)

    def has_sample(self, function: str) -> bool:
        return function in self.samples

    def event(self, function: str) -> Callable[[], dict]:
        sample = json.loads(self.samples[function].read_text())

        def make() -> dict:
            from localrun.__main__ import prepare_event
            from localrun.seed import DEMO_ORDER_ID

            event = prepare_event(self.runtime, json.loads(json.dumps(sample)))
            if (event.get("pathParameters") or {}).get("orderId") == DEMO_ORDER_ID:
                event = _with_order(event, DEMO_ORDER_ID, self.fresh_order())
            return event

        return make

    def fresh_order(self) -> str:
        from localrun.seed import DEMO_ORDER

        def put() -> str:
            from refunds_core.callers import Caller, Role
            from refunds_core.logic import orders
            from refunds_core.observability import metrics

            order_id = f"bench-{uuid.uuid4().hex[:12]}"
            orders.put(Caller("orders-service", Role.SERVICE, None), order_id, {**DEMO_ORDER, "number": order_id})
            metrics.clear_metrics()
            return order_id

        return self.runtime._in_layer(put)

    def tidy(self) -> None:
        """Demo's endpoints and API keys removed, so create samples never meet a limit."""
        def remove() -> None:
            from refunds_core.callers import Caller, Role
            from refunds_core.logic import api_keys, webhooks

            demo = Caller("demo", Role.MERCHANT, "demo")
            for endpoint in webhooks.list_endpoints(demo):
                webhooks.delete(demo, endpoint["id"])
            for key in api_keys.list_keys(demo):
                api_keys.revoke(demo, key["id"])

        self.runtime._in_layer(remove)


def _with_order(event: dict, old: str, new: str) -> dict:
    """The event about order `new` instead of `old` (path, its parameter, the request context)."""
    text = json.dumps(event).replace(f"/{old}/", f"/{new}/").replace(f"/{old}\"", f"/{new}\"")
    event = json.loads(text)
    event["pathParameters"]["orderId"] = new
    return event


def child_env(base: dict[str, str], site: Site, *first: Path) -> dict[str, str]:
    """The function's environment as the local runtime gives it (the embedded
    AWS's endpoint, table names, dummy credentials), made Lambda-like: the
    compiled layer on sys.path, nothing written as bytecode, X-Ray tracing on
    as the template deploys it (a sampled trace header, the daemon's UDP on
    a loopback port nothing reads)."""
    env = {name: value for name, value in base.items()
           if name not in ("POWERTOOLS_TRACE_DISABLED", "LOCAL_RUNTIME", "PYTHONHOME")}
    env.update(PYTHONPATH=site.pythonpath(*first), PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1",
               AWS_EXECUTION_ENV="AWS_Lambda_python3.13", AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:9",
               AWS_XRAY_CONTEXT_MISSING="LOG_ERROR",
               _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    return env


# ---------------------------------------------------------------- measure

@dataclass
class Figures:
    """Per function: its family, its starts' samples, the reference's."""

    functions: dict[str, dict] = field(default_factory=dict)
    references: dict[str, dict] = field(default_factory=dict)
    calls: dict[str, list[str]] = field(default_factory=dict)  # a first request's AWS calls, ours and references'
    runs: int = 0


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def _summary(samples: dict[int, Sample]) -> dict:
    q1, median, q3 = _quartiles([sample.wall_ms for sample in samples.values()])
    return {"wall_ms": round(median, 1), "wall_iqr_ms": [round(q1, 1), round(q3, 1)],
            "cpu_ms": round(statistics.median(sample.cpu_ms for sample in samples.values()), 1),
            "samples": len(samples)}


def _ratio(ours: dict[int, Sample], reference: dict[int, Sample], attribute: str = "wall_ms") -> dict | None:
    """Round by round (same minute), ours over the reference's: median and IQR
    (over the rounds both ran in)."""
    ratios = [getattr(ours[r], attribute) / getattr(reference[r], attribute) for r in ours if r in reference]
    if not ratios:
        return None
    q1, median, q3 = _quartiles(ratios)
    return {"median": round(median, 3), "iqr": [round(q1, 3), round(q3, 3)]}


def measure(site: Site, functions: list[str] | None, *, runs: int, warmups: int = 1, log=print) -> Figures:
    """Start a LocalRuntime (the embedded AWS, seeded), then time each API
    function's (or those named) and each reference's starts round-robin."""
    from localrun.runtime import LocalRuntime

    figures = Figures(runs=runs)
    with LocalRuntime(ROOT, port=None, seed=True, events=False, throttling=False) as runtime, \
            tempfile.TemporaryDirectory(prefix="bench-first-") as tmp_name:
        tmp = Path(tmp_name)
        requests = Requests(runtime)
        api = sorted({route.function for route in requests.routes}, key=list(runtime.functions).index)
        names = [name for name in api if functions is None or name in functions]
        starts: list[Start] = []
        families_used: set[str] = set()
        for name in names:
            family, inferred = family_of(name, requests.routes)
            spec = runtime.functions[name]
            env = child_env(runtime.function_env(name), site, spec.code_uri)
            figures.functions[name] = {"family": family, "inferred": inferred}
            starts.append(Start(name, False, spec.code_uri, spec.handler, env))
            if requests.has_sample(name):
                starts.append(Start(name, True, spec.code_uri, spec.handler, env, requests.event(name)))
            else:
                figures.functions[name]["failure"] = "no sample event in events/: its first request is not measured"
            if family is not None:
                families_used.add(family)
        for family in sorted(families_used):
            representative = REPRESENTATIVES[family]
            code_dir = REFERENCES / family
            env = child_env(runtime.function_env(representative), site, code_dir, REFERENCES / "common")
            figures.references[family] = {"serves": representative}
            starts.append(Start(f"reference:{family}", False, code_dir, "app.lambda_handler", env))
            starts.append(Start(f"reference:{family}", True, code_dir, "app.lambda_handler", env,
                                requests.event(representative)))

        log(f"first request: what {len(names)} function(s) and {len(families_used)} reference(s) send")
        for start in [start for start in starts if start.request]:
            calls_file = tmp / "calls.json"
            try:
                _run_child(start, tmp, calls_file)
                figures.calls[start.name] = json.loads(calls_file.read_text())
            except RuntimeError as failed:
                start.failure = str(failed)
            requests.tidy()

        timed = [start for start in starts if start.failure is None]
        log(f"first request: {len(timed)} cold starts x ({warmups} warm-up + {runs}) rounds, round-robin")
        for round_number in range(warmups + runs):
            for start in timed:
                try:
                    sample = _run_child(start, tmp)
                except RuntimeError as failed:
                    start.failed_rounds.append(str(failed))
                    continue
                if round_number >= warmups:
                    start.samples[round_number] = sample
                if start.request and figures.functions.get(start.name, {}).get("family") == "create":
                    requests.tidy()
        _collect(figures, starts)
    return figures


def _collect(figures: Figures, starts: list[Start]) -> None:
    by_key = {(start.name, start.request): start for start in starts}
    for family, found in figures.references.items():
        for request, label in ((False, "init"), (True, "request")):
            start = by_key[(f"reference:{family}", request)]
            if start.failure:
                found[f"{label}_failure"] = start.failure
            elif start.samples:
                found[label] = _summary(start.samples)
            if start.failed_rounds:
                found[f"{label}_failed_rounds"] = start.failed_rounds
    for name, found in figures.functions.items():
        for request, label in ((False, "init"), (True, "request")):
            start = by_key.get((name, request))
            if start is None:
                continue
            if start.failure:
                found["failure"] = start.failure
                continue
            if start.failed_rounds:
                found[f"{label}_failed_rounds"] = start.failed_rounds
            if not start.samples:
                continue
            found[label] = _summary(start.samples)
            reference = by_key.get((f"reference:{found['family']}", request))
            if reference is not None and not reference.failure and _ratio(start.samples, reference.samples):
                found[f"{label}_ratio"] = _ratio(start.samples, reference.samples)
                found[f"{label}_cpu_ratio"] = _ratio(start.samples, reference.samples, "cpu_ms")


# ---------------------------------------------------------------- profile

def profile(function: str, *, top: int = 40, reference: bool = False) -> str:
    """cProfile of one cold start, init + first request, of a function (or of
    its family's reference): the functions by cumulative time, and the self
    time summed per top-level package."""
    import io
    import pstats

    from localrun.runtime import LocalRuntime

    with Site() as site, LocalRuntime(ROOT, port=None, seed=True, events=False, throttling=False) as runtime, \
            tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp_name:
        tmp, requests = Path(tmp_name), Requests(runtime)
        if reference:
            family = family_of(function, requests.routes)[0]
            code_dir, handler = REFERENCES / family, "app.lambda_handler"
            env = child_env(runtime.function_env(REPRESENTATIVES[family]), site, code_dir, REFERENCES / "common")
            make = requests.event(REPRESENTATIVES[family])
        else:
            spec = runtime.functions[function]
            code_dir, handler = spec.code_uri, spec.handler
            env = child_env(runtime.function_env(function), site, spec.code_uri)
            make = requests.event(function)
        stats_file = tmp / "first.prof"
        _run_child(Start(function, True, code_dir, handler, {**env, "BENCH_PROFILE": str(stats_file)}, make), tmp)
        out = io.StringIO()
        stats = pstats.Stats(str(stats_file), stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        packages: dict[str, float] = {}
        for (path, _, _), (_, _, self_time, _, _) in stats.stats.items():
            packages[_package_of(path)] = packages.get(_package_of(path), 0.0) + self_time
        out.write("self time by package (ms): " + ", ".join(
            f"{name} {seconds * 1000:.0f}" for name, seconds in sorted(packages.items(), key=lambda kv: -kv[1])
            if seconds >= 0.001) + "\n")
        return out.getvalue()


def _package_of(path: str) -> str:
    parts = Path(path).parts
    for marker in ("python", "runtime"):  # the layer (/opt/python) or the runtime's site
        if marker in parts and parts.index(marker) + 1 < len(parts) and "bench-" in str(Path(*parts[:-1])):
            return parts[parts.index(marker) + 1].removesuffix(".pyc").removesuffix(".py")
    return "(stdlib)" if path.startswith(sys.base_prefix) or path.startswith("<") else Path(path).parent.name


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="cProfile one cold start (init + first request) of a function")
    parser.add_argument("--profile", required=True, metavar="LOGICAL_ID")
    parser.add_argument("--reference", action="store_true", help="profile its family's reference handler instead")
    parser.add_argument("--top", type=int, default=40)
    arguments = parser.parse_args()
    print(profile(arguments.profile, top=arguments.top, reference=arguments.reference))
