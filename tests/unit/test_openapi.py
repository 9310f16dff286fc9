"""docs/openapi.json is the generator's output for the code as it is now, a valid
OpenAPI 3.1 document, and describes every route of template.yaml (and nothing else)."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from refunds_core import errors
from scripts import openapi
from tests.conftest import ROOT

COMMITTED = json.loads(openapi.PUBLISHED.read_text(encoding="utf-8"))
TEMPLATE_ROUTES = {(route.method, route.path) for route in openapi.template_routes()}


def _operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_the_committed_document_is_what_the_generator_writes_now():
    assert openapi.PUBLISHED.read_text(encoding="utf-8") == openapi.render(), \
        "docs/openapi.json is stale: run `make docs`"


def test_docs_openapi_json_is_the_file_the_function_serves():
    """One generated file: the function ships it, docs/ links to it."""
    assert openapi.PUBLISHED.is_symlink()
    assert openapi.PUBLISHED.resolve() == (ROOT / "functions/get_openapi/openapi.json").resolve()


def test_openapi_spec_validator_accepts_the_document():
    validate(COMMITTED)
    assert COMMITTED["openapi"].startswith("3.1")


def test_every_template_route_is_described():
    assert TEMPLATE_ROUTES - set(openapi.OPERATIONS) == set(), "describe the route in scripts/openapi.py"


def test_every_description_has_a_template_route():
    assert set(openapi.OPERATIONS) - TEMPLATE_ROUTES == set()
    documented = {(method, path) for method, path, _ in _operations(COMMITTED)}
    assert documented == TEMPLATE_ROUTES


def test_operation_ids_are_the_functions_and_unique():
    ids = [operation["operationId"] for _, _, operation in _operations(COMMITTED)]
    assert len(ids) == len(set(ids))
    assert "createRefund" in ids and "openApi" in ids


@pytest.mark.parametrize(("method", "path"), sorted(TEMPLATE_ROUTES), ids=lambda value: str(value))
def test_every_error_response_is_the_errors_body_with_codes_of_its_status(method, path):
    operation = COMMITTED["paths"][path][method.lower()]
    by_code = {entry.code: entry for entry in errors.CATALOGUE}
    error_statuses = [status for status in operation["responses"] if int(status) >= 400]
    assert {"401", "403", "429", "500"} <= set(error_statuses) or operation["security"] == []
    for status in error_statuses:
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema["$ref"] == "#/components/schemas/ErrorBody"
        codes = schema["properties"]["errors"]["items"]["properties"]["error"]["enum"]
        assert codes and all(int(by_code[code].status) == int(status) for code in codes)


def test_every_code_of_the_catalogue_is_answered_by_some_route():
    """Beside API Gateway's own (104 unknown route, 106 its other refusals), which
    the document's introduction names."""
    answered = set()
    for _, _, operation in _operations(COMMITTED):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                answered |= set(response["content"]["application/json"]["schema"]["properties"]["errors"]["items"]
                                ["properties"]["error"]["enum"])
    gateway = {errors.ROUTE_NOT_FOUND.code, errors.GATEWAY_REJECTED.code}
    assert answered | gateway == {entry.code for entry in errors.CATALOGUE}


def test_writes_take_an_idempotency_key_and_merchant_routes_an_api_key():
    for method, path, operation in _operations(COMMITTED):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (method in ("POST", "PATCH", "DELETE")), (method, path)
        described = openapi.OPERATIONS[(method, path)]
        schemes = {name for requirement in operation["security"] for name in requirement}
        key_allowed = "merchant" in (described.roles or ()) and described.api_keys
        expected = set() if described.roles is None else {"BearerAuth"} | ({"ApiKeyAuth"} if key_allowed else set())
        assert schemes == expected, (method, path)


def test_money_is_a_decimal_string_and_statuses_are_the_state_machine_s():
    from refunds_core import statuses

    refund = COMMITTED["components"]["schemas"]["Refund"]["properties"]
    assert refund["amount"]["type"] == "string" and "pattern" in refund["amount"]
    assert refund["status"]["enum"] == list(statuses.ALL)


def test_the_patch_body_is_one_of_the_state_machine_s_actions():
    from refunds_core.logic.transitions import PATCH_ACTIONS

    body = COMMITTED["components"]["schemas"]["RefundAction"]
    assert set(body["discriminator"]["mapping"]) == set(PATCH_ACTIONS)
