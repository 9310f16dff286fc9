"""The API's OpenAPI 3.1 document, generated from the code that owns each part:

- the routes (method, path, function) from template.yaml, the one source of truth;
- what each route is (roles, summary, request and answer, its own error codes)
  from its declaration, ``@route(...)`` on its handler (refunds_core/routes.py):
  each function's module is imported and its ``app.contracts`` read;
- the request bodies and query strings from the strict pydantic models the
  handlers parse with (refunds_core/models.py, listing_query.py...), the PATCH
  actions from the state machine (logic/transitions.py);
- the response bodies from the answer shapes (refunds_core/shapes.py), wrapped
  as each route declares (``{"data": ...}``, lists, pages);
- the error answers of each route from the catalogue (refunds_core/errors.py):
  each status a route can answer lists its codes, and the response schema
  allows those codes only; a route of another dialect (refunds_core/dialects)
  answers them with its dialect's statuses and errors body, and is tagged
  with its dialect;
- the ``webhooks`` section (OpenAPI 3.1) from the event types
  and the event body (refunds_core/events.py), its ``data`` a ``Refund``.

Generated clients (openapi-python-client, tests/contract/test_generated_client.py)
must build from it without a warning, so every enumeration is one named
component schema, never an inline ``enum``: client generators name an inline
enum after its model and field, and two such names collided.

A test (tests/unit/test_openapi.py) fails when a template route has no
declaration, or a declaration no template route.

The document is written to ``functions/get_openapi/openapi.json``, which the
OpenApiFunction ships and serves at ``GET /v1/openapi.json``;
``docs/openapi.json`` is a symbolic link to it (one generated file).
``make docs`` regenerates it; a test fails when it is stale.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from http import HTTPStatus
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(ROOT / "shared"), str(ROOT)) if p not in sys.path]

import importlib.util  # noqa: E402
from functools import cache  # noqa: E402

from pydantic import TypeAdapter  # noqa: E402

from localrun import template as cfn  # noqa: E402
from refunds_core import errors, events, shapes  # noqa: E402
from refunds_core.callers import Role, Scope  # noqa: E402
from refunds_core.dialects import Dialect  # noqa: E402
from refunds_core.errors import ErrorCode  # noqa: E402
from refunds_core.idempotency import NOT_STORED_CODES  # noqa: E402
from refunds_core.logic.transitions import (  # noqa: E402
    ACTION_BODY,
    SIMULATE_BODY,
    SIMULATED_ACTIONS,
    TRANSITIONS,
    UPDATE_BODY,
)
from refunds_core.models import MetadataUpdate  # noqa: E402
from refunds_core.routes import Contract  # noqa: E402

DOCUMENT = ROOT / "functions" / "get_openapi" / "openapi.json"
PUBLISHED = ROOT / "docs" / "openapi.json"  # a symbolic link to DOCUMENT
OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/"
HEADERS = "#/components/headers/"
PARAMETERS = "#/components/parameters/"

MERCHANT = Role.MERCHANT
JSON = "application/json"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@cache
def contracts() -> dict[tuple[str, str], tuple[str, Contract]]:
    """(method, template path) -> (function, its declaration), for every route
    a function of the template declares (``@route`` on its handler)."""
    found = {}
    template = cfn.load_template(ROOT / "template.yaml")
    served = {route.function for route in cfn.api_routes(template)}
    for logical_id, spec in cfn.functions(template).items():
        if logical_id not in served:
            continue
        module_name, _, attribute = spec.handler.rpartition(".")
        source = ROOT / spec.code_uri / f"{module_name}.py"
        loader = importlib.util.spec_from_file_location(f"openapi_{logical_id}", source)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        for contract in getattr(getattr(module, "app", None), "contracts", ()):
            found[(contract.method, contract.path)] = (logical_id, contract)
    return found


# The path parameters' formats: what the routes accept before a read.
PATH_PARAMETERS = {
    "orderId": shapes.Identifier, "refundId": shapes.RefundId, "webhookId": shapes.WebhookId,
    "keyId": shapes.ApiKeyId, "eventId": shapes.EventId,
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes the request safe to retry for 24 hours: a repeat with the same key and the same "
                   "method, path and body answers the first response again (with `Idempotent-Replayed: true`) "
                   "and changes nothing; the same key with another request is 422 (15130); while the first is "
                   "still in flight, 409 (15140) with `Retry-After`. Keys are scoped per caller.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
}
# Response headers, each one component (components.headers).
RESPONSE_HEADERS = {
    "IdempotentReplayed": {"description": "`true` when this is the stored answer to an earlier request with the same "
                                          "Idempotency-Key.", "schema": {"type": "string", "const": "true"}},
    "RetryAfter": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}},
    "CorrelationId": {"description": "Finds the request in the logs (answers of a function only).",
                      "schema": {"type": "string"}},
    "CacheControl": {"description": "How long the document may be cached.", "schema": {"type": "string"}},
}
# Codes never in a replayed answer: those not stored (idempotency.NOT_STORED_CODES), and
# those answered before the stored answer is looked up, or by the idempotency layer itself.
NEVER_REPLAYED = NOT_STORED_CODES | {errors.UNAUTHORIZED.code, errors.IDEMPOTENCY_KEY_REUSED.code,
                                     errors.IDEMPOTENCY_IN_FLIGHT.code, errors.THROTTLED.code}

# The Standard Webhooks headers of every delivery (logic/delivery.signature_headers).
WEBHOOK_HEADERS = {
    "WebhookIdHeader": {
        "name": "webhook-id", "in": "header", "required": True,
        "description": "The event's `id`: the same for every delivery of this change (retries, replays). "
                       "De-duplicate on it.",
        "schema": {"type": "string", "pattern": rf"^evt_{shapes.ULID}$"}},
    "WebhookTimestampHeader": {
        "name": "webhook-timestamp", "in": "header", "required": True,
        "description": "When this delivery was signed, in seconds since the Unix epoch. Refuse a delivery whose "
                       "timestamp is far from your clock (Standard Webhooks libraries allow 5 minutes).",
        "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    "WebhookSignatureHeader": {
        "name": "webhook-signature", "in": "header", "required": True,
        "description": "`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` with the endpoint's "
                       "secret, space-separated when more than one secret signs (for 24 hours after a rotation). "
                       "Verify it with any Standard Webhooks library: "
                       "`standardwebhooks.webhooks.Webhook(secret).verify(body, headers)`.",
        "schema": {"type": "string", "pattern": "^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$"}},
}

SCOPES_DESCRIPTION = ", ".join(f"`{scope.value}` ({what})" for scope, what in (
    (Scope.READ_ORDER, "read orders and refunds"), (Scope.WRITE_ORDER, "open, change and cancel refunds"),
    (Scope.MANAGE_WEBHOOKS, "manage webhook endpoints"))) + (
    ". A key has the scopes it was created with (all by default); without the operation's, 403 (15120).")

INFO_DESCRIPTION = """\
Merchants open refund and return requests for their customers' orders, and follow them through review to payout.

**Authentication.** `Authorization: Bearer <token>` (`POST /v1/auth/token`), or, on merchant routes,
`X-API-KEY: <key>` (`POST /v1/api-keys`), which needs the scope each operation names (`read_order`,
`write_order`, `manage_webhooks`; docs/api-keys.md).

**Errors.** Every error of every route (but seed 004's, below), API Gateway's own included, has the body
`{"errors": [{"error": <code>, "message": "<text>"}]}`; each response below lists the codes it can carry. API
Gateway answers an unknown route with 404 (104), a body over 16 KB with 413 (112), a URL over 10 240 characters
with 414, throttling with 429 (15150, `Retry-After`), and its own failures with a 5xx (100).

**Money** is a decimal string exact to the currency's minor unit (`"59.50"`), never a number; except on the
routes of seed 002's dialect (`/api/v2`), which its clients read as JSON numbers, written exactly (`59.50`).

**Dialects.** The routes tagged `seed 002 (/api/v2)` speak another vendor's refund API on the same refunds
(docs/dialects.md): its entity, ids and statuses; our errors body and codes. The route tagged `seed 003
(connections)` speaks a third: a refund of items under one of the merchant's store connections (`GET
/v1/connections`), 201 with the refund at the top level of the body, 422 for what the order cannot do. Those
tagged `seed 004 (full-order refund)` speak a fourth: its refund order at the top level of the body, and its errors
body, `{"errors": ["<message>"], "code": <code>}`, with our codes.

Generated from the code by `scripts/openapi.py` (`make docs`); do not edit by hand."""


# ------------------------------------------------------------------ schemas

def _clean(schema):
    """pydantic's JSON schema without what only adds noise to a contract: the
    titles it derives from names, and ``default: null`` on fields that do
    not accept null (absent and null differ in this API)."""
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        if key in ("properties", "$defs", "patternProperties"):
            cleaned[key] = {name: _clean(sub) for name, sub in value.items()}
        else:
            cleaned[key] = _clean(value)
    return cleaned


def _component_schemas(request_models: list[type], answers: list) -> dict:
    """The request models' and answer shapes' schemas, and every schema they
    name (``$defs``), by name. An answer's objects take no other property
    (``additionalProperties: false``): a field ``present`` adds and the shape
    lacks fails the contract tests."""
    inputs = [(model, "validation", TypeAdapter(model)) for model in request_models]
    inputs += [(answer, "serialization", TypeAdapter(answer)) for answer in answers]
    _, top = TypeAdapter.json_schemas(inputs, ref_template=SCHEMAS + "{model}")
    schemas = {name: _clean(schema) for name, schema in top.get("$defs", {}).items()}
    request_names = {model.__name__ for model in request_models}
    for name, schema in schemas.items():
        if name not in request_names and schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
    return dict(sorted(schemas.items()))


def _envelope(contract: Contract) -> tuple[str, dict] | None:
    """The component of a route's answer as its envelope wraps the shape:
    (name, schema), or None for a bare shape."""
    name = contract.answer.__name__
    shape = {"$ref": SCHEMAS + name}
    if contract.envelope == "data":
        return f"{name}Response", _object({"data": shape})
    if contract.envelope == "list":
        return f"{name}List", _object({"data": {"type": "array", "items": shape}})
    if contract.envelope == "page":
        return f"{name}Page", _object({"data": {"type": "array", "items": shape}, "nextCursor": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "Send it as `cursor` with the same parameters; null on the last page."}})
    return None


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _answer_name(contract: Contract) -> str | None:
    if contract.answer is None:
        return None
    wrapped = _envelope(contract)
    return wrapped[0] if wrapped else contract.answer.__name__


def _named_enums(node, schemas: dict, name: str):
    """``node`` with each inline ``enum`` replaced by a reference to the
    component schema with the same values, or, when none has them, to a new
    one named ``name`` + the field's name (the request models' enums: their
    Literal types are the validators'). A new name already taken by other
    values is an error, never a silent second meaning."""
    if isinstance(node, list):
        return [_named_enums(item, schemas, name) for item in node]
    if not isinstance(node, dict):
        return node
    if "enum" in node:
        values = node["enum"]
        known = [key for key, schema in schemas.items() if schema.get("enum") == values]
        if not known:
            if name in schemas:
                raise ValueError(f"an enum named {name} already exists with other values than {values}")
            schemas[name] = {"type": node["type"], "enum": values}
            known = [name]
        rest = {key: value for key, value in node.items() if key not in ("enum", "type")}
        return {"$ref": SCHEMAS + known[0], **rest}
    named = {}
    for key, value in node.items():
        if key == "properties":
            named[key] = {field: _named_enums(sub, schemas, name + field[:1].upper() + field[1:])
                          for field, sub in value.items()}
        else:
            named[key] = _named_enums(value, schemas, name)
    return named


def _without_inline_enums(schemas: dict) -> dict:
    """Every component schema with its inline enums named (``_named_enums``)."""
    named = dict(schemas)
    for component, schema in schemas.items():
        if "enum" not in schema:
            named[component] = _named_enums(schema, named, component)
    return named


def _patch_actions() -> tuple[dict, dict]:
    """PATCH /v1/refunds/{refundId}'s body: one schema per action of the state
    machine, its fields from the action's model; and the body schema choosing one."""
    actions = {}
    for action, transition in TRANSITIONS.items():
        if transition.route != "PATCH":
            continue
        fields = _clean(transition.fields.model_json_schema()) if transition.fields else {}
        roles = ", ".join(role.value for role in Role if role in transition.roles)
        actions[f"{ACTION_BODY}{action.title().replace('_', '')}"] = {
            "type": "object", "description": f"{action}: {roles}.",
            "properties": {"action": {"type": "string", "const": action}, **fields.get("properties", {})},
            "required": ["action", *fields.get("required", [])], "additionalProperties": False,
        }
    return actions, _one_of_actions(actions)


def _one_of_actions(actions: dict) -> dict:
    """A body that is one of ``actions``, told apart by its ``action``."""
    return {"oneOf": [{"$ref": SCHEMAS + name} for name in actions],
            "discriminator": {"propertyName": "action", "mapping": {
                schema["properties"]["action"]["const"]: SCHEMAS + name for name, schema in actions.items()}}}


def _simple_schema(annotation) -> dict:
    from pydantic import TypeAdapter

    return _clean(TypeAdapter(annotation).json_schema())


# --------------------------------------------------------------- responses

def _error_codes(contract: Contract) -> list[ErrorCode]:
    """Every code the route can answer with: those of its kind, then its own."""
    codes: list[ErrorCode] = []
    if contract.roles is not None:
        codes += [errors.UNAUTHORIZED, errors.FORBIDDEN, errors.UNKNOWN_ACCOUNT]
    if contract.body is not None:
        codes += [errors.INVALID_JSON, errors.INVALID_CONTENT_TYPE]
    if contract.method in WRITE_METHODS:
        codes.append(errors.REQUEST_TOO_LARGE)  # any body over 16 KB, even where none is read
    # 15010 names a bad field, query parameter or Idempotency-Key header.
    if contract.body is not None or contract.query is not None or contract.keyed is not None:
        codes.append(errors.INVALID_FIELD)
    codes += contract.errors
    if contract.keyed == "stored":
        codes += [errors.IDEMPOTENCY_KEY_REUSED, errors.IDEMPOTENCY_IN_FLIGHT]
    codes += [errors.THROTTLED, errors.INTERNAL]
    unique: list[ErrorCode] = []
    for code in codes:
        if code not in unique:
            unique.append(code)
    return unique


def error_code_schema(code: ErrorCode) -> str:
    """The name of the component schema of one code of the catalogue."""
    return f"ErrorCode{code.code}"


def _error_code_schemas() -> dict:
    """One component per code of the catalogue, its message as its description:
    a route's error answers name the codes they may carry by reference."""
    return {error_code_schema(code): {"type": "integer", "const": code.code,
                                      "description": code.message.replace("{field}", "<name>")}
            for code in errors.CATALOGUE}


def documented_codes(schema: dict) -> list[int]:
    """The codes an error answer's schema (``_error_response``) allows."""
    properties = schema["properties"]
    allowed = properties["code"]["anyOf"] if "code" in properties else \
        properties["errors"]["items"]["properties"]["error"]["anyOf"]
    return [int(entry["$ref"].removeprefix(SCHEMAS + "ErrorCode")) for entry in allowed]


def _header(name: str) -> dict:
    return {"$ref": HEADERS + name}


def _error_schema(dialect: Dialect, codes: list[ErrorCode]) -> dict:
    """The errors body of a dialect's error answer, its codes narrowed to those
    this route answers with at this status: ours (each entry's ``error``), or
    another dialect's body as its shape says, our code in its ``code``."""
    allowed = {"anyOf": [{"$ref": SCHEMAS + error_code_schema(code)} for code in codes]}
    if dialect.error_shape is not shapes.ErrorBody:
        return {"$ref": SCHEMAS + dialect.error_shape.__name__, "properties": {"code": allowed}}
    return {"$ref": SCHEMAS + "ErrorBody", "properties": {"errors": {"items": {"properties": {"error": allowed}}}}}


def _error_response(status: int, codes: list[ErrorCode], replayable: bool, dialect: Dialect) -> dict:
    codes = sorted(codes, key=lambda c: c.code)
    lines = [f"- {code.code}: {dialect.message_of(code.code, code.message).replace('{field}', '<name>')}"
             for code in codes]
    response = {
        "description": f"{HTTPStatus(status).phrase}.\n\n" + "\n".join(lines),
        "content": {"application/json": {"schema": _error_schema(dialect, codes)}},
    }
    headers = {}
    if replayable and any(code.code not in NEVER_REPLAYED for code in codes):
        headers["Idempotent-Replayed"] = _header("IdempotentReplayed")
    if any(code in (errors.IDEMPOTENCY_IN_FLIGHT, errors.THROTTLED, errors.INTERNAL) for code in codes):
        headers["Retry-After"] = _header("RetryAfter")
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        headers["X-Correlation-Id"] = _header("CorrelationId")
    if headers:
        response["headers"] = headers
    return response


def _responses(contract: Contract) -> dict:
    replayable = contract.keyed == "stored"
    success: dict = {"description": HTTPStatus(contract.status).phrase + "."}
    if contract.media_type != JSON:  # a document of its own type (CSV): its text, described
        media_type = contract.media_type.split(";", 1)[0]  # its parameters (charset) are the answer's header's
        success["content"] = {media_type: {"schema": _simple_schema(contract.answer)}}
    elif (answer := _answer_name(contract)) is not None:
        success["content"] = {"application/json": {"schema": {"$ref": SCHEMAS + answer}}}
    elif contract.status != HTTPStatus.NO_CONTENT:  # this document
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
        success["headers"] = {"Cache-Control": _header("CacheControl")}
    if replayable:
        success["headers"] = {"Idempotent-Replayed": _header("IdempotentReplayed")}
    answers = {str(int(contract.status)): success}
    by_status: dict[int, list[ErrorCode]] = {}
    for code in _error_codes(contract):
        by_status.setdefault(int(contract.dialect.status_of(code.code, code.status)), []).append(code)
    for status in sorted(by_status):
        answers[str(status)] = _error_response(status, by_status[status], replayable, contract.dialect)
    return answers


# ----------------------------------------------------------------- webhooks

def _webhooks() -> dict:
    """The top-level ``webhooks``: per event type, the POST a subscribed endpoint receives."""
    hooks = {}
    for action, event_type in events.TYPE_OF_ACTION.items():
        hooks[event_type] = {"post": {
            "summary": f"`{event_type}`: a refund's {action} is written (its history's new entry)",
            "description": "Sent to each endpoint subscribed to this type, signed per Standard Webhooks. `data` is "
                           "the refund after the change; `sequence` orders the events of one refund.",
            "tags": ["webhooks"],
            "parameters": [{"$ref": PARAMETERS + name} for name in WEBHOOK_HEADERS],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "$ref": SCHEMAS + events.RefundEvent.__name__,
                "properties": {"type": {"const": event_type}}}}}},
            "responses": {"2XX": {"description": "Delivered. Any other answer, or none within 15 seconds, is "
                                                 "retried on the schedule, then recorded `failed` (replay it)."}},
        }}
    return hooks


# --------------------------------------------------------------- operations

def _operation_id(function: str) -> str:
    name = function.removesuffix("Function")
    return name[:1].lower() + name[1:]


def _parameters(contract: Contract, schemas: dict) -> list[dict]:
    formats = {**PATH_PARAMETERS, **contract.dialect.path_parameters}
    parameters = [{"name": name, "in": "path", "required": True, "schema": _simple_schema(formats[name])}
                  for name in re.findall(r"\{([^}]+)\}", contract.path)]
    if contract.query is not None:
        schema = _clean(contract.query.model_json_schema())
        required = set(schema.get("required", []))
        for name, field_schema in schema["properties"].items():
            field = contract.query.model_fields[name]
            named = _named_enums(field_schema, schemas, contract.query.__name__ + name[:1].upper() + name[1:])
            parameter = {"name": name, "in": "query", "required": name in required, "schema": named}
            if field.description:
                parameter["description"] = field.description
            parameters.append(parameter)
    if contract.keyed is not None:
        parameters.append(IDEMPOTENCY_KEY)
    return parameters


def _security(contract: Contract) -> list[dict]:
    """Who may call: a token, and on merchant routes an API key with the
    route's scope (OpenAPI 3.1 lets a scheme other than OAuth list the roles
    it needs). A token has every scope (a customer token, its minter's)."""
    if contract.roles is None:
        return []
    schemes = [{"BearerAuth": []}]
    if MERCHANT in contract.roles and contract.api_keys:
        schemes.append({"ApiKeyAuth": [contract.required_scope.value]})
    return schemes


def _operation(function: str, contract: Contract, schemas: dict) -> dict:
    roles = "no authentication" if contract.roles is None else "roles: " + ", ".join(
        role.value for role in Role if role in contract.roles)
    scope = contract.required_scope
    needs = "" if scope is None else f" An API key needs the scope `{scope.value}`."
    if scope is not None and not (MERCHANT in contract.roles and contract.api_keys):
        needs = ""  # no API key may call it
    description = f"{contract.description}\n\n{roles.capitalize()}.{needs}".strip()
    document = {"operationId": _operation_id(function), "summary": contract.summary, "description": description,
                "tags": [contract.tag], "security": _security(contract)}
    if parameters := _parameters(contract, schemas):
        document["parameters"] = parameters
    if contract.body is not None:
        name = contract.body if isinstance(contract.body, str) else contract.body.__name__
        document["requestBody"] = {"required": contract.body_required, "content": {"application/json": {
            "schema": {"$ref": SCHEMAS + name}}}}
    document["responses"] = _responses(contract)
    return document


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def template_routes() -> list[cfn.Route]:
    return cfn.api_routes(cfn.load_template(ROOT / "template.yaml"))


def document(routes: list[cfn.Route] | None = None) -> dict:
    """The OpenAPI document of the routes (template.yaml's by default)."""
    routes = template_routes() if routes is None else routes
    declared = contracts()
    used = [declared[(route.method, route.path)] for route in routes]
    request_models = [contract.body for _, contract in used if isinstance(contract.body, type)]
    updates = any(contract.body == UPDATE_BODY for _, contract in used)
    request_models += [MetadataUpdate] if updates else []
    answers = [shapes.ErrorBody, shapes.Refund, events.RefundEvent] + [
        contract.answer for _, contract in used if contract.answer is not None and contract.media_type == JSON]
    answers += [contract.dialect.error_shape for _, contract in used]
    schemas = _component_schemas(list(dict.fromkeys(request_models)), list(dict.fromkeys(answers)))
    # The event's model carries the refund as the dict the publisher presented: it is a Refund.
    schemas["RefundEvent"]["properties"]["data"] = {
        "$ref": SCHEMAS + "Refund", "description": schemas["RefundEvent"]["properties"]["data"]["description"]}
    schemas.update(dict(envelope for _, contract in used if contract.answer is not None
                        and contract.media_type == JSON and (envelope := _envelope(contract)) is not None))
    simulates = any(contract.body == SIMULATE_BODY for _, contract in used)
    if updates or simulates or any(contract.body == ACTION_BODY for _, contract in used):
        actions, body = _patch_actions()
        schemas.update({**actions, ACTION_BODY: body})
    if simulates:  # test mode's simulation: support's actions only
        schemas[SIMULATE_BODY] = _one_of_actions({name: schema for name, schema in actions.items()
                                                  if schema["properties"]["action"]["const"] in SIMULATED_ACTIONS})
    if updates:  # an action, or a metadata change: they differ by whether `action` is there
        schemas[UPDATE_BODY] = {"oneOf": [{"$ref": SCHEMAS + ACTION_BODY}, {"$ref": SCHEMAS + MetadataUpdate.__name__}]}
    schemas = _without_inline_enums({**schemas, **_error_code_schemas()})
    paths: dict[str, dict] = {}
    for route, (function, contract) in zip(routes, used, strict=True):
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(function, contract, schemas)
    tags = list(dict.fromkeys([*(contract.tag for _, contract in used), "webhooks"]))
    described = {contract.dialect.tag: contract.dialect.description for _, contract in used if contract.dialect.tag}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Refund Requests API", "version": _version(), "description": INFO_DESCRIPTION},
        "servers": [
            {"url": "http://127.0.0.1:3000", "description": "`make run` on your machine"},
            {"url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
             "description": "A deployed stack (its `ApiUrl` output)",
             "variables": {"restApiId": {"default": "abc123"}, "region": {"default": "us-east-1"},
                           "stage": {"default": "prod"}}},
        ],
        "tags": [{"name": tag, **({"description": described[tag]} if tag in described else {})} for tag in tags],
        "paths": paths,
        "webhooks": _webhooks(),
        "components": {
            "securitySchemes": {
                "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "A token from POST /v1/auth/token (or a customer token)."},
                "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-KEY",
                               "description": "A merchant's API key (POST /v1/api-keys); merchant routes only. "
                                              "Each operation lists the scope a key needs for it: "
                                              + SCOPES_DESCRIPTION},
            },
            "schemas": dict(sorted(schemas.items())),
            "parameters": WEBHOOK_HEADERS,
            "headers": RESPONSE_HEADERS,
        },
    }


def render(doc: dict | None = None) -> str:
    return json.dumps(document() if doc is None else doc, indent=2, ensure_ascii=False) + "\n"


def write() -> Path:
    DOCUMENT.write_text(render(), encoding="utf-8")
    return DOCUMENT


if __name__ == "__main__":
    print(f"{write().relative_to(ROOT)} regenerated")
