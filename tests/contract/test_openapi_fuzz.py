"""schemathesis against the local runtime: docs/openapi.json drives a bounded,
derandomized number of generated requests per operation (valid and invalid
ones), and every answer must hold to the document: no 5xx, a documented
status, the documented content type, and a body matching the documented
schema (an error's code among those documented for its status).

Each request is sent as one of the roles its route declares (``@route(...,
roles=...)``, read through scripts/openapi.py), and, where merchants may use
one, with an API key: which one is chosen by a hash of the generated request,
so every role meets generated cases. The merchant (and its customer) is a
fresh one, so what fuzzing creates never crowds another test's merchant. To get past 404 into the
validation and the domain rules, about half the generated path ids are
swapped for ones that merchant owns (an order, a refund and its order, a webhook
endpoint, a store connection, an event), and a generated order names that
merchant (a generated seed 002 refund, one of its orders with an integer id)."""

from __future__ import annotations

import copy
import json
import uuid
import zlib

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from localrun.gateway import MAX_URL_CHARS
from refunds_core.callers import Role
from scripts import openapi
from tests.conftest import as_function, sample_order

pytestmark = pytest.mark.server

# Per operation and phase (examples, coverage, fuzzing): bounded so the file stays about a minute.
EXAMPLES_PER_OPERATION = 8


@schemathesis.check
def status_documented_or_the_gateways_own(ctx, response, case) -> None:
    """status_code_conformance, but for API Gateway's 414 to a URL over its limit
    (the document's introduction names the gateway's answers): a long enough
    generated query string (a 2048-character cursor, percent-encoded) gets it
    on any GET, before any function runs."""
    if response.status_code == 414 and len(response.request.path_url) > MAX_URL_CHARS:
        return None
    return status_code_conformance(ctx, response, case)


CHECKS = [not_a_server_error, status_documented_or_the_gateways_own, content_type_conformance,
          response_schema_conformance]
# Where a generated webhook URL points: a closed loopback port. Registering an
# endpoint resolves the URL's host, and the suite never leaves loopback.
LOOPBACK_HOOK = "http://127.0.0.1:9/fuzzed-hook"

DOCUMENT = json.loads(openapi.PUBLISHED.read_text(encoding="utf-8"))


def configured(document: dict) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True, database="none")
    schema.config.phases.stateful.enabled = False  # it follows links between operations; the document has none
    # A method a path does not serve (TRACE /v1/auth/token) gets API Gateway's 404 (104) for any
    # unknown route, which the document's introduction names rather than every operation.
    schema.config.phases.coverage.unexpected_methods = set()
    return schema


SCHEMA = configured(DOCUMENT)


@pytest.fixture(scope="module")
def fuzzing(runtime, api) -> dict:
    """A fresh merchant, its token, and an order, a refund and a webhook endpoint of its own."""
    from refunds_core.logic import accounts, connections

    merchant_id, login = f"fz-{uuid.uuid4().hex[:8]}", f"fz-{uuid.uuid4().hex[:8]}"
    with as_function(runtime, "CreateRefundFunction"):
        accounts.create_merchant(merchant_id, contact_email="fuzz@example.com")
        accounts.create_login(login, "a-long-password", Role.MERCHANT, merchant_id)
        connection_id = connections.create(merchant_id, "fuzzing")["id"]
    answer = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    assert answer.status == 200, answer
    token = answer.body["token"]

    def owned() -> dict[str, str]:
        refund_order = api.paid_order(merchant_id=merchant_id)
        refund = api.request("POST", f"/v1/order/{refund_order}/refund", token=token,
                             json_body={"email": "fuzz@example.com", "refundOnly": False})
        endpoint = api.request("POST", "/v1/webhooks", token=token,
                               json_body={"url": LOOPBACK_HOOK, "events": ["refund.issued"]})
        assert refund.status == 200 and endpoint.status == 201, (refund, endpoint)
        events = api.request("GET", f"/v1/events?refundId={refund.body['data']['id']}", token=token)
        assert events.status == 200 and events.body["data"], events
        return {"orderId": api.paid_order(merchant_id=merchant_id), "refundId": refund.body["data"]["id"],
                "webhookId": endpoint.body["data"]["id"], "id": str(refund.body["data"]["numericId"]),
                "connectionId": connection_id, "refundOrderId": refund_order,
                "eventId": events.body["data"][0]["id"]}

    # Test mode's routes (docs/test-mode.md) are fuzzed as they are used: a test-mode token, a test refund.
    test_token = api.request("POST", "/v1/auth/token", json_body={
        "login": login, "password": "a-long-password", "mode": "test"}).body["token"]
    test_order = f"fz-test-{uuid.uuid4().hex[:8]}"
    assert api.request("PUT", f"/v1/orders/{test_order}", json_body=sample_order(merchant_id),
                       token=test_token).status == 200
    test_refund = api.request("POST", f"/v1/order/{test_order}/refund", token=test_token,
                              json_body={"email": "fuzz@example.com"})
    assert test_refund.status == 200, test_refund
    customer = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"}, token=token)
    key = api.request("POST", "/v1/api-keys", json_body={"name": "fuzzing"}, token=token)
    assert customer.status == 200 and key.status == 201, (customer, key)
    tokens = {Role.MERCHANT: token, Role.CUSTOMER: customer.body["token"], Role.SERVICE: api.token("orders-service"),
              Role.SUPPORT: api.token("support")}
    # DELETE gets ids of its own: a cancelled refund or a deleted endpoint would leave the other routes only 404s.
    integer_order = uuid.uuid4().int % 10**15
    assert api.put_order(str(integer_order), merchant_id=merchant_id)[1].status == 200
    return {"merchantId": merchant_id, "tokens": tokens, "apiKey": key.body["data"]["key"], "ids": owned(),
            "ids_to_delete": owned(), "integerOrder": integer_order, "testToken": test_token,
            "testIds": {"refundId": test_refund.body["data"]["id"]}}


TEST_MODE_PREFIX = "/v1/test/"


def credentials(method: str, path: str, fuzzing: dict) -> list[dict[str, str]]:
    """The headers of each caller the route declares it serves: a token of each
    of its roles, and a merchant's API key where it takes one (none when public)."""
    _, contract = openapi.contracts()[(method, path)]
    if contract.roles is None:
        return [{}]
    if path.startswith(TEST_MODE_PREFIX):
        return [{"Authorization": f"Bearer {fuzzing['testToken']}"}]
    found = [{"Authorization": f"Bearer {fuzzing['tokens'][role]}"} for role in contract.roles]
    if Role.MERCHANT in contract.roles and contract.api_keys:
        found.append({"X-API-KEY": fuzzing["apiKey"]})
    return found


def authorization(case: schemathesis.Case, fuzzing: dict) -> dict[str, str]:
    """One of the route's callers, chosen by a hash of the generated request (deterministic)."""
    options = credentials(case.operation.method.upper(), case.operation.path, fuzzing)
    generated = json.dumps([case.path_parameters, case.query, case.body], sort_keys=True, default=str)
    return options[zlib.crc32(generated.encode()) % len(options)]


def aim(case: schemathesis.Case, fuzzing: dict) -> None:
    """Half the generated ids (chosen by a hash of the id: deterministic) become
    the fuzzing merchant's own; a generated order names that merchant; a
    generated webhook URL stays on loopback."""
    owned = fuzzing["ids_to_delete" if case.operation.method.upper() == "DELETE" else "ids"]
    if case.operation.path.startswith(TEST_MODE_PREFIX):
        owned = {**owned, **fuzzing["testIds"]}
    for name, value in (case.path_parameters or {}).items():
        if name in owned and isinstance(value, str) and zlib.crc32(value.encode()) % 2 == 0:
            case.path_parameters[name] = owned[name]
    if (case.path_parameters or {}).get("refundId") == owned["refundId"] and "orderId" in case.path_parameters:
        case.path_parameters["orderId"] = owned["refundOrderId"]  # seed 004 reads a refund under its order
    if not isinstance(case.body, dict):
        return
    if case.operation.path == "/v1/orders/{orderId}" and isinstance(case.body.get("merchantId"), str):
        case.body["merchantId"] = fuzzing["merchantId"]
    order_id = case.body.get("orderId")
    if case.operation.path == "/api/v2/refunds" and isinstance(order_id, int) and zlib.crc32(b"%d" % order_id) % 2:
        case.body["orderId"] = fuzzing["integerOrder"]
    if (case.operation.path in ("/v1/webhooks", "/v1/webhooks/{webhookId}") and isinstance(case.body.get("url"), str)
            and "://" in case.body["url"]):
        case.body["url"] = LOOPBACK_HOOK


@pytest.fixture(scope="module")
def session():
    with requests.Session() as shared:
        yield shared


@SCHEMA.parametrize()
def test_no_generated_request_breaks_the_contract(case, api, fuzzing, session):
    aim(case, fuzzing)
    case.call_and_validate(base_url=api.base_url, session=session, headers=authorization(case, fuzzing),
                           checks=CHECKS, timeout=30)


# ------------------------------------------------- the checks can fail

def _failures(document: dict, path: str, method: str, api, response: requests.Response | None = None, **data):
    """The check failures of one request (or of ``response`` to it) against ``document``."""
    case = configured(document)[path][method].Case(**data)
    try:
        if response is None:
            case.call_and_validate(base_url=api.base_url, checks=CHECKS, timeout=30)
        else:
            case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        return [type(failure).__name__ for failure in group.exceptions]
    except Failure as failure:
        return [type(failure).__name__]
    return []


def test_the_real_answer_passes_the_checks(api, fuzzing):
    """The control for the tests below: the same request, against the document as it is."""
    assert _failures(DOCUMENT, "/v1/orders/{orderId}", "GET", api, path_parameters={"orderId": "no-such-order"},
                     headers=authorization_for(fuzzing, Role.MERCHANT)) == []


def authorization_for(fuzzing: dict, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {fuzzing['tokens'][role]}"}


def test_an_error_code_the_document_does_not_list_fails_the_checks(api, fuzzing):
    """GET of a missing order answers 404 (15060); a document that lists only
    15070 for that 404 makes the same answer a failure."""
    wrong = copy.deepcopy(DOCUMENT)
    schema = wrong["paths"]["/v1/orders/{orderId}"]["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    schema["properties"]["errors"]["items"]["properties"]["error"]["anyOf"] = [
        {"$ref": "#/components/schemas/ErrorCode15070"}]
    failures = _failures(wrong, "/v1/orders/{orderId}", "GET", api, path_parameters={"orderId": "no-such-order"},
                         headers=authorization_for(fuzzing, Role.MERCHANT))
    assert failures == ["JsonSchemaError"]


def test_an_undocumented_status_fails_the_checks(api, fuzzing):
    wrong = copy.deepcopy(DOCUMENT)
    del wrong["paths"]["/v1/orders/{orderId}"]["get"]["responses"]["404"]
    failures = _failures(wrong, "/v1/orders/{orderId}", "GET", api, path_parameters={"orderId": "no-such-order"},
                         headers=authorization_for(fuzzing, Role.MERCHANT))
    assert failures == ["UndefinedStatusCode"]


def test_a_server_error_fails_the_checks_even_when_documented(api, fuzzing):
    """A 500 is documented (the errors body, code 100) and still a failure: no input may cause one."""
    answer = requests.get(f"{api.base_url}/v1/orders/no-such-order", headers=authorization_for(fuzzing, Role.MERCHANT),
                          timeout=30)
    answer.status_code = 500
    answer._content = json.dumps({"errors": [{"error": 100, "message": "Internal server error."}]}).encode()
    failures = _failures(DOCUMENT, "/v1/orders/{orderId}", "GET", api, response=answer,
                         path_parameters={"orderId": "no-such-order"})
    assert failures == ["ServerError"]
