"""Fixtures shared by every test: the repository's paths and the local runtime.

The local runtime is the one `make run` serves: moto's server on loopback with
the resources of template.yaml, the four local accounts, and each function in
its own worker processes behind an HTTP gateway. One runtime serves the whole
session; tests keep out of each other's way by using fresh order ids.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Set before any test module imports refunds_core: Powertools reads these once,
# when observability.py builds its Logger, Tracer and Metrics (in Lambda the
# template sets them). The suite never leaves loopback: whatever the developer's
# shell holds, no credentials that work, no deployed stack, no other endpoint.
os.environ.update({"POWERTOOLS_SERVICE_NAME": "refund-requests", "POWERTOOLS_METRICS_NAMESPACE": "RefundRequests",
                   "POWERTOOLS_TRACE_DISABLED": "true", "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})
for _name in [n for n in os.environ if n.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"))]:
    del os.environ[_name]
os.environ.pop("STACK_NAME", None)

PASSWORDS = {"demo": "demo-secret", "demo2": "demo2-secret", "orders-service": "orders-secret",
             "support": "support-secret"}


def _sample_events() -> tuple[dict[str, tuple[str, int]], dict[str, str]]:
    """Each sample event in events/ and the function it is for, by its name:
    ``events/<function's folder>[.<variant>].json`` (``update_refund.deny.json``
    is UpdateRefundFunction's). An API event expects its route's declared
    status; a batch of a stream or a queue answers ``{"batchItemFailures": []}``.
    tests/integration/test_sample_events.py runs them; the IAM test reuses them.
    Placeholders: ``{{token:<login>}}``; ``{{refund:demo}}`` a fresh demo refund
    in REQUESTED (refundOnly false) for each event, ``{{refund-order:demo}}`` its
    order; ``{{order:demo}}`` a fresh paid demo order; ``{{webhook:demo}}`` demo's
    endpoint of create_webhook.json's URL; ``{{apikey:demo}}`` one of demo's API
    keys (created when it has none); ``{{event:demo}}`` a fresh demo refund's refund.created."""
    from localrun import template as cfn
    from scripts.openapi import contracts

    template = cfn.load_template(ROOT / "template.yaml")
    by_folder = {spec.code_uri.name: logical_id for logical_id, spec in cfn.functions(template, ROOT).items()}
    statuses = {function: int(contract.status) for function, contract in contracts().values()}
    api, batch = {}, {}
    for path in sorted((ROOT / "events").glob("*.json")):
        function = by_folder[path.name.split(".")[0]]
        if function in statuses:
            api[path.name] = (function, statuses[function])
        else:
            batch[path.name] = function
    return api, batch


SAMPLE_EVENTS, BATCH_SAMPLE_EVENTS = _sample_events()


@pytest.fixture(scope="session", autouse=True)
def _acting_live():
    """A test (and a module's fixture) calls the logic and the DAL as a
    handler does once the edge has authenticated a live caller (api.allow acts
    in the caller's mode); a test of test mode acts in it itself
    (``modes.acting_in(Mode.TEST)``). Handlers, in this process or a worker,
    set their caller's own mode over it."""
    from refunds_core import modes
    from refunds_core.modes import Mode

    with modes.acting_in(Mode.LIVE):
        yield


class LambdaContext:
    """The parts of Lambda's context object Powertools reads."""

    function_name, memory_limit_in_mb, aws_request_id = "test", 512, "test-request"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"

    def get_remaining_time_in_millis(self) -> int:  # read by the idempotency utility
        return 10_000


@functools.cache
def _template_functions() -> dict:
    from localrun import template as cfn

    return cfn.functions(cfn.load_template(ROOT / "template.yaml"))


def load_handler(logical_id: str):
    """The handler template.yaml names for a function, imported from its CodeUri
    under a module name of its own (every function's module is called app)."""
    spec = _template_functions()[logical_id]
    module_name, _, attribute = spec.handler.rpartition(".")
    loader = importlib.util.spec_from_file_location(f"handler_{logical_id}", ROOT / spec.code_uri / f"{module_name}.py")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return getattr(module, attribute)


def request_json(text: str) -> dict:
    """A JSON body as a route reads it (numbers with a fraction are Decimals)."""
    from refunds_core.validation import json_object

    return json_object(text, "application/json")


def refused_fields(action, *args) -> list[str]:
    """The fields ``action(*args)`` refuses (15010): it must refuse."""
    from refunds_core.errors import FieldErrors

    with pytest.raises(FieldErrors) as caught:
        action(*args)
    return caught.value.fields


def sample_order(merchant_id: str = "demo", **overrides) -> dict:
    """The order of the issue's example: 45.00 items + 4.50 tax + 10.00 shipping = 59.50."""
    order = {"merchantId": merchant_id, "number": "SO-1001", "status": "paid", "currency": "USD",
             "customerId": "cust-1",
             "lineItems": [{"itemId": "sku-1", "name": "Widget", "quantity": 2, "unitPrice": "25.00",
                            "discount": "5.00", "tax": "4.50"}],
             "shipping": {"price": "10.00", "tax": "0.00"}}
    order.update(overrides)
    return order


@dataclass
class Answer:
    status: int
    body: dict | None
    headers: dict
    writes: list[tuple[str, str]] | None = None  # (operation, target) of each AWS write: in-process answers only
    reads: list[tuple[str, str]] | None = None   # (operation, key or index) of each DynamoDB read: likewise
    text: str | None = None                      # a body that is not JSON (a CSV export), as text

    @property
    def codes(self) -> list[int]:
        """The answer's error codes: each entry's in our errors body; seed 004's
        body (``{"errors": [messages], "code": N}``) has one for all its entries."""
        body = self.body if isinstance(self.body, dict) else {}
        if isinstance(body.get("code"), int):
            return [body["code"]] * len(body.get("errors", []))
        return [e["error"] for e in body.get("errors", [])]

    @property
    def ours(self) -> dict | None:
        """The body, with seed 004's errors body written as ours (``{"errors":
        [{"error": N, "message": ...}]}``): one expectation for every dialect."""
        body = self.body
        if isinstance(body, dict) and isinstance(body.get("code"), int) and isinstance(body.get("errors"), list):
            return {"errors": [{"error": body["code"], "message": message} for message in body["errors"]]}
        return body


def _body(payload: bytes | None, headers: dict) -> tuple[dict | None, str | None]:
    """(JSON body, None), or (None, text) for an answer of another media type (a CSV export)."""
    if not payload:
        return None, None
    if headers.get("content-type", "").startswith("text/"):
        return None, payload.decode("utf-8")
    return json.loads(payload), None


class Client:
    """Just enough HTTP for tests: JSON in, status + JSON body out (a text answer as ``Answer.text``)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._tokens: dict[str, str] = {}

    def request(self, method: str, path: str, *, json_body=None, raw: bytes | None = None,
                token: str | None = None, login: str | None = None, headers: dict | None = None,
                mode: str = "live") -> Answer:
        all_headers = dict(headers or {})
        data = raw
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if login:
            token = self.token(login, mode)
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        return self.send(method, path, data, all_headers)

    def send(self, method: str, path: str, data: bytes | None, headers: dict) -> Answer:
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload, response_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, payload, response_headers = error.code, error.read(), error.headers
        headers = {k.lower(): v for k, v in response_headers.items()}
        body, text = _body(payload, headers)
        return Answer(status, body, headers, text=text)

    def token(self, login: str, mode: str = "live") -> str:
        """The login's token in ``mode`` (live, or test: docs/test-mode.md), asked once."""
        if (login, mode) not in self._tokens:
            self.sign_in(login, PASSWORDS[login], mode)
        return self._tokens[(login, mode)]

    def sign_in(self, login: str, password: str, mode: str = "live") -> str:
        """A token for ``login`` in ``mode``, kept for later ``request(..., login=login, mode=mode)``."""
        asked = {"login": login, "password": password} | ({"mode": mode} if mode != "live" else {})
        answer = self.request("POST", "/v1/auth/token", json_body=asked)
        assert answer.status == 200, answer
        assert answer.body["mode"] == mode, answer
        self._tokens[(login, mode)] = answer.body["token"]
        return answer.body["token"]

    def put_order(self, order_id: str | None = None, mode: str = "live", **overrides) -> tuple[str, Answer]:
        order_id = order_id or f"o-{uuid.uuid4().hex[:12]}"
        answer = self.request("PUT", f"/v1/orders/{order_id}", json_body=sample_order(**overrides),
                              login="orders-service", mode=mode)
        return order_id, answer

    def paid_order(self, mode: str = "live", **overrides) -> str:
        order_id, answer = self.put_order(mode=mode, **overrides)
        assert answer.status == 200, answer
        return order_id


class InProcessClient(Client):
    """The same requests, answered by the routes' own handlers in this process:
    the event the local gateway builds (localrun/proxy_event.py), the
    function's environment, the runtime's AWS; no HTTP and no worker, so a
    request costs well under a millisecond where it refuses early. For case
    matrices; what only HTTP shows (the gateway, the workers) is tested over HTTP.

    Each answer lists the AWS writes the handler made (``Answer.writes``)."""

    def __init__(self, runtime):
        from localrun.routing import Router

        super().__init__(runtime.url)
        self.runtime = runtime
        self.router = Router(runtime.routes)
        self._handlers: dict[str, object] = {}
        self._recording: list = []  # the clients whose calls are recorded
        self._calls: list[tuple[str, dict]] = []

    def send(self, method: str, path: str, data: bytes | None, headers: dict) -> Answer:
        from localrun.proxy_event import HttpRequest, http_response, proxy_event
        from localrun.routing import Match

        raw_path, _, query = path.partition("?")
        match = self.router.resolve(method, raw_path)
        assert isinstance(match, Match), f"no route serves {method} {raw_path}"
        function = match.route.function
        if function not in self._handlers:
            self._handlers[function] = load_handler(function)
        request = HttpRequest(method, raw_path, query, list(headers.items()), data or b"", "127.0.0.1")
        event = proxy_event(request, match, stage=self.runtime.apis[match.route.api].stage)
        with self._function_environment(function):
            self._record_calls()
            self._calls = []
            response = http_response(self._handlers[function](event, LambdaContext()))
        headers = {name.lower(): value for name, value in response.headers}
        body, text = _body(response.body, headers)
        return Answer(response.status, body, headers, writes=self._writes(), reads=self._reads(), text=text)

    @contextmanager
    def _function_environment(self, function: str) -> Iterator[None]:
        """os.environ as the function's workers have it, for one request.
        Unlike localrun.in_process, the boto3 clients are kept between requests
        (every function reaches the same endpoint): making them anew costs more
        than most requests here."""
        from refunds_core.settings import settings

        saved = dict(os.environ)
        _become(self.runtime.function_env(function))
        settings.cache_clear()
        try:
            yield
        finally:
            _become(saved)
            settings.cache_clear()

    def _record_calls(self) -> None:
        from refunds_core import aws

        for client in (aws.dynamodb(), aws.sqs(), aws.sns()):
            if not any(client is recorded for recorded in self._recording):
                self._recording.append(client)
                client.meta.events.register("provide-client-params.*.*", self._record)

    def _record(self, params: dict, model, **_) -> None:
        self._calls.append((model.name, params))

    def _writes(self) -> list[tuple[str, str]]:
        """(operation, table, queue or topic) of each write the request made."""
        reads = ("Get", "BatchGet", "Query", "Scan", "Describe", "List", "Receive")
        writes = []
        for operation, params in self._calls:
            if operation.startswith(reads):
                continue
            targets = {params.get("TableName") or params.get("QueueUrl") or params.get("TopicArn") or ""}
            if operation == "TransactWriteItems":
                targets = {body["TableName"] for item in params["TransactItems"] for body in item.values()}
            writes += [(operation, target) for target in sorted(targets)]
        return writes


    def _reads(self) -> list[tuple[str, str]]:
        """(operation, the item's partition key or the index) of each DynamoDB read the request made."""
        reads = []
        for operation, params in self._calls:
            if operation in ("GetItem", "Query"):
                reads.append((operation, params.get("IndexName") or params.get("Key", {}).get("PK", {}).get("S", "")))
            elif operation == "BatchGetItem":
                reads += [(operation, key["PK"]["S"]) for request in params["RequestItems"].values()
                          for key in request["Keys"]]
        return reads


def _become(env: dict[str, str]) -> None:
    """os.environ made equal to ``env``, touching only what differs: the
    runtime's threads (moto's server reads its settings from the environment)
    never see a variable they rely on missing."""
    for name in os.environ.keys() - env.keys():
        del os.environ[name]
    os.environ.update({name: value for name, value in env.items() if os.environ.get(name) != value})


@pytest.fixture(scope="session")
def runtime():
    from localrun.runtime import LocalRuntime

    # Throttling off: the suite's bursts (token requests above all) are not what
    # it tests; tests/integration/test_throttling.py builds a throttled gateway of its own.
    with LocalRuntime(ROOT, port=0, throttling=False) as local:
        yield local


@pytest.fixture(scope="session")
def api(runtime) -> Client:
    return Client(runtime.url)


@pytest.fixture(scope="module")
def handlers(runtime) -> Iterator[InProcessClient]:
    """An InProcessClient. refunds_core's cached clients are made afresh for
    it (what an earlier test cached may point elsewhere) and forgotten after."""
    from localrun.in_process import forget_cached_clients

    forget_cached_clients()
    yield InProcessClient(runtime)
    forget_cached_clients()


def configure_as(patch: pytest.MonkeyPatch, runtime, *functions: str, env: dict[str, str] | None = None,
                 fresh_clients: bool = False) -> None:
    """This process configured as the runtime's ``functions`` (each one's
    environment in turn: its table, queues, secret and settings), then ``env``
    over it, set through ``patch`` (which restores them); the settings are read
    again on their next use, and with ``fresh_clients`` the AWS clients made
    again too (for a test that hooks or patches them). For a test that calls
    refunds_core directly, with its ``monkeypatch``; for a block: ``as_function``."""
    from refunds_core import aws
    from refunds_core.settings import settings

    for function in functions:
        for key, value in runtime.function_env(function).items():
            patch.setenv(key, value)
    for key, value in (env or {}).items():
        patch.setenv(key, value)
    settings.cache_clear()
    if fresh_clients:
        aws.forget_clients()


@contextmanager
def as_function(runtime, *functions: str, env: dict[str, str] | None = None,
                fresh_clients: bool = False) -> Iterator[None]:
    """``configure_as`` for a block (a fixture's ``yield``): after it, the
    environment is restored, and the settings (and with ``fresh_clients`` the
    clients, with whatever hooks or patches the block put on them) made again."""
    from refunds_core import aws
    from refunds_core.settings import settings

    try:
        with pytest.MonkeyPatch.context() as patch:
            configure_as(patch, runtime, *functions, env=env, fresh_clients=fresh_clients)
            yield
    finally:
        settings.cache_clear()
        if fresh_clients:
            aws.forget_clients()


@pytest.fixture
def admin(runtime):
    """The layer's account administration, run in this process against the
    runtime's AWS with a function's environment (what scripts/admin.py does)."""
    from refunds_core.logic import accounts

    with as_function(runtime, "CreateRefundFunction"):
        yield accounts


@pytest.fixture(scope="session")
def dynamodb(runtime):
    import boto3

    return boto3.client("dynamodb", endpoint_url=runtime.aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def table_name(runtime) -> str:
    return runtime.physical_ids["RefundsTable"]
