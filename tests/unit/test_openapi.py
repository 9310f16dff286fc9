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


def test_every_template_route_is_declared_by_its_function():
    assert TEMPLATE_ROUTES - set(openapi.contracts()) == set(), "declare the route with @route on its handler"


def test_every_declaration_has_a_template_route():
    assert set(openapi.contracts()) - TEMPLATE_ROUTES == set()
    documented = {(method, path) for method, path, _ in _operations(COMMITTED)}
    assert documented == TEMPLATE_ROUTES


def test_operation_ids_are_the_functions_and_unique():
    ids = [operation["operationId"] for _, _, operation in _operations(COMMITTED)]
    assert len(ids) == len(set(ids))
    assert "createRefund" in ids and "openApi" in ids


@pytest.mark.parametrize(("method", "path"), sorted(TEMPLATE_ROUTES), ids=lambda value: str(value))
def test_every_error_response_is_the_errors_body_with_codes_of_its_status(method, path):
    """The status of each code is the catalogue's, or its route's dialect's where that says another."""
    operation = COMMITTED["paths"][path][method.lower()]
    dialect = openapi.contracts()[(method, path)][1].dialect
    by_code = {entry.code: entry for entry in errors.CATALOGUE}
    error_statuses = [status for status in operation["responses"] if int(status) >= 400]
    assert {"401", "403", "429", "500"} <= set(error_statuses) or operation["security"] == []
    for status in error_statuses:
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema["$ref"] == f"#/components/schemas/{dialect.error_shape.__name__}"
        codes = openapi.documented_codes(schema)
        assert codes and all(int(dialect.status_of(code, by_code[code].status)) == int(status) for code in codes)


def test_every_code_of_the_catalogue_is_answered_by_some_route():
    """Beside API Gateway's own (104 unknown route, 106 its other refusals), which
    the document's introduction names."""
    answered = set()
    for _, _, operation in _operations(COMMITTED):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                answered |= set(openapi.documented_codes(response["content"]["application/json"]["schema"]))
    gateway = {errors.ROUTE_NOT_FOUND.code, errors.GATEWAY_REJECTED.code}
    assert answered | gateway == {entry.code for entry in errors.CATALOGUE}


def test_writes_take_an_idempotency_key_and_merchant_routes_an_api_key():
    for method, path, operation in _operations(COMMITTED):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (method in ("POST", "PATCH", "DELETE")), (method, path)
        _, described = openapi.contracts()[(method, path)]
        schemes = {name for requirement in operation["security"] for name in requirement}
        key_allowed = "merchant" in (described.roles or ()) and described.api_keys
        expected = set() if described.roles is None else {"BearerAuth"} | ({"ApiKeyAuth"} if key_allowed else set())
        assert schemes == expected, (method, path)


def test_money_is_a_decimal_string_and_statuses_are_the_state_machine_s():
    from refunds_core import statuses

    schemas = COMMITTED["components"]["schemas"]
    refund = schemas["Refund"]["properties"]
    assert refund["amount"]["type"] == "string" and "pattern" in refund["amount"]
    assert refund["status"] == {"$ref": "#/components/schemas/RefundStatus"}
    assert schemas["RefundStatus"]["enum"] == list(statuses.ALL)


def test_the_patch_body_is_one_of_the_state_machine_s_actions():
    from refunds_core.logic.transitions import PATCH_ACTIONS

    body = COMMITTED["components"]["schemas"]["RefundAction"]
    assert set(body["discriminator"]["mapping"]) == set(PATCH_ACTIONS)


# ------------------------------------------------- what client generators need

def _walk(node, path=()):
    yield path, node
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _walk(child, (*path, key))


def test_every_enum_is_a_named_component_schema():
    """Generators name an inline enum after its model and field: OrderRefund.status and
    Order.refundStatus both became OrderRefundStatus, and GET /v1/orders/{orderId} lost its answer."""
    enums = [path for path, node in _walk(COMMITTED) if isinstance(node, dict) and "enum" in node]
    assert {path for path in enums if len(path) != 3 or path[:2] != ("components", "schemas")} == set()
    assert {path[2] for path in enums} >= {"RefundStatus", "OrderRefundStatus", "OrderStatus", "Currency", "EventType"}


def test_every_timestamp_is_a_date_time():
    stamps = {}
    for path, node in _walk(COMMITTED):
        if isinstance(node, dict) and isinstance(node.get("properties"), dict):
            for name, field in node["properties"].items():
                if name in ("at", "since") or name.endswith(("At", "Since")):
                    stamps["/".join(map(str, (*path, name)))] = field
    assert {path.rsplit("/", 1)[1] for path in stamps} >= {"createdAt", "updatedAt", "confirmedAt", "issuedAt", "at",
                                                           "since", "nextSince", "previousSecretExpiresAt"}
    for path, field in stamps.items():
        formats = {branch.get("format") for branch in field.get("anyOf", [field]) if branch.get("type") != "null"}
        assert formats == {"date-time"}, path


def test_retry_after_is_documented_on_each_answer_that_carries_it():
    """429 (15150), 409 with 15140 and 500 (100) send Retry-After (errors.py, idempotency.py, api.py)."""
    carried_by = {errors.THROTTLED.code, errors.IDEMPOTENCY_IN_FLIGHT.code, errors.INTERNAL.code}
    for method, path, operation in _operations(COMMITTED):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                codes = set(openapi.documented_codes(response["content"]["application/json"]["schema"]))
                carries = bool(codes & carried_by)
                assert ("Retry-After" in response.get("headers", {})) == carries, (method, path, status)


def test_webhooks_describe_each_event_type_and_its_signature_headers():
    from refunds_core import events

    webhooks, components = COMMITTED["webhooks"], COMMITTED["components"]
    assert list(webhooks) == list(events.TYPES)
    for event_type, item in webhooks.items():
        post = item["post"]
        body = post["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/RefundEvent", "properties": {"type": {"const": event_type}}}
        headers = [components["parameters"][p["$ref"].rsplit("/", 1)[1]] for p in post["parameters"]]
        assert {(h["name"], h["in"], h["required"]) for h in headers} == {(name, "header", True) for name in (
            "webhook-id", "webhook-timestamp", "webhook-signature")}
    payload = components["schemas"]["RefundEvent"]
    assert set(payload["required"]) == {"id", "type", "sequence", "createdAt", "merchantId", "data"}
    assert payload["properties"]["sequence"] == {**payload["properties"]["sequence"], "type": "integer", "minimum": 1}
    assert payload["properties"]["data"]["$ref"] == "#/components/schemas/Refund"


def test_the_signature_headers_a_delivery_sends_match_the_documented_ones():
    import re
    from datetime import UTC, datetime, timedelta

    from refunds_core.logic.delivery import signature_headers

    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    endpoint = {"secrets": [{"secret": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},  # just rotated: two sign
                            {"secret": "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", "expiresAt": later}]}
    sent = signature_headers(endpoint, "evt_01JD0000000000000000000000", '{"id": "evt_01JD0000000000000000000000"}')
    documented = {p["name"]: p["schema"]["pattern"] for p in COMMITTED["components"]["parameters"].values()}
    assert set(sent) == set(documented)
    for name, value in sent.items():
        assert re.fullmatch(documented[name].strip("^$"), value), (name, value)


def test_seed_002_routes_are_tagged_as_its_dialect_and_type_its_entity_as_its_document_does():
    from refunds_core.dialects import seed002

    tagged = {(method, path) for method, path, operation in _operations(COMMITTED)
              if operation["tags"] == [seed002.DIALECT.tag]}
    assert tagged == {route for route in TEMPLATE_ROUTES if route[1].startswith("/api/v2/")} and len(tagged) == 5
    assert {"name": seed002.DIALECT.tag, "description": seed002.DIALECT.description} in COMMITTED["tags"]
    refund = COMMITTED["components"]["schemas"]["Seed002Refund"]["properties"]
    assert refund["amount"]["type"] == "number"
    assert [branch["type"] for branch in refund["id"]["anyOf"]] == ["integer", "null"]
    assert COMMITTED["components"]["schemas"]["Seed002RefundStatus"]["enum"] == list(seed002.STATUSES)
    path_id, = COMMITTED["paths"]["/api/v2/refunds/{id}"]["get"]["parameters"]
    assert path_id["schema"]["type"] == "integer" and path_id["schema"]["maximum"] == 2**53 - 1


def test_seed_003_route_is_tagged_as_its_dialect_and_answers_201_and_422():
    from refunds_core.dialects import seed003

    path = "/v1/connections/{connectionId}/orders/{orderId}/refunds"
    tagged = {(method, route) for method, route, operation in _operations(COMMITTED)
              if operation["tags"] == [seed003.DIALECT.tag]}
    assert tagged == {("POST", path)}
    assert {"name": seed003.DIALECT.tag, "description": seed003.DIALECT.description} in COMMITTED["tags"]
    responses = COMMITTED["paths"][path]["post"]["responses"]
    assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Seed003Refund"}
    assert openapi.documented_codes(responses["422"]["content"]["application/json"]["schema"]) == [
        15030, 15040, 15050, 15090, 15100, 15130]
    assert openapi.documented_codes(responses["404"]["content"]["application/json"]["schema"]) == [15060, 15240]
    connection, _ = COMMITTED["paths"][path]["post"]["parameters"][:2]
    assert connection["schema"]["minLength"] == 36
    assert COMMITTED["paths"][path]["post"]["requestBody"]["required"] is False
