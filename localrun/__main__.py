"""`python -m localrun serve` and `python -m localrun invoke <LogicalId> <event.json>`:
the docker-free twins of `sam local start-api` and `sam local invoke`;
`python -m localrun expand`: template.yaml as CloudFormation reads it."""

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

from localrun import template as cfn
from localrun.lambda_pool import shows_metrics
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
    lines = [f"Refund Requests API (local) on {runtime.url}",
             f"  console: {runtime.url}/console/ (sign in with an account below; docs/console.md)",
             f"  mode: {runtime.mode} - {where}", "  routes:"]
    lines += [f"    {r.method:<7} {r.path:<30} {r.function}" for r in runtime.routes]
    if runtime.mode == "stack":
        lines.append("  accounts: those of the stack (nothing is seeded into it)")
    else:
        lines.append(f"  accounts:  {'login':<16}{'password':<16}{'role':<10}merchant")
        lines += [f"             {a.login:<16}{a.password:<16}{a.role:<10}{a.merchant_id or '-'}"
                  for a in LOCAL_ACCOUNTS]
        lines.append("  connections (seed 003's connectionId; GET /v1/connections lists them):")
        lines += [f"             {a.merchant_id:<16}{a.connection_id}" for a in LOCAL_ACCOUNTS if a.connection_id]
        lines.append("  demo order: 1001 (merchant demo, paid, 59.50 USD)")
    lines += throttling_banner(runtime)
    lines += events_banner(runtime)
    metrics = "shown" if shows_metrics(dict(os.environ)) else "left out of the log; LOCAL_SHOW_METRICS=1 shows them"
    lines.append(f"  metrics: the functions' CloudWatch metric lines (EMF) are {metrics}")
    lines += ["  get a token:",
              f"    curl -s -X POST {runtime.url}/v1/auth/token -H 'Content-Type: application/json' "
              """-d '{"login":"demo","password":"demo-secret"}'""",
              "  Ctrl-C stops."]
    return "\n".join(lines)


def throttling_banner(runtime: LocalRuntime) -> list[str]:
    throttles = [t for api in runtime.apis.values() if api.throttle for t in api.throttle.throttles]
    if not throttles:
        return ["  throttling: off"]
    lines = ["  throttling (the template's MethodSettings; 429 15150 with Retry-After beyond them):"]
    default = "every route, each" if len(throttles) == 1 else "every other route, each"
    for t in throttles:
        where = default if t.resource_path == "/*" else f"{t.http_method} {t.resource_path}"
        lines.append(f"    {where:<38} {t.rate:g} requests/s, burst {t.burst}")
    lines.append("    (THROTTLE_RATE_LIMIT, THROTTLE_BURST_LIMIT change them)")
    return lines


def events_banner(runtime: LocalRuntime) -> list[str]:
    if runtime.events is None:
        return ["  events: run by the deployed stack's own event source mappings (nothing pumped here)"]
    env = runtime.function_env(next(iter(runtime.functions)))
    where = "the embedded AWS" if runtime.mode == "embedded" else runtime.aws_endpoint
    lines = [f"  events: live, pumped from {where} as Lambda's event source mappings would:"]
    for source in runtime.events.sources:
        arn = getattr(source, "stream_arn", None) or source.queue_arn
        what = (f"stream of table {arn.split(':', 5)[-1].split('/')[1]}" if arn.startswith("arn:aws:dynamodb:")
                else f"queue {arn.rsplit(':', 1)[-1]}")
        lines.append(f"    {what:<38} -> {source.function}")
    lines += ["  webhooks: a refund's status change reaches an endpoint on http://127.0.0.1 within seconds",
              f"    (WEBHOOK_ALLOW_LOOPBACK={env.get('WEBHOOK_ALLOW_LOOPBACK')}; retries after "
              f"WEBHOOK_RETRY_SCHEDULE={env.get('WEBHOOK_RETRY_SCHEDULE')} s: set either to change it)"]
    return lines


# ----------------------------------------------------------------- invoke

INVOKE_USAGE = ("usage: make invoke FN=<LogicalId> EVENT=events/<file>.json "
                "(e.g. FN=CreateRefundFunction EVENT=events/create_refund.json)")


def invoke(args: argparse.Namespace) -> int:
    try:
        event = read_event(args.event)
    except ValueError as problem:
        samples = sorted(path.name for path in (REPO_ROOT / "events").glob("*.json"))
        print(f"{problem}\n{INVOKE_USAGE}\nsample events in events/: {', '.join(samples)}", file=sys.stderr)
        return 2
    # Like `sam local invoke`: the one event only, no stream or queue is pumped.
    runtime = LocalRuntime(REPO_ROOT, port=None, events=False)
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


def read_event(name: str) -> dict:
    """The event of a file ('-': stdin); ValueError saying what is wrong with it."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the event file {name}: {exc.strerror}") from exc
    try:
        event = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the event file {name} is not JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise ValueError(f"the event file {name} holds no JSON object")
    return event


def prepare_event(runtime: LocalRuntime, event: dict) -> dict:
    """A sample event made ready to run: the demo order it refers to exists
    (local modes), `{{token:<login>}}` in its headers is a fresh token,
    `{{refund:demo}}` in its path is the id of a fresh demo refund (REQUESTED),
    and `{{refund-order:demo}}` its order's id (seed 004's paths name both),
    `{{refund-number:demo}}` the number (seed 002's id) of one,
    `{{order:demo}}` in its body the integer id of a fresh paid demo order,
    `{{webhook:demo}}` the id of demo's endpoint for the URL of
    events/create_webhook.json (registered through the API when it has none),
    `{{apikey:demo}}` the id of one of demo's API keys (likewise), and
    `{{event:demo}}` the id of a fresh demo refund's refund.created; and in
    test mode (docs/test-mode.md), `{{test-token:<login>}}` a test-mode token
    and `{{test-refund:demo}}` a fresh test-mode demo refund."""
    if runtime.mode != "stack":
        runtime.seed_demo_order()
    if REFUND_ORDER_PLACEHOLDER.search(json.dumps(event)):  # the refund's order too: one refund for both
        refund_id, order_id = runtime.demo_refund_and_order()
        event = fill_refund_placeholders(event, lambda: order_id, REFUND_ORDER_PLACEHOLDER)
        event = fill_refund_placeholders(event, lambda: refund_id)
    event = fill_refund_placeholders(event, runtime.demo_refund_id)
    event = fill_refund_placeholders(event, lambda: runtime.demo_refund_id("test"), TEST_REFUND_PLACEHOLDER)
    event = fill_refund_placeholders(event, runtime.demo_refund_number, REFUND_NUMBER_PLACEHOLDER)
    event = fill_refund_placeholders(event, runtime.demo_order_number, ORDER_PLACEHOLDER)
    event = fill_refund_placeholders(event, lambda: demo_webhook_id(runtime), WEBHOOK_PLACEHOLDER)
    event = fill_refund_placeholders(event, lambda: demo_api_key_id(runtime), API_KEY_PLACEHOLDER)
    event = fill_refund_placeholders(event, lambda: demo_event_id(runtime), EVENT_PLACEHOLDER)
    return fill_token_placeholders(event, runtime.token)


REFUND_PLACEHOLDER = re.compile(r"\{\{(refund):([^}]+)\}\}")
TEST_REFUND_PLACEHOLDER = re.compile(r"\{\{(test-refund):([^}]+)\}\}")
REFUND_NUMBER_PLACEHOLDER = re.compile(r"\{\{(refund-number):([^}]+)\}\}")
REFUND_ORDER_PLACEHOLDER = re.compile(r"\{\{(refund-order):([^}]+)\}\}")
ORDER_PLACEHOLDER = re.compile(r"\{\{(order):([^}]+)\}\}")
WEBHOOK_PLACEHOLDER = re.compile(r"\{\{(webhook):([^}]+)\}\}")
API_KEY_PLACEHOLDER = re.compile(r"\{\{(apikey):([^}]+)\}\}")
EVENT_PLACEHOLDER = re.compile(r"\{\{(event):([^}]+)\}\}")


def demo_webhook_id(runtime: LocalRuntime) -> str:
    """The id of demo's endpoint for create_webhook.json's URL: the first one
    GET /v1/webhooks lists, else one POST /v1/webhooks registers (both through
    the functions, as a merchant would), so events reuse one endpoint rather
    than piling up to the limit. Local modes only."""
    if runtime.mode == "stack":
        raise RuntimeError("the runtime seeds nothing into a deployed stack")

    url = json.loads(json.loads((REPO_ROOT / "events" / "create_webhook.json").read_text())["body"])["url"]
    listed = [endpoint["id"] for endpoint in _call(runtime, "ListWebhooksFunction", "list_webhooks.json")
              if endpoint["url"] == url]
    return listed[0] if listed else _call(runtime, "CreateWebhookFunction", "create_webhook.json")["id"]


def demo_api_key_id(runtime: LocalRuntime) -> str:
    """The id of one of demo's API keys: the newest GET /v1/api-keys lists,
    else one POST /v1/api-keys creates (through the functions), so events
    do not pile keys up to the limit. Local modes only."""
    if runtime.mode == "stack":
        raise RuntimeError("the runtime seeds nothing into a deployed stack")
    listed = [key["id"] for key in _call(runtime, "ListApiKeysFunction", "list_api_keys.json")]
    return listed[-1] if listed else _call(runtime, "CreateApiKeyFunction", "create_api_key.json")["id"]


def demo_event_id(runtime: LocalRuntime) -> str:
    """The id of a fresh demo refund's refund.created: kept with the refund, so the
    first page of that refund's events (GET /v1/events?refundId=) holds it. Local modes only."""
    refund_id = runtime.demo_refund_id()
    event = json.loads((REPO_ROOT / "events" / "list_events.json").read_text())
    event["queryStringParameters"] = {"refundId": refund_id}
    event["multiValueQueryStringParameters"] = {"refundId": [refund_id]}
    response = runtime.invoke("ListEventsFunction", fill_token_placeholders(event, runtime.token))
    if response["statusCode"] != 200:
        raise RuntimeError(f"ListEventsFunction answered {response['statusCode']}: {response['body']}")
    return json.loads(response["body"])["data"][0]["id"]


def _call(runtime: LocalRuntime, function: str, sample: str) -> dict:
    """The data a sample event of events/ gets from its function, with its tokens filled in."""
    event = json.loads((REPO_ROOT / "events" / sample).read_text())
    response = runtime.invoke(function, fill_token_placeholders(event, runtime.token))
    if response["statusCode"] not in (200, 201):
        raise RuntimeError(f"{function} answered {response['statusCode']}: {response['body']}")
    return json.loads(response["body"])["data"]


def fill_refund_placeholders(event: dict, demo_refund_id: Callable[[], str],
                             placeholder: re.Pattern = REFUND_PLACEHOLDER) -> dict:
    """The event with `{{refund:demo}}` (or another ``placeholder``, such as
    `{{webhook:demo}}`) replaced by the demo id wherever the id appears: path,
    pathParameters, requestContext.path, body (the resource and resourcePath
    keep their `{refundId}`). The demo id is only looked up, or made, when the
    event names it."""
    found: dict[str, str] = {}

    def refund_id(match: re.Match) -> str:
        kind, name = match.groups()
        if name != "demo":
            raise ValueError(f"unknown {kind} placeholder {match.group(0)}; only {{{{{kind}:demo}}}} exists")
        if "demo" not in found:
            found["demo"] = demo_refund_id()
        return found["demo"]

    def fill(value):
        return placeholder.sub(refund_id, value) if isinstance(value, str) else value

    filled = dict(event)
    if "Records" in event:  # a queue's or a stream's batch: the ids are in the messages' bodies
        filled["Records"] = [{**record, "body": fill(record.get("body"))} if "body" in record else record
                             for record in event["Records"]]
        return filled
    filled["path"] = fill(event.get("path"))
    if "body" in event:
        filled["body"] = fill(event["body"])
    if isinstance(event.get("pathParameters"), dict):
        filled["pathParameters"] = {name: fill(value) for name, value in event["pathParameters"].items()}
    if isinstance(event.get("requestContext"), dict) and "path" in event["requestContext"]:
        filled["requestContext"] = {**event["requestContext"], "path": fill(event["requestContext"]["path"])}
    return filled


# ----------------------------------------------------------------- expand

def expand(args: argparse.Namespace) -> int:
    """The template as JSON with its Fn::ForEach loops expanded: what checkov
    scans (`make template-check`), since checkov reads no loop."""
    json.dump(cfn.load_template(args.template), sys.stdout, indent=1)
    print()
    return 0


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
    whole = commands.add_parser("expand", help="print the template as JSON, its Fn::ForEach loops expanded")
    whole.add_argument("template", nargs="?", default=str(REPO_ROOT / "template.yaml"))
    whole.set_defaults(run=expand)
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
