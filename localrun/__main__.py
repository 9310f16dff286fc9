"""`python -m localrun serve` and `python -m localrun invoke <LogicalId> <event.json>`:
the docker-free twins of `sam local start-api` and `sam local invoke`."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

from localrun.runtime import LocalRuntime
from localrun.seed import LOCAL_ACCOUNTS
from localrun.tokens import fill_token_placeholders

REPO_ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ serve

def serve(_args: argparse.Namespace) -> int:
    stop = threading.Event()
    # Both only set the flag: the main thread leaves the `with` and the
    # runtime stops everything it started, workers included.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalRuntime(REPO_ROOT, port=int(os.environ.get("PORT", "3000"))) as runtime:
        if runtime.mode != "stack":
            runtime.seed_demo_order()
        print(banner(runtime), flush=True)
        while not stop.wait(timeout=0.2):
            pass
    print("stopped", file=sys.stderr, flush=True)
    return 0


def banner(runtime: LocalRuntime) -> str:
    where = {
        "embedded": f"embedded moto server at {runtime.aws_endpoint}",
        "endpoint": f"AWS endpoint {runtime.aws_endpoint}",
        "stack": f"deployed stack {os.environ.get('STACK_NAME')} ({runtime.region})",
    }[runtime.mode]
    lines = [f"Refund Requests API (local) on {runtime.url}", f"  mode: {runtime.mode} - {where}",
             "  routes:"]
    lines += [f"    {r.method:<7} {r.path:<30} {r.function}" for r in runtime.routes]
    if runtime.mode == "stack":
        lines.append("  accounts: those of the stack (nothing is seeded into it)")
    else:
        lines.append(f"  accounts:  {'login':<16}{'password':<16}{'role':<10}merchant")
        lines += [f"             {a.login:<16}{a.password:<16}{a.role:<10}{a.merchant_id or '-'}"
                  for a in LOCAL_ACCOUNTS]
        lines.append("  demo order: 1001 (merchant demo, paid, 59.50 USD)")
    lines += ["  get a token:",
              f"    curl -s -X POST {runtime.url}/v1/auth/token -H 'Content-Type: application/json' "
              """-d '{"login":"demo","password":"demo-secret"}'""",
              "  Ctrl-C stops."]
    return "\n".join(lines)


# ----------------------------------------------------------------- invoke

def invoke(args: argparse.Namespace) -> int:
    event = json.loads(sys.stdin.read() if args.event == "-" else Path(args.event).read_text())
    runtime = LocalRuntime(REPO_ROOT, port=None)
    if args.function not in runtime.functions:
        print(f"{args.function} is not a function of template.yaml; its functions: "
              f"{', '.join(runtime.functions)}", file=sys.stderr)
        return 2
    # stdout carries the response alone (pipe it to jq); everything else is a log.
    with redirect_stdout(sys.stderr), runtime:
        invocation = runtime.invocation(args.function, prepare_event(runtime, event))
    print(f"REPORT RequestId: {invocation.request_id} Duration: {invocation.duration_ms:.0f} ms "
          f"{'(cold start) ' if invocation.cold else ''}Outcome: {invocation.outcome}", file=sys.stderr)
    if invocation.ok:
        print(json.dumps(invocation.payload))
        return 0
    error = invocation.payload or {}
    # What `sam local invoke` prints for a failed invocation.
    print(json.dumps({"errorType": error.get("type"), "errorMessage": error.get("message"),
                      "stackTrace": error.get("trace", [])}))
    return 1


def prepare_event(runtime: LocalRuntime, event: dict) -> dict:
    """A sample event made ready to run: the demo order it refers to exists
    (local modes), `{{token:<login>}}` in its headers is a fresh token, and
    `{{refund:demo}}` in its path is the id of a fresh demo refund (REQUESTED)."""
    if runtime.mode != "stack":
        runtime.seed_demo_order()
    return fill_token_placeholders(fill_refund_placeholders(event, runtime.demo_refund_id), runtime.token)


REFUND_PLACEHOLDER = re.compile(r"\{\{refund:([^}]+)\}\}")


def fill_refund_placeholders(event: dict, demo_refund_id: Callable[[], str]) -> dict:
    """The event with `{{refund:demo}}` replaced by the demo refund's id
    wherever the id appears: path, pathParameters, requestContext.path (the
    resource and resourcePath keep their `{refundId}`). The demo refund is
    only looked up, or opened, when the event names it."""
    found: dict[str, str] = {}

    def refund_id(match: re.Match) -> str:
        if match.group(1) != "demo":
            raise ValueError(f"unknown refund placeholder {match.group(0)}; only {{{{refund:demo}}}} exists")
        if "demo" not in found:
            found["demo"] = demo_refund_id()
        return found["demo"]

    def fill(value):
        return REFUND_PLACEHOLDER.sub(refund_id, value) if isinstance(value, str) else value

    filled = dict(event)
    filled["path"] = fill(event.get("path"))
    if isinstance(event.get("pathParameters"), dict):
        filled["pathParameters"] = {name: fill(value) for name, value in event["pathParameters"].items()}
    if isinstance(event.get("requestContext"), dict) and "path" in event["requestContext"]:
        filled["requestContext"] = {**event["requestContext"], "path": fill(event["requestContext"]["path"])}
    return filled


# ------------------------------------------------------------------- main

def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    commands = cli.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the API on 127.0.0.1:$PORT (default 3000)") \
        .set_defaults(run=serve)
    one = commands.add_parser("invoke", help="run one event through one function, print its response")
    one.add_argument("function", help="the function's logical id in template.yaml, e.g. CreateRefundFunction")
    one.add_argument("event", help="an event JSON file ('-' reads stdin); "
                                   "{{token:<login>}} in its headers becomes a fresh token")
    one.set_defaults(run=invoke)
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
