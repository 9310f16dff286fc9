"""LocalRuntime: the whole local stack, as a context manager (`make run`, the
pytest fixtures and `python -m localrun` all use it).

Where the AWS resources live is decided from the environment when it starts:
  STACK_NAME set         -> "stack": a deployed stack's resources on real AWS
                            (nothing created, nothing seeded)
  AWS_ENDPOINT_URL set   -> "endpoint": that endpoint (an already running moto,
                            LocalStack...); the template's resources are created
                            there if missing, the local accounts seeded
  otherwise              -> "embedded": moto's server in this process, same
                            provisioning and seeding
AWS_ENDPOINT_URL_DYNAMODB alone (DynamoDB Local) is "endpoint" mode too: the
table goes there, the other services to the embedded moto.

In the local modes the template's DynamoDB stream and SQS events are pumped
to their functions (runtime.events, localrun/event_sources/), as Lambda's
event source mappings do; a deployed stack has its own mappings, and the
runtime pumps nothing there.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from contextlib import ExitStack
from pathlib import Path

from localrun import template as cfn
from localrun.console import StaticSite, template_security_headers
from localrun.embedded_aws import EmbeddedAws
from localrun.event_sources.pump import EventPump, event_pump
from localrun.gateway import ApiGateway, ApiSettings
from localrun.in_process import function_environment
from localrun.lambda_pool import FunctionPool, Invocation, LambdaPools, max_concurrency_from_env
from localrun.provision import local_client, provision, stack_physical_ids
from localrun.routing import Router
from localrun.seed import (
    open_demo_order,
    open_demo_refund,
    open_demo_refund_and_order,
    open_demo_refund_number,
    seed_accounts,
    seed_demo_order,
)
from localrun.throttling import GatewayResponses, Throttle, method_throttles, parameter_overrides
from localrun.tokens import issue_local_token

# moto and DynamoDB Local accept any credentials; these can reach nothing real.
LOCAL_CREDENTIAL_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # noqa: S105

# Settings only a local run gets (never the template): webhooks may go to
# http://127.0.0.1, failed deliveries are retried within seconds, not
# hours, and an export reads small pages (moto answers a Query in a few
# milliseconds per item: a page of 200 can pass the client's 2 s read
# timeout on a busy machine). A variable of the same name in the environment wins.
LOCAL_FUNCTION_DEFAULTS = {"WEBHOOK_ALLOW_LOOPBACK": "true", "WEBHOOK_RETRY_SCHEDULE": "2,5,10,20,30,60,60",
                           "EXPORT_PAGE_SIZE": "20"}


class InvocationFailed(Exception):
    """The handler raised, its worker died, or it timed out."""

    def __init__(self, invocation: Invocation):
        error = invocation.payload or {}
        super().__init__(f"{invocation.outcome}: {error.get('type')}: {error.get('message')}")
        self.invocation = invocation


# Embedded runtimes alive in this process (see LocalRuntime._name_prefix).
_EMBEDDED_SLOTS: set[int] = set()
_EMBEDDED_LOCK = threading.Lock()


class LocalRuntime:
    """`with LocalRuntime(repo_root, port=3000) as runtime:` serves the API at
    runtime.url. port=0 picks a free port; port=None starts no HTTP gateway
    (runtime.invoke() still works). events=False pumps no stream or queue
    (runtime.events is then None, as it is in stack mode). throttling=False
    turns off the gateway's emulation of the template's MethodSettings
    throttling (whose parameters THROTTLE_RATE_LIMIT and THROTTLE_BURST_LIMIT
    in the environment override)."""

    def __init__(self, repo_root: Path | str = ".", port: int | None = 3000, seed: bool = True,
                 max_concurrency: int | None = None, events: bool = True, throttling: bool = True):
        self.repo_root = Path(repo_root).resolve()
        self.port, self.seed, self.pump_events, self.throttling = port, seed, events, throttling
        self.max_concurrency = max_concurrency or max_concurrency_from_env()
        self.template = cfn.load_template(self.repo_root / "template.yaml")
        self.routes = cfn.api_routes(self.template)
        self.functions = cfn.functions(self.template, self.repo_root)
        self.mode: str | None = None
        self.url: str | None = None
        self.aws_endpoint: str | None = None
        self.physical_ids: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}  # GetAtt values provisioning learnt (StreamArn)
        self.events: EventPump | None = None
        self.apis: dict[str, ApiSettings] = {}  # what the gateway serves each Api with
        # The embedded AWS (None in endpoint and stack modes): runtime.aws.faults injects AWS errors.
        self.aws: EmbeddedAws | None = None
        self.region, self.account_id = cfn.LOCAL_REGION, cfn.LOCAL_ACCOUNT_ID
        self._stack_name: str | None = None
        self._resolver: cfn.Resolver | None = None
        self._pools: LambdaPools | None = None
        self._exit = ExitStack()

    # ---------------------------------------------------------- lifecycle

    def __enter__(self) -> LocalRuntime:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self._exit.close()  # gateway, then workers, then moto: the reverse of starting

    def _start(self) -> None:
        # Like a deployed function's, the environment is fixed when the runtime
        # starts: a worker started later (more concurrency) gets the same one,
        # whatever this process's environment has become since.
        self._environ = dict(os.environ)
        self._stack_name = os.environ.get("STACK_NAME") or None
        if self._stack_name:
            self.mode = "stack"
            self.physical_ids, self.region, self.account_id = stack_physical_ids(self._stack_name)
        else:
            self.mode = "endpoint" if _endpoint_configured() else "embedded"
            self.aws_endpoint = os.environ.get("AWS_ENDPOINT_URL") or self._start_embedded_aws()
            provisioned = provision(self.template, self._provisioning_endpoints(), self._name_prefix())
            self.physical_ids, self.attributes = provisioned.physical_ids, provisioned.attributes
        self._resolver = cfn.Resolver(self.template, self.physical_ids, region=self.region,
                                      account_id=self.account_id, stack_name=self._stack_name or "local",
                                      attributes=self.attributes)
        self._pools = LambdaPools({
            logical_id: FunctionPool(spec, self.function_env(logical_id),
                                     max_concurrency=self.max_concurrency,
                                     function_arn=self._function_arn(logical_id))
            for logical_id, spec in self.functions.items()})
        pump = self._event_pump() if self.pump_events and self.mode != "stack" else None
        if pump is not None:
            self._exit.callback(pump.join)  # 3. its threads, once the workers are gone
        self._exit.callback(self._pools.close)  # 2. the workers, a batch still running included
        if self.seed and self.mode != "stack":
            self._in_layer(seed_accounts)
        if pump is not None:
            self._exit.callback(pump.stop)  # 1. no new poll or batch
            self.events = pump.start()
        if self.port is not None:
            self.apis = self._api_settings()
            gateway = ApiGateway(Router(self.routes), self.apis, self._invoke, port=self.port,
                                 console=self.console_site())
            self._exit.callback(gateway.stop)
            self.url = gateway.start().url

    def _name_prefix(self) -> str:
        """moto's backends are one per process: embedded AWS servers started in
        one process share every table, queue and topic by name. The first
        runtime's resources keep the template's names; a runtime started beside
        it (a test's own) gets names of its own, so neither runtime's event
        sources nor faults ever reach the other's resources."""
        if self.mode != "embedded":
            return ""
        with _EMBEDDED_LOCK:
            slot = next(n for n in range(len(_EMBEDDED_SLOTS) + 1) if n not in _EMBEDDED_SLOTS)
            _EMBEDDED_SLOTS.add(slot)
        self._exit.callback(_EMBEDDED_SLOTS.discard, slot)
        return f"runtime{slot}-" if slot else ""

    def _start_embedded_aws(self) -> str:
        self.aws = EmbeddedAws(on_call=self._aws_call_done).start()
        self._exit.callback(self.aws.stop)
        return self.aws.endpoint

    def _provisioning_endpoints(self) -> dict[str, str]:
        # boto3 gives a service-specific variable precedence over AWS_ENDPOINT_URL;
        # provisioning follows the same rule so the table lands where the code looks.
        endpoints = {"default": self.aws_endpoint}
        if os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
            endpoints["dynamodb"] = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
        # A table's stream is served where the table is (DynamoDB Local serves both).
        streams = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS") or endpoints.get("dynamodb")
        if streams:
            endpoints["dynamodbstreams"] = streams
        return endpoints

    # ------------------------------------------------------------ events

    def _event_pump(self) -> EventPump:
        endpoints = self._provisioning_endpoints()
        # The embedded moto reports its writes (the pollers wake on them); another endpoint does not.
        writes_reported = not os.environ.get("AWS_ENDPOINT_URL") and "dynamodbstreams" not in endpoints
        return event_pump(self.template, self._resolver, self._pools.invoke,
                          lambda service: local_client(service, endpoints),
                          start_at_latest=self.mode == "endpoint", writes_reported=writes_reported)

    def _aws_call_done(self, target: str, body: bytes) -> None:
        if self.events is not None:
            self.events.notify_aws_call(target, body)

    def _invoke(self, logical_id: str, event: dict) -> Invocation:
        invocation = self._pools.invoke(logical_id, event)
        if self.events is not None and self.mode == "endpoint":
            self.events.wake()  # the endpoint does not say what the function wrote
        return invocation

    # -------------------------------------------------------- functions

    def function_env(self, logical_id: str) -> dict[str, str]:
        """The exact environment a worker of this function gets."""
        spec = self.functions[logical_id]
        env = dict(self._environ)
        env.update(self._resolver.resolve_environment(spec.environment))
        if self.mode == "stack":
            env.pop("AWS_ENDPOINT_URL", None)
            env.update(AWS_REGION=self.region, AWS_DEFAULT_REGION=self.region)
        else:
            env.pop("AWS_SESSION_TOKEN", None)
            env.update(AWS_ENDPOINT_URL=self.aws_endpoint, AWS_REGION=self.region,
                       AWS_DEFAULT_REGION=self.region, **LOCAL_CREDENTIAL_ENV)
            env.update({name: self._environ.get(name) or default for name, default in LOCAL_FUNCTION_DEFAULTS.items()})
        env.update(
            AWS_LAMBDA_FUNCTION_NAME=logical_id,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(spec.memory_size),
            AWS_LAMBDA_FUNCTION_TIMEOUT=str(spec.timeout),
            AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
            AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{logical_id}",
            AWS_LAMBDA_LOG_STREAM_NAME="local/[$LATEST]local",
            LAMBDA_TASK_ROOT=str(spec.code_uri),
            _HANDLER=spec.handler,
            # No X-Ray daemon here; metrics stay on (EMF lines in the log, like Lambda).
            POWERTOOLS_TRACE_DISABLED="true",
            LOCAL_RUNTIME="1",
            # The layers then the code, like /opt/python and /var/task in Lambda.
            PYTHONPATH=os.pathsep.join([*map(str, spec.layers), str(spec.code_uri)]),
        )
        # SnapStart on (the template's, or LOCAL_SNAPSTART=1 for every function): each
        # worker runs the snapshot hooks after its init, then the restore hooks (worker.py).
        snap_start = self._resolver.resolve(spec.snap_start) == "PublishedVersions"
        if snap_start or self._environ.get("LOCAL_SNAPSTART") == "1":
            env["LOCAL_SNAPSTART"] = "1"
        return env

    def invoke(self, logical_id: str, event: dict) -> dict:
        """The handler's response to one event; InvocationFailed when it raised,
        crashed or timed out."""
        invocation = self.invocation(logical_id, event)
        if not invocation.ok:
            raise InvocationFailed(invocation)
        return invocation.payload

    def invocation(self, logical_id: str, event: dict) -> Invocation:
        """One event through the function's pool, with how it went (cold/warm, duration, errors)."""
        if logical_id not in self.functions:
            raise KeyError(f"{logical_id} is not a function of template.yaml: {', '.join(self.functions)}")
        return self._invoke(logical_id, event)

    # ------------------------------------------------ layer, in-process

    def token(self, login: str, issued_at: float | None = None, mode: str = "live") -> str:
        """An access token for an existing login (no password needed), issued
        now or at ``issued_at`` (long enough ago, it has expired), in ``mode``."""
        return self._in_layer(lambda: issue_local_token(login, issued_at, mode))

    def seed_demo_order(self) -> None:
        """Order 1001 of merchant demo, paid (kept when it exists); local modes only."""
        if self.mode == "stack":
            raise RuntimeError("the runtime seeds nothing into a deployed stack")
        self._in_layer(seed_demo_order)

    def demo_refund_id(self, mode: str = "live") -> str:
        """A fresh demo refund in REQUESTED (on a new demo order), in ``mode``; local modes only."""
        return self._seeding(open_demo_refund, mode)

    def demo_refund_and_order(self) -> tuple[str, str]:
        """A fresh demo refund's id and its order's, as demo_refund_id opens it; local modes only."""
        return self._seeding(open_demo_refund_and_order)

    def demo_refund_number(self) -> str:
        """The number (seed 002's id) of a fresh demo refund, as demo_refund_id opens it; local modes only."""
        return self._seeding(open_demo_refund_number)

    def demo_order_number(self) -> str:
        """A fresh paid demo order, its id an integer (seed 002's orderId); local modes only."""
        return self._seeding(open_demo_order)

    def _seeding(self, action, mode: str = "live"):
        if self.mode == "stack":
            raise RuntimeError("the runtime seeds nothing into a deployed stack")
        return self._in_layer(action, mode)

    def _in_layer(self, action, mode: str = "live"):
        """Runs action() in this process as a function would for a caller in
        ``mode`` (refunds_core is its layer; modes.acting_in)."""
        spec = next(iter(self.functions.values()))  # Globals give every function the same table and key
        with function_environment(self.function_env(spec.logical_id), spec.layers):
            from refunds_core import modes
            from refunds_core.modes import Mode

            with modes.acting_in(Mode(mode)):
                return action()

    # ------------------------------------------------------------ helpers

    def _function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{logical_id}"

    def console_site(self) -> StaticSite:
        """The console's files, with the headers the template's response headers policy gives them deployed."""
        return StaticSite(self.repo_root / "console", template_security_headers(self.template, self._resolver))

    def _api_settings(self) -> dict[str, ApiSettings]:
        # Throttling parameters may be overridden from the environment (a load test sets them high).
        throttle_resolver = dataclasses.replace(self._resolver, parameters={
            **self._resolver.parameters, **parameter_overrides(self.template, self._environ)})
        return {api: ApiSettings(
                    stage=str(self._resolver.resolve(props.get("StageName", "Prod"))),
                    cors_headers=cors_headers(self._resolver.resolve(props.get("Cors"))),
                    responses=GatewayResponses(self._resolver.resolve(props.get("GatewayResponses")) or {}),
                    throttle=Throttle(method_throttles(throttle_resolver.resolve(props.get("MethodSettings"))))
                    if self.throttling else None)
                for api in {route.api for route in self.routes}
                for props in [cfn.api_properties(self.template, api)]}


def _endpoint_configured() -> bool:
    return bool(os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))


def cors_headers(cors: str | dict | None) -> dict[str, str] | None:
    """The preflight answer of a SAM Api's Cors setting. SAM values are quoted
    header values ("'*'"); a bare string is AllowOrigin alone."""
    if not cors:
        return None
    if isinstance(cors, str):
        cors = {"AllowOrigin": cors}
    names = {"AllowOrigin": "Access-Control-Allow-Origin", "AllowHeaders": "Access-Control-Allow-Headers",
             "AllowMethods": "Access-Control-Allow-Methods", "MaxAge": "Access-Control-Max-Age"}
    headers = {header: str(cors[key]).strip("'") for key, header in names.items() if key in cors}
    if cors.get("AllowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers
