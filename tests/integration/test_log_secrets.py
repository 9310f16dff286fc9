"""The logs never hold a password, a token, an API key or a webhook secret,
nor the personal data an order's details carry (names, addresses, emails,
phones, the buyer's IP).

The real handlers run in this process, on API Gateway events built by the
local gateway's own code (localrun/proxy_event.py), against the runtime's
AWS, with the Powertools Logger at DEBUG; everything it writes is captured
and searched for every secret the scenarios handled.

A new kind of secret gets a scenario in SCENARIOS: one function that uses
it through the handlers and returns the values that must not appear.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable

import pytest

from localrun import template as cfn
from localrun.proxy_event import HttpRequest, proxy_event
from localrun.routing import Match, Router
from tests.conftest import PASSWORDS, ROOT, LambdaContext, as_function, load_handler

pytestmark = pytest.mark.server

TEMPLATE = cfn.load_template(ROOT / "template.yaml")
ROUTER = Router(cfn.api_routes(TEMPLATE))


class Handlers:
    """Calls a route's handler as Lambda would, for the request the gateway would build."""

    def __init__(self):
        self._loaded: dict[str, Callable] = {}

    def function(self, logical_id: str) -> Callable:
        if logical_id not in self._loaded:
            self._loaded[logical_id] = load_handler(logical_id)
        return self._loaded[logical_id]

    def __call__(self, method: str, path: str, body: dict | None = None, token: str | None = None,
                 headers: dict | None = None) -> tuple[int, dict]:
        match = ROUTER.resolve(method, path)
        assert isinstance(match, Match), (method, path)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = HttpRequest(method=method, raw_path=path, query="", headers=list(all_headers.items()),
                              body=json.dumps(body).encode() if body is not None else b"", source_ip="127.0.0.1")
        response = self.function(match.route.function)(proxy_event(request, match, stage="prod"), LambdaContext())
        return response["statusCode"], json.loads(response["body"]) if response["body"] else None


@pytest.fixture
def handlers(runtime, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "shared"))
    # The routes' environment, and the deliverer's (its dead-letter queue) beside it.
    with as_function(runtime, "CreateWebhookFunction", "DeliverWebhooksFunction",
                     env={"POWERTOOLS_LOG_LEVEL": "DEBUG"}, fresh_clients=True):
        yield Handlers()


@pytest.fixture
def log_output():
    """Everything the Powertools Logger writes, at DEBUG."""
    from refunds_core.observability import logger

    buffer, level = io.StringIO(), logger.log_level
    previous = logger.registered_handler.setStream(buffer)
    logger.setLevel("DEBUG")
    yield buffer
    logger.setLevel(level)
    logger.registered_handler.setStream(previous)


# -------------------------------------------------------------- scenarios
# Each uses secrets through the handlers and returns them: every one must stay out of the logs.

def passwords_and_tokens(call) -> list[str]:
    wrong = f"wrong-{uuid.uuid4().hex}"
    assert call("POST", "/v1/auth/token", {"login": "demo", "password": wrong})[0] == 401
    status, issued = call("POST", "/v1/auth/token", {"login": "demo", "password": PASSWORDS["demo"]})
    assert status == 200
    token = issued["token"]
    assert call("GET", "/v1/refunds", token=token)[0] == 200
    assert call("GET", "/v1/refunds/rf_nope", token=token)[0] == 404
    assert call("POST", "/v1/order/nope/refund", {"email": "a@b.co"}, token=token)[0] == 404
    status, minted = call("POST", "/v1/auth/customer-token", {"customerId": "cust-1"}, token=token)
    assert status == 200
    assert call("GET", "/v1/refunds", token=minted["token"])[0] == 200
    # A forged token is refused; it is a secret of whoever sent it all the same.
    forged = token[:-6] + "AAAAAA"
    assert call("GET", "/v1/refunds", token=forged)[0] == 401
    return [PASSWORDS["demo"], wrong, token, token.rsplit(".", 1)[1], minted["token"], forged]


def webhook_secrets(call) -> list[str]:
    token = call("POST", "/v1/auth/token", {"login": "demo", "password": PASSWORDS["demo"]})[1]["token"]
    status, created = call("POST", "/v1/webhooks", {"url": f"http://127.0.0.1:9/logs/{uuid.uuid4().hex[:8]}",
                                                    "events": ["refund.created"]}, token=token)
    assert status == 201
    webhook_id, first = created["data"]["id"], created["data"]["secret"]
    try:
        status, rotated = call("POST", f"/v1/webhooks/{webhook_id}/rotate-secret", token=token)
        assert status == 200
        second = rotated["data"]["secret"]
        # A delivery signs with both secrets (the endpoint refuses the connection: it fails, and logs why).
        batch = (ROOT / "events" / "deliver_webhooks.json").read_text().replace("{{webhook:demo}}", webhook_id)
        result = call.function("DeliverWebhooksFunction")(json.loads(batch), LambdaContext())
        assert result == {"batchItemFailures": []}
    finally:
        call("DELETE", f"/v1/webhooks/{webhook_id}", token=token)
    return [first, first.removeprefix("whsec_"), second, second.removeprefix("whsec_")]


def api_keys(call) -> list[str]:
    """API keys: created, used, mistyped and revoked."""
    token = call("POST", "/v1/auth/token", {"login": "demo", "password": PASSWORDS["demo"]})[1]["token"]
    status, created = call("POST", "/v1/api-keys", {"name": "log test"}, token=token)
    assert status in (200, 201), created
    key, key_id = created["data"]["key"], created["data"]["id"]
    try:
        assert call("GET", "/v1/refunds", headers={"X-API-KEY": key})[0] == 200
        wrong = key[:-4] + "AAAA"
        assert call("GET", "/v1/refunds", headers={"X-API-KEY": wrong})[0] == 401
    finally:
        assert call("DELETE", f"/v1/api-keys/{key_id}", token=token)[0] == 204
    assert call("GET", "/v1/refunds", headers={"X-API-KEY": key})[0] == 401  # revoked
    return [key, wrong]


def personal_data(call) -> list[str]:
    """An order's details, as the order system sends them, and as a merchant reads them back."""
    unique = uuid.uuid4().hex[:10]
    person = {"firstName": f"Jane{unique}", "lastName": f"Doe{unique}", "email": f"jane.{unique}@example.com",
              "phone": f"+1555{int(unique, 16) % 10**7:07d}"}
    address = {**{k: v for k, v in person.items() if k != "email"}, "address1": f"{unique} Main St",
               "city": f"Springfield{unique}", "zip": unique[:8], "countryCode": "US"}
    details = {"customer": person, "shippingAddress": address, "billingAddress": address,
               "browserIp": f"203.0.113.{int(unique, 16) % 250 + 1}", "note": f"Call Jane at {person['phone']}"}
    service = call("POST", "/v1/auth/token", {"login": "orders-service", "password": PASSWORDS["orders-service"]})
    merchant = call("POST", "/v1/auth/token", {"login": "demo", "password": PASSWORDS["demo"]})[1]["token"]
    order = {"merchantId": "demo", "number": f"SO-{unique}", "status": "paid", "currency": "USD",
             "customerId": "cust-1", "lineItems": [{"itemId": "a", "name": "A", "quantity": 1, "unitPrice": "5.00"}],
             "details": details}
    order_id = f"pii-{unique}"
    assert call("PUT", f"/v1/orders/{order_id}", order, token=service[1]["token"])[0] == 200
    refused = {**order, "details": {**details, "customer": {**person, "email": f"not-an-email-{unique}"}}}
    assert call("PUT", f"/v1/orders/{order_id}", refused, token=service[1]["token"])[0] == 400
    assert call("GET", f"/v1/orders/{order_id}", token=merchant)[0] == 200
    # Seed 004's answers carry the details: its refund order, opened and read again.
    status, opened = call("POST", f"/v1/orders/{order_id}/full-refund", {"note": "n"}, token=merchant)
    assert status == 200 and opened["Order"]["Customer"]["Email"] == person["email"]
    assert call("GET", f"/v1/orders/{order_id}/full-refund/{opened['Id']}", token=merchant)[0] == 200
    assert call("POST", f"/v1/orders/{order_id}/full-refund", token=merchant)[0] == 406
    # The order's customer reads their refunds (and minting their token logs a line: the capture works).
    customer = call("POST", "/v1/auth/customer-token", {"customerId": "cust-1"}, token=merchant)[1]["token"]
    assert call("GET", "/v1/refunds", token=customer)[0] == 200
    return [*person.values(), address["address1"], address["city"], details["browserIp"], details["note"],
            f"not-an-email-{unique}"]


# A new kind of secret: one more scenario here.
SCENARIOS = [passwords_and_tokens, webhook_secrets, api_keys, personal_data]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_no_secret_reaches_the_logs(handlers, log_output, scenario):
    secrets = scenario(handlers)
    logged = log_output.getvalue()
    # The capture works: the handlers' records are there (each scenario logs at least one, at INFO or DEBUG).
    assert [json.loads(line)["level"] for line in logged.splitlines()]
    for secret in secrets:
        assert secret and secret not in logged, f"a secret of {scenario.__name__} is in the logs"
    assert "Bearer " not in logged and "Authorization" not in logged


def test_the_template_never_logs_events():
    """POWERTOOLS_LOGGER_LOG_EVENT would log each event: its Authorization header and body (passwords)."""
    text = (ROOT / "template.yaml").read_text()
    assert "POWERTOOLS_LOGGER_LOG_EVENT" not in text
    assert "log_event=True" not in (ROOT / "shared" / "refunds_core" / "api.py").read_text()
