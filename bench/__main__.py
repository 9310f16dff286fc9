"""`make bench`: measure the cold start, the AWS round trips, the CPU and
memory of a warm request and the layer's size; write bench/results.json and
the "Cold start, round trips, CPU, package" section of docs/benchmarks.md.

A missed budget is reported (the table says by how much), never an error:
the exit status is non-zero only when something could not be measured.
--quick (CI): one run per timing, three functions' cold imports, a few warm
requests; writes bench/results-quick.json and prints the table instead of
touching the committed results and document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from datetime import date
from pathlib import Path

from bench import cold, first_request, warm

ROOT = cold.ROOT
RESULTS = ROOT / "bench" / "results.json"
QUICK_RESULTS = ROOT / "bench" / "results-quick.json"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

QUICK_FUNCTIONS = ("CreateRefundFunction", "GetRefundFunction", "ListRefundsFunction")
COLD_BUDGET_FACTOR = 1.3
# The budgets: at most this many round trips on a warm function.
ROUND_TRIP_BUDGETS = {"create_refund": 2, "create_refund_idempotent": 4, "get_refund": 1, "list_refunds": 1,
                      "decision": 2, "put_order": 2, "auth_token": 0}
ROUND_TRIP_NOTES = {"create_refund": "read the order, one transaction",
                    "create_refund_idempotent": "create + at most 2 for the Idempotency-Key",
                    "get_refund": "", "list_refunds": "one page", "decision": "", "put_order": "1 or 2",
                    "auth_token": "a request after the first, another token of the same login"}
# Warm CPU of ours per request (µs): a get within half a millisecond.
OVERHEAD_BUDGETS_US = {"create_refund": 1000, "get_refund": 500, "list_refunds": 1000}
# Init, and init + first request, over the hand-written reference's (bench/first_request.py).
COLD_INIT_RATIO_BUDGET = 1.10
COLD_REQUEST_RATIO_BUDGET, COLD_REQUEST_RATIO_STRETCH = 1.25, 1.10
LAYER_BUDGET_BYTES = 10 * 1024 * 1024  # 10 MB as Lambda counts its size limits (MiB)
# Where the same requests run with which function (results' names).
RSS_FUNCTIONS = {"create_refund": "CreateRefundFunction"}


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure(quick: bool) -> tuple[dict, dict]:
    """(results with exactly the issue's keys, details for the document)."""
    runs = 1 if quick else 7
    specs = cold.function_specs()
    names = [name for name in specs if not quick or name in QUICK_FUNCTIONS]
    details: dict = {"load_before": os.getloadavg(), "started": time.time()}
    with cold.Site() as site:
        log(f"floor and {len(names)} cold imports ({runs} round(s) after a warm-up round)")
        starts = {"floor": cold.floor_start(site), **{name: cold.function_start(specs[name], site) for name in names}}
        timed = cold.cold_starts(starts, runs)
        floor = timed.pop("floor")
        cold_ms = {name: round(wall, 1) for name, (wall, _) in timed.items()}
        details["cpu_ms"] = {"floor": round(floor[1], 1), **{name: round(cpu, 1) for name, (_, cpu) in timed.items()}}
        floor = floor[0]
        log("-X importtime of CreateRefundFunction's handler and of the floor")
        details["import_breakdown"] = cold.import_breakdown(specs["CreateRefundFunction"], site)
        details["floor_breakdown"] = cold.import_breakdown(specs["CreateRefundFunction"], site,
                                                           code=cold.FLOOR_CODE)
        found = warm.measure(site, quick=quick, log=log)
        details["first"] = first_request.measure(site, list(QUICK_FUNCTIONS) if quick else None, runs=runs,
                                                 log=log)
    layer = cold.layer_sizes()
    details.update(layer=layer, sam_build_layer_bytes=cold.sam_build_layer_bytes(), findings=found,
                   code_bytes={name: cold.function_code_bytes(spec) for name, spec in specs.items()},
                   api_functions=cold.api_functions(), memory={name: spec.memory_size for name, spec in specs.items()},
                   runs=runs, quick=quick, load_after=os.getloadavg(), finished=time.time())
    results = {
        "floor_ms": round(floor, 1),
        "cold_import_ms": cold_ms,
        "round_trips": {name: found.round_trips[name] for name in ROUND_TRIP_BUDGETS},
        "warm_overhead_us": {name: found.own_overhead_us[name]
                             for name in ("create_refund", "get_refund", "list_refunds")},
        "layer_unzipped_bytes": layer["bytes"],
        "peak_rss_mb": {name: found.peak_rss_mb[function] for name, function in RSS_FUNCTIONS.items()},
        "cold_init_ratio": _ratios(details["first"], "init_ratio"),
        "cold_request_ratio": _ratios(details["first"], "request_ratio"),
    }
    return results, details


def _ratios(figures: first_request.Figures, key: str) -> dict[str, float]:
    """{function: median ratio} of the functions measured against a reference."""
    return {name: found[key]["median"] for name, found in figures.functions.items() if key in found}


# ---------------------------------------------------------------- report

def _verdict(measured: float, budget: float) -> str:
    return "ok" if measured <= budget else "**miss**"


def _ratio(measured: float, budget: float) -> str:
    return f"{measured / budget:.2f}" if budget else "-"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.2f} MiB"


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{os.cpu_count()} CPU(s), {model}; {platform.system()} {platform.release()} {platform.machine()}"


def render(results: dict, details: dict) -> str:
    floor = results["floor_ms"]
    cold_budget = COLD_BUDGET_FACTOR * floor
    found = details["findings"]
    lines = [
        BEGIN,
        "## Cold start, round trips, CPU, package (`make bench`)",
        "",
        f"`make bench` (`python -m bench{' --quick' if details['quick'] else ''}`), "
        f"{date.fromtimestamp(details['started']).isoformat()}; figures in `bench/results.json`.",
        "",
        f"- Machine: {_machine()}; Python {platform.python_version()} (the Lambda runtime's 3.13). "
        f"The machine is **shared and busy** (other engineers' test runs): load average "
        f"{details['load_before'][0]:.1f} when the run began, {details['load_after'][0]:.1f} when it ended, "
        f"on {os.cpu_count()} cores. Absolute times are slower than on Lambda's arm64 and vary from run to run; "
        "the ratios to the floor, measured in the same minutes on the same interpreter, say more.",
        f"- Timings are medians of {details['runs']} run(s) after a warm-up run (page caches filled). "
        "A cold import is the wall time of a fresh interpreter (`python -S -P -c 'import app; app.lambda_handler'`) "
        "started as Lambda starts one: the function's directory, the layer and the runtime's boto3 on "
        "`sys.path` and nothing else (the virtualenv's other packages, e.g. cryptography that pyjwt would "
        "pick up, are not importable). The layer is the one that deploys: a copy of what `sam build` keeps, "
        "compiled by the same `shared/Makefile` target (libraries as bytecode only, refunds_core with its "
        "sources), and nothing writes bytecode during the runs (`/opt` and `/var/task` are read-only on "
        "Lambda). The function's template environment with dummy values, dummy credentials, `AWS_REGION`, "
        "X-Ray tracing on (`Tracing: Active`: botocore is patched when the first client is made) and an AWS "
        "endpoint on a closed loopback port. The floor is the same "
        "interpreter running `import boto3; boto3.client('dynamodb')`, timed in the same rounds (one run "
        "of each start, then the next round), so a change of load weighs on all alike. The handler import "
        "makes no client (the first request does): the floor's client creation is headroom the import gets.",
        "- Round trips: HTTP requests counted with botocore's `before-send` event on every client, for one "
        "warm request (after two warm-up requests filled the signing key, account and client caches), run in "
        "this process with the function's environment against the embedded AWS (moto on loopback).",
        "- Warm CPU: thread CPU time (`time.thread_time_ns`) of one warm request through the handler, the AWS "
        "answers recorded from a real request and handed back by a `before-call` hook (as botocore's Stubber "
        "does: no signing, network or response parsing). \"Ours\", the budgeted figure, is that less the CPU "
        "spent inside the SDK's client calls (from their first event, `provide-client-params`, to their last, "
        "`after-call`: botocore's request serialization, user-agent and endpoint resolution), i.e. the layer, "
        "Powertools, pydantic and pyjwt; the details give the stubbed total too, and one with the answers "
        "handed back at `before-send` (botocore's signing and parsing count, the network does not). Log and "
        "metric lines are written (to /dev/null).",
        "- Layer: shared/ (refunds_core) plus the distributions `shared/requirements.txt` resolves to, as "
        "installed for this interpreter (the same pins `sam build` installs) and compiled as the build "
        "compiles them (the bytes counted are the `.pyc` that replace the libraries' sources, and "
        "refunds_core's sources and bytecode), without what the python3.13 runtime already provides (boto3, botocore, "
        "s3transfer, jmespath, python-dateutil, six, urllib3) and without what `shared/layer-prune.txt` names "
        "(`sam build` deletes it from the layer; the cold imports and the RSS process run on a `sys.path` "
        "without it too). The x86_64 wheels measured here and the arm64 ones `sam build` ships differ by a "
        "few percent (pydantic-core's extension).",
        "- Peak RSS: a fresh process (same `sys.path` as the cold import) imports the handler and serves "
        f"{'3' if details['quick'] else '50'} warm create-refund requests against the embedded AWS; its "
        "`VmHWM` (ru_maxrss is not used: Linux carries the parent's peak into a child over fork and exec).",
        "",
        "### Budgets",
        "",
        "| what | budget | measured | ratio | |",
        "|---|---:|---:|---:|---|",
        f"| floor: `import boto3` + one client | - | {floor:.0f} ms | - | |",
    ]
    for name, ms in results["cold_import_ms"].items():
        if name in details["api_functions"]:
            lines.append(f"| cold import {name} | <= {cold_budget:.0f} ms (1.3 x floor) | "
                         f"{ms:.0f} ms ({ms / floor:.2f} x floor) | {_ratio(ms, cold_budget)} | "
                         f"{_verdict(ms, cold_budget)} |")
    for name, count in results["round_trips"].items():
        budget = ROUND_TRIP_BUDGETS[name]
        note = f" ({ROUND_TRIP_NOTES[name]})" if ROUND_TRIP_NOTES[name] else ""
        lines.append(f"| round trips {name}{note} | <= {budget} | {count} | {_ratio(count, budget)} | "
                     f"{_verdict(count, budget)} |")
    for name, us in results["warm_overhead_us"].items():
        budget = OVERHEAD_BUDGETS_US[name]
        lines.append(f"| warm CPU {name} (ours: the SDK's client calls excluded) | <= {budget} µs | {us:.0f} µs | "
                     f"{_ratio(us, budget)} | {_verdict(us, budget)} |")
    layer = results["layer_unzipped_bytes"]
    lines.append(f"| layer unzipped, without the runtime's boto3 | <= {_mb(LAYER_BUDGET_BYTES)} | "
                 f"{_mb(layer)} ({layer:,} B) | {_ratio(layer, LAYER_BUDGET_BYTES)} | "
                 f"{_verdict(layer, LAYER_BUDGET_BYTES)} |")
    for name, mb in results["peak_rss_mb"].items():
        memory = details["memory"][RSS_FUNCTIONS[name]]
        lines.append(f"| peak RSS {name} | no budget (MemorySize {memory} MB) | {mb:.0f} MiB | - | |")

    lines += render_first_request(details["first"])
    other = {name: ms for name, ms in results["cold_import_ms"].items() if name not in details["api_functions"]}
    lines += ["", "### Details", ""]
    cpu = details["cpu_ms"]
    lines.append(f"- CPU time (user + system) of the same processes, less sensitive to the machine's load than "
                 f"the wall time: floor {cpu['floor']:.0f} ms; " + ", ".join(
                     f"{name} {ms:.0f} ms ({ms / cpu['floor']:.2f} x)" for name, ms in cpu.items() if name != "floor")
                 + ".")
    if other:
        lines.append("- Cold import of the event functions (no budget: no client waits on them): "
                     + ", ".join(f"{name} {ms:.0f} ms ({ms / floor:.2f} x floor)" for name, ms in other.items()) + ".")
    lines.append("- What each counted request sent: " + "; ".join(
        f"{name}: {', '.join(calls) or 'nothing'}" for name, calls in found.calls.items()) + ".")
    if "get_refund_account_uncached" in found.round_trips:
        lines.append(f"- Revocation (docs/architecture.md): reads trust the caller's account for 1 s, so a warm get "
                     f"is {found.round_trips['get_refund']} round trip; trusting no cache would make it "
                     f"{found.round_trips['get_refund_account_uncached']} (a BatchGetItem of the login and merchant "
                     "on every read, ~3-5 ms in-region and 1 read unit each). Writes trust no cache either way: "
                     "the account checks ride in their own transaction, at no extra round trip.")
    if "decision_issue" in found.round_trips:
        lines.append(f"- The decision that moves money, ISSUE, takes {found.round_trips['decision_issue']} round "
                     "trips, over the budget's 2 for a decision (APPROVE's, above): it reads the refund, then the "
                     "order the refund names (the route has only the refund's id, so one BatchGetItem cannot read "
                     "both), then one transaction moves the refund and the order's counters, conditioned on what "
                     "was read.")
    lines.append("- Warm CPU, ours / with the SDK's request building (AWS answers stubbed at `before-call`) / "
                 "with the SDK's signing and parsing too (answers at `before-send`): " + "; ".join(
        f"{name} {found.own_overhead_us[name]:.0f} / {found.overhead_us[name]:.0f} / "
        f"{found.wire_overhead_us[name]:.0f} µs"
        for name in found.overhead_us) + ". The warm requests reuse one token, which this environment "
        f"already checked (a cache hit); a token it has not seen costs {found.token_check_us:.0f} µs more "
        "(pyjwt's decode and our claims checks), once per token and signing key. Tracing is off in these "
        "in-process requests (the Tracer needs Lambda's trace context); on Lambda a warm request with two "
        "DynamoDB calls adds ~0.2-0.4 ms of the Tracer's CPU (measured once by hand, see below).")
    for name, function in RSS_FUNCTIONS.items():
        first = found.first_request[function]
        lines.append(f"- {name}'s process: {found.rss_after_import_mb[function]:.0f} MiB after the import, "
                     f"{found.peak_rss_mb[function]:.0f} MiB at its peak. Its CPU: the import "
                     f"{first['import_cpu_ms']:.0f} ms (interpreter start-up not included), the first request "
                     f"{first['first_request_cpu_ms']:.0f} ms (what the import leaves to it: the DynamoDB and "
                     f"Secrets Manager clients, the signing key and the account read, the request model built), "
                     f"a later one {first['later_request_cpu_ms']:.1f} ms (SDK and embedded AWS's answers "
                     "included): a cold start is the import and the first request.")
    ours, base = details["import_breakdown"], details["floor_breakdown"]
    lines += ["", "Where CreateRefundFunction's import time goes (`python -X importtime`, self time summed per "
              "top-level package, one run; importtime's own bookkeeping inflates the totals), against the floor's:",
              "", "| package | handler import ms | floor ms |", "|---|---:|---:|"]
    for package, ms in ours.items():
        if ms >= 1 or base.get(package, 0) >= 1:
            lines.append(f"| {package} | {ms:.0f} | {base.get(package, 0):.0f} |")
    lines.append(f"| total | {sum(ours.values()):.0f} | {sum(base.values()):.0f} |")
    packages = details["layer"]["packages"]
    lines += ["", "The layer by distribution (unzipped bytes): " + ", ".join(
        f"{name} {size:,}" for name, size in packages.items()) + f"; total {layer:,}. "
        f"Not counted, the runtime provides them: {details['layer']['runtime_provided_bytes']:,} bytes "
        f"({', '.join(details['layer']['runtime_provided'])}). Pruned (`shared/layer-prune.txt`): "
        + ", ".join(f"`{pattern}` {size:,}" for pattern, size in details["layer"]["pruned"].items())
        + f"; {details['layer']['pruned_bytes']:,} bytes in all."]
    if details["sam_build_layer_bytes"] is not None:
        lines[-1] += (f" Cross-check: `.aws-sam/build/SharedLayer` (the last `make build`, arm64) holds "
                      f"{details['sam_build_layer_bytes']:,} bytes without the runtime's packages, pruned as above.")
    code = details["code_bytes"]
    lines += ["", f"Each function's own code: {min(code.values()):,} to {max(code.values()):,} bytes "
              f"({', '.join(f'{name} {size:,}' for name, size in code.items())}).", "", END]
    return "\n".join(lines)


def _iqr(found: dict, unit: str = "") -> str:
    low, high = found["iqr"] if "iqr" in found else found["wall_iqr_ms"]
    return f"{low:.2f}-{high:.2f}" if not unit else f"{low:.0f}-{high:.0f}"


def render_first_request(figures: first_request.Figures) -> list[str]:
    """The table of init and init + first request against the references, and what is unbudgeted."""
    lines = ["", "### Init and first request, against hand-written references", "",
             f"What a merchant's first request after a quiet period waits for (`bench/first_request.py`): **init** "
             f"(a fresh interpreter imports the handler, then `os._exit`: Lambda runs no interpreter shutdown) and "
             f"**init + first request** (the same, then one realistic request: the function's sample event of "
             f"`events/` with fresh data, against the embedded AWS: clients made, signing key and account read, "
             f"token checked, models built, the answer logged and traced). Each is divided by the same figure of "
             f"the hand-written reference handler of the function's family (`bench/reference/`: json + boto3 "
             f"only, clients made at import, the same AWS calls), timed in the same round; "
             f"{figures.runs} round(s) after a warm-up round, all starts round-robin; the ratio is the median of "
             f"the rounds' ratios, with their interquartile range. Budgets: init <= "
             f"{COLD_INIT_RATIO_BUDGET:.2f}, init + first request <= {COLD_REQUEST_RATIO_BUDGET:.2f} "
             f"(stretch {COLD_REQUEST_RATIO_STRETCH:.2f}).", "",
             "| function | family | init ms (IQR) | init ratio (IQR) | | init + first request ms (IQR) | "
             "ratio (IQR) | |", "|---|---|---:|---:|---|---:|---:|---|"]
    unbudgeted = []
    for name, found in figures.functions.items():
        if found.get("family") is None or "failure" in found or "request_ratio" not in found:
            unbudgeted.append((name, found))
            continue
        init, request = found["init"], found["request"]
        init_ratio, request_ratio = found["init_ratio"], found["request_ratio"]
        stretch = " (stretch ok)" if request_ratio["median"] <= COLD_REQUEST_RATIO_STRETCH else ""
        family = found["family"] + (" (inferred)" if found["inferred"] else "")
        lines.append(f"| {name} | {family} | {init['wall_ms']:.0f} ({_iqr(init, 'ms')}) | "
                     f"{init_ratio['median']:.2f} ({_iqr(init_ratio)}) | "
                     f"{_verdict(init_ratio['median'], COLD_INIT_RATIO_BUDGET)} | "
                     f"{request['wall_ms']:.0f} ({_iqr(request, 'ms')}) | {request_ratio['median']:.2f} "
                     f"({_iqr(request_ratio)}) | {_verdict(request_ratio['median'], COLD_REQUEST_RATIO_BUDGET)}"
                     f"{stretch} |")
    for family, found in figures.references.items():
        if "init" in found and "request" in found:
            lines.append(f"| *reference {family}* (serves {found['serves']}'s request) | {family} | "
                         f"{found['init']['wall_ms']:.0f} ({_iqr(found['init'], 'ms')}) | 1 | | "
                         f"{found['request']['wall_ms']:.0f} ({_iqr(found['request'], 'ms')}) | 1 | |")
    lines.append("")
    for name, found in unbudgeted:
        why = found.get("failure") or ("no family: no reference makes its calls" if found.get("family") is None
                                       else "its reference could not be measured")
        measured = ", ".join(f"{label} {found[label]['wall_ms']:.0f} ms" for label in ("init", "request")
                             if label in found)
        lines.append(f"- Unbudgeted: {name}{f' ({measured})' if measured else ''}: {why}.")
    cpu = [f"{name} {found['init_cpu_ratio']['median']:.2f} / {found['request_cpu_ratio']['median']:.2f}"
           for name, found in figures.functions.items() if "request_cpu_ratio" in found]
    if cpu:
        lines.append("- The same ratios in CPU time (user + system of the process; the waits on the embedded AWS "
                     "do not count), init / init + first request: " + ", ".join(cpu) + ".")
    for family, found in figures.references.items():
        for label in ("init", "request"):
            if f"{label}_failure" in found:
                lines.append(f"- reference {family} ({label}) failed: {found[f'{label}_failure']}")
    for name, found in [*figures.functions.items(), *((f"reference {f}", x) for f, x in figures.references.items())]:
        for label in ("init", "request"):
            for failed in found.get(f"{label}_failed_rounds", []):
                lines.append(f"- A round of {name} ({label}) failed and is left out of its ratio: {failed[:300]}")
    sent = [f"{name}: {', '.join(calls)}" for name, calls in figures.calls.items()]
    if sent:
        lines.append("- What each first request sent (ours and the references'): " + "; ".join(sent) + ".")
    return lines


def write_doc(path: Path, section: str) -> None:
    """Replace the text between the markers; the first time, put the section
    after the title, before the load test's section (which `make load`
    rewrites up to the next "## " heading: ours is never inside it)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    else:
        title, newline, rest = text.partition("\n")
        text = f"{title}{newline}\n{section}\n\n{rest.lstrip(chr(10))}" if title.startswith("# ") \
            else f"{section}\n\n{text}"
    path.write_text(text.rstrip("\n") + "\n")


def check_keys(results: dict) -> None:
    expected = {"floor_ms", "cold_import_ms", "round_trips", "warm_overhead_us", "layer_unzipped_bytes",
                "peak_rss_mb", "cold_init_ratio", "cold_request_ratio"}
    if set(results) != expected or set(results["round_trips"]) != set(ROUND_TRIP_BUDGETS):
        raise RuntimeError(f"results.json keys: {sorted(results)}, round trips {sorted(results['round_trips'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI: fewer runs and functions; touches no committed file")
    parser.add_argument("--out", type=Path, help=f"results file (default {RESULTS.relative_to(ROOT)}, "
                                                 f"--quick: {QUICK_RESULTS.relative_to(ROOT)})")
    parser.add_argument("--doc", type=Path, help=f"document to write the section to (default "
                                                 f"{DOC.relative_to(ROOT)}; --quick: none, the table is printed)")
    args = parser.parse_args(argv)
    results, details = measure(args.quick)
    check_keys(results)
    out = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    out.write_text(json.dumps(results, indent=2) + "\n")
    section = render(results, details)
    doc = args.doc or (None if args.quick else DOC)
    if doc is not None:
        write_doc(doc, section)
        log(f"written {out} and {doc}'s section")
    else:
        print(section)
        log(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
