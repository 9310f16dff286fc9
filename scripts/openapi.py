"""The API's OpenAPI 3.1 document, generated from the code that owns each part:

- the routes (method, path, function) from template.yaml, the one source of truth;
- the request bodies and query strings from the strict pydantic models the
  handlers parse with (refunds_core/models.py, listing_query.py...), the PATCH
  actions from the state machine (logic/transitions.py);
- the response bodies from refunds_core/responses.py;
- the error answers of each route from the catalogue (refunds_core/errors.py):
  each status a route can answer lists its codes, and the response schema
  allows those codes only;
- the ``webhooks`` section (OpenAPI 3.1) from the event types
  (refunds_core/events.py) and the event body (responses.RefundEvent).

Generated clients (openapi-python-client, tests/contract/test_generated_client.py)
must build from it without a warning, so every enumeration is one named
component schema, never an inline ``enum``: client generators name an inline
enum after its model and field, and two such names collided.

``OPERATIONS`` below says, per route, what the template cannot: who may call
it, which models it reads and answers with, and its own error codes. A test
(tests/unit/test_openapi.py) fails when a template route has no row here, or
a row has no template route.

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
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(ROOT / "shared"), str(ROOT)) if p not in sys.path]

from pydantic import BaseModel  # noqa: E402
from pydantic.json_schema import models_json_schema  # noqa: E402

from localrun import template as cfn  # noqa: E402
from refunds_core import errors, events, responses  # noqa: E402
from refunds_core.auth import Role  # noqa: E402
from refunds_core.errors import ErrorCode  # noqa: E402
from refunds_core.idempotency import NOT_STORED_CODES  # noqa: E402
from refunds_core.listing_query import ListQuery  # noqa: E402
from refunds_core.logic.transitions import TRANSITIONS  # noqa: E402
from refunds_core.logic.webhooks import DeliveriesQuery  # noqa: E402
from refunds_core.models import (  # noqa: E402
    CreateApiKeyRequest,
    CreateRefundRequest,
    CreateWebhookRequest,
    CustomerTokenRequest,
    OrderRequest,
    RefundQuery,
    ReplayRequest,
    RotateSecretRequest,
    TokenRequest,
)

DOCUMENT = ROOT / "functions" / "get_openapi" / "openapi.json"
PUBLISHED = ROOT / "docs" / "openapi.json"  # a symbolic link to DOCUMENT
OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/"
HEADERS = "#/components/headers/"
PARAMETERS = "#/components/parameters/"

MERCHANT, CUSTOMER, SERVICE, SUPPORT = Role.MERCHANT, Role.CUSTOMER, Role.SERVICE, Role.SUPPORT
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENT_METHODS = frozenset({"POST", "PATCH", "DELETE"})  # those that take an Idempotency-Key
# They take the header too, but store nothing: the token routes' answers are
# credentials, and preview writes nothing (its figures follow the order).
NOTHING_STORED = frozenset({("POST", "/v1/auth/token"), ("POST", "/v1/auth/customer-token"),
                            ("POST", "/v1/order/{orderId}/refund/preview")})


# The PATCH /v1/refunds/{refundId} body is one of the actions (built from TRANSITIONS).
PATCH_ACTIONS = "RefundAction"


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    roles: tuple[Role, ...] | None          # None: no authentication
    response: type[BaseModel] | None        # None with status 204: no body
    status: HTTPStatus = HTTPStatus.OK
    body: type[BaseModel] | str | None = None  # a model, or PATCH_ACTIONS
    body_required: bool = True              # False: a request without a body is valid too
    query: type[BaseModel] | None = None
    errors: tuple[ErrorCode, ...] = ()      # the route's own codes, beside those every route of its kind has
    description: str = ""
    api_keys: bool = True                   # False: a login's Bearer token only (X-API-KEY is 403)


# (method, template path) -> what the route is. Keep in the template's order.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/v1/auth/token"): Operation(
        "Exchange a login and password for a Bearer token", "auth", None, responses.TokenResponse,
        body=TokenRequest, errors=(errors.INVALID_CREDENTIALS,)),
    ("PUT", "/v1/orders/{orderId}"): Operation(
        "Create or replace an order (the order system)", "orders", (SERVICE,), responses.OrderResponse,
        body=OrderRequest, errors=(errors.CONFLICT, errors.ORDER_MONEY_FIXED, errors.ORDER_CUSTOMER_FIXED),
        description="The server computes `totals`. An order we refunded is no longer the order system's to "
                    "change (409, 109), nor, while a request is open or once a refund was issued, its currency, "
                    "lines and shipping (409, 15210), nor its customer once it has refunds (409, 15220)."),
    ("GET", "/v1/orders/{orderId}"): Operation(
        "An order, with its refunds", "orders", (MERCHANT, SUPPORT), responses.OrderWithRefundsResponse,
        errors=(errors.ORDER_NOT_FOUND,)),
    ("POST", "/v1/order/{orderId}/refund"): Operation(
        "Open a refund or return request", "refunds", (MERCHANT, CUSTOMER), responses.RefundResponse,
        body=CreateRefundRequest,
        errors=(errors.ORDER_NOT_FOUND, errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO, errors.REFUND_ALREADY_OPEN,
                errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING),
        description="Without `items` or `amount`, a full refund of everything that remains. Checks stop at the "
                    "first of 401, 403, 110, 111, 15000, 15060, 15030, 15040, 15050; then the fields (15010)."),
    ("POST", "/v1/order/{orderId}/refund/preview"): Operation(
        "What a refund request would return; writes nothing", "refunds", (MERCHANT, CUSTOMER),
        responses.RefundPreviewResponse, body=CreateRefundRequest,
        errors=(errors.ORDER_NOT_FOUND, errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO,
                errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING)),
    ("POST", "/v1/auth/customer-token"): Operation(
        "Mint a 15-minute token for one of the merchant's customers", "auth", (MERCHANT,),
        responses.TokenResponse, body=CustomerTokenRequest),
    ("GET", "/v1/refunds/{refundId}"): Operation(
        "One refund (with `expand=order`, its order beside it)", "refunds", (MERCHANT, CUSTOMER, SUPPORT),
        responses.RefundOrExpandedResponse, query=RefundQuery, errors=(errors.REFUND_NOT_FOUND,)),
    ("GET", "/v1/refunds"): Operation(
        "A page of refunds, newest first", "refunds", (MERCHANT, CUSTOMER, SUPPORT), responses.RefundPage,
        query=ListQuery,
        description="Filters combine. To read the next page, send the same parameters with "
                    "`cursor=<nextCursor>`; a page may hold fewer than `limit` refunds and still have a "
                    "`nextCursor`. Support must name a `merchantId`, an `orderId` or a `status`."),
    ("PATCH", "/v1/refunds/{refundId}"): Operation(
        "An action on a refund: APPROVE, SHIP_INIT, ISSUE, DENY, FAIL", "refunds", (MERCHANT, CUSTOMER, SUPPORT),
        responses.RefundResponse, body=PATCH_ACTIONS,
        errors=(errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT, errors.ORDER_NOT_PAID,
                errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING, errors.REFUND_HISTORY_FULL),
        description="Who may take which action from which status: the lifecycle table (docs/lifecycle.md)."),
    ("DELETE", "/v1/refunds/{refundId}"): Operation(
        "Cancel a refund request", "refunds", (MERCHANT, CUSTOMER), responses.RefundResponse,
        errors=(errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT)),
    ("POST", "/v1/webhooks"): Operation(
        "Register a webhook endpoint (its secret is shown only here)", "webhooks", (MERCHANT,),
        responses.WebhookCreatedResponse, status=HTTPStatus.CREATED, body=CreateWebhookRequest,
        errors=(errors.TOO_MANY_WEBHOOKS,)),
    ("GET", "/v1/webhooks"): Operation(
        "The merchant's webhook endpoints, oldest first", "webhooks", (MERCHANT,), responses.WebhookList),
    ("DELETE", "/v1/webhooks/{webhookId}"): Operation(
        "Remove a webhook endpoint", "webhooks", (MERCHANT,), responses.WebhookResponse,
        errors=(errors.WEBHOOK_NOT_FOUND,)),
    ("POST", "/v1/webhooks/{webhookId}/rotate-secret"): Operation(
        "A new signing secret; the previous ones keep signing for 24 hours, or as long as the body says",
        "webhooks", (MERCHANT,), responses.RotatedSecretResponse, body=RotateSecretRequest, body_required=False,
        errors=(errors.WEBHOOK_NOT_FOUND,),
        description="The body is optional. `previousSecretExpiresIn`: how many seconds the previous secrets keep "
                    "signing beside the new one (0 to 604800, default 86400); 0 stops them now, as after a leak."),
    ("GET", "/v1/webhooks/{webhookId}/deliveries"): Operation(
        "The endpoint's delivery attempts, newest first", "webhooks", (MERCHANT,), responses.DeliveryPage,
        query=DeliveriesQuery, errors=(errors.WEBHOOK_NOT_FOUND,)),
    ("POST", "/v1/webhooks/{webhookId}/replay"): Operation(
        "Deliver one past event, or those since a time, again", "webhooks", (MERCHANT,),
        responses.ReplayQueuedResponse, status=HTTPStatus.ACCEPTED, body=ReplayRequest,
        errors=(errors.WEBHOOK_NOT_FOUND, errors.EVENT_NOT_FOUND),
        description="Exactly one of `eventId` and `since` (both or neither: 15010 for both)."),
    ("GET", "/v1/openapi.json"): Operation(
        "This document", "meta", None, None,
        description="The OpenAPI document of the API, generated from its code (scripts/openapi.py)."),
    ("POST", "/v1/api-keys"): Operation(
        "Create an API key (shown once, stored hashed)", "api-keys", (MERCHANT,), responses.ApiKeyCreatedResponse,
        status=HTTPStatus.CREATED, body=CreateApiKeyRequest, errors=(errors.TOO_MANY_API_KEYS,), api_keys=False,
        description="With a merchant login's Bearer token only: an API key is 403 (15120) on the key routes."),
    ("GET", "/v1/api-keys"): Operation(
        "The merchant's API keys (never the keys themselves)", "api-keys", (MERCHANT,), responses.ApiKeyList,
        api_keys=False),
    ("DELETE", "/v1/api-keys/{keyId}"): Operation(
        "Revoke an API key", "api-keys", (MERCHANT,), None, status=HTTPStatus.NO_CONTENT,
        errors=(errors.API_KEY_NOT_FOUND,), api_keys=False),
}

# The path parameters' formats: what the routes accept before a read.
PATH_PARAMETERS = {
    "orderId": responses.Identifier, "refundId": responses.RefundId, "webhookId": responses.WebhookId,
    "keyId": responses.ApiKeyId,
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
        "schema": {"type": "string", "pattern": rf"^evt_{responses.ULID}$"}},
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

INFO_DESCRIPTION = """\
Merchants open refund and return requests for their customers' orders, and follow them through review to payout.

**Authentication.** `Authorization: Bearer <token>` (`POST /v1/auth/token`), or, on merchant routes,
`X-API-KEY: <key>` (`POST /v1/api-keys`).

**Errors.** Every error of every route, API Gateway's own included, has the body
`{"errors": [{"error": <code>, "message": "<text>"}]}`; each response below lists the codes it can carry. API
Gateway answers an unknown route with 404 (104), a body over 16 KB with 413 (112), throttling with 429 (15150,
`Retry-After`), and its own failures with a 5xx (100).

**Money** is a decimal string exact to the currency's minor unit (`"59.50"`), never a number.

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


def _component_schemas(request_models: list[type[BaseModel]], response_models: list[type[BaseModel]]) -> dict:
    pairs = [(model, "validation") for model in request_models] + [(model, "serialization") for model in
                                                                      response_models]
    _, top = models_json_schema(pairs, ref_template=SCHEMAS + "{model}")
    schemas = {name: _clean(schema) for name, schema in top.get("$defs", {}).items()}
    for model in (*request_models, *response_models):
        if model.__doc__ and model.__name__ in schemas and "description" not in schemas[model.__name__]:
            schemas[model.__name__]["description"] = " ".join(model.__doc__.split())
    return dict(sorted(schemas.items()))


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
        actions[f"{PATCH_ACTIONS}{action.title().replace('_', '')}"] = {
            "type": "object", "description": f"{action}: {roles}.",
            "properties": {"action": {"type": "string", "const": action}, **fields.get("properties", {})},
            "required": ["action", *fields.get("required", [])], "additionalProperties": False,
        }
    body = {"oneOf": [{"$ref": SCHEMAS + name} for name in actions],
            "discriminator": {"propertyName": "action", "mapping": {
                schema["properties"]["action"]["const"]: SCHEMAS + name for name, schema in actions.items()}}}
    return actions, body


def _simple_schema(annotation) -> dict:
    from pydantic import TypeAdapter

    return _clean(TypeAdapter(annotation).json_schema())


# --------------------------------------------------------------- responses

def _error_codes(method: str, path: str, operation: Operation) -> list[ErrorCode]:
    """Every code the route can answer with: those of its kind, then its own."""
    codes: list[ErrorCode] = []
    if operation.roles is not None:
        codes += [errors.UNAUTHORIZED, errors.FORBIDDEN, errors.UNKNOWN_ACCOUNT]
    if operation.body is not None:
        codes += [errors.INVALID_JSON, errors.INVALID_CONTENT_TYPE]
    if method in WRITE_METHODS:
        codes.append(errors.REQUEST_TOO_LARGE)  # any body over 16 KB, even where none is read
    # 15010 names a bad field, query parameter or Idempotency-Key header.
    if operation.body is not None or operation.query is not None or method in IDEMPOTENT_METHODS:
        codes.append(errors.INVALID_FIELD)
    codes += operation.errors
    if method in IDEMPOTENT_METHODS and (method, path) not in NOTHING_STORED:
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
    allowed = schema["properties"]["errors"]["items"]["properties"]["error"]["anyOf"]
    return [int(entry["$ref"].removeprefix(SCHEMAS + "ErrorCode")) for entry in allowed]


def _header(name: str) -> dict:
    return {"$ref": HEADERS + name}


def _error_response(status: int, codes: list[ErrorCode], replayable: bool) -> dict:
    codes = sorted(codes, key=lambda c: c.code)
    lines = [f"- {code.code}: {code.message.replace('{field}', '<name>')}" for code in codes]
    response = {
        "description": f"{HTTPStatus(status).phrase}.\n\n" + "\n".join(lines),
        # The errors body, its codes narrowed to those this route answers with at this status.
        "content": {"application/json": {"schema": {
            "$ref": SCHEMAS + "ErrorBody",
            "properties": {"errors": {"items": {"properties": {"error": {
                "anyOf": [{"$ref": SCHEMAS + error_code_schema(code)} for code in codes]}}}}},
        }}},
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


def _responses(method: str, path: str, operation: Operation) -> dict:
    replayable = method in IDEMPOTENT_METHODS and (method, path) not in NOTHING_STORED
    success: dict = {"description": HTTPStatus(operation.status).phrase + "."}
    if operation.response is not None:
        success["content"] = {"application/json": {"schema": {"$ref": SCHEMAS + operation.response.__name__}}}
    elif operation.status != HTTPStatus.NO_CONTENT:  # this document
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
        success["headers"] = {"Cache-Control": _header("CacheControl")}
    if replayable:
        success["headers"] = {"Idempotent-Replayed": _header("IdempotentReplayed")}
    answers = {str(int(operation.status)): success}
    by_status: dict[int, list[ErrorCode]] = {}
    for code in _error_codes(method, path, operation):
        by_status.setdefault(int(code.status), []).append(code)
    for status in sorted(by_status):
        answers[str(status)] = _error_response(status, by_status[status], replayable)
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
                "$ref": SCHEMAS + responses.RefundEvent.__name__,
                "properties": {"type": {"const": event_type}}}}}},
            "responses": {"2XX": {"description": "Delivered. Any other answer, or none within 15 seconds, is "
                                                 "retried on the schedule, then recorded `failed` (replay it)."}},
        }}
    return hooks


# --------------------------------------------------------------- operations

def _operation_id(function: str) -> str:
    name = function.removesuffix("Function")
    return name[:1].lower() + name[1:]


def _parameters(method: str, path: str, operation: Operation, schemas: dict) -> list[dict]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": _simple_schema(PATH_PARAMETERS[name])}
                  for name in re.findall(r"\{([^}]+)\}", path)]
    if operation.query is not None:
        schema = _clean(operation.query.model_json_schema())
        required = set(schema.get("required", []))
        for name, field_schema in schema["properties"].items():
            field = operation.query.model_fields[name]
            named = _named_enums(field_schema, schemas, operation.query.__name__ + name[:1].upper() + name[1:])
            parameter = {"name": name, "in": "query", "required": name in required, "schema": named}
            if field.description:
                parameter["description"] = field.description
            parameters.append(parameter)
    if method in IDEMPOTENT_METHODS:
        parameters.append(IDEMPOTENCY_KEY)
    return parameters


def _security(operation: Operation) -> list[dict]:
    if operation.roles is None:
        return []
    schemes = [{"BearerAuth": []}]
    if MERCHANT in operation.roles and operation.api_keys:
        schemes.append({"ApiKeyAuth": []})
    return schemes


def _operation(method: str, path: str, function: str, operation: Operation, schemas: dict) -> dict:
    roles = "no authentication" if operation.roles is None else "roles: " + ", ".join(
        role.value for role in Role if role in operation.roles)
    description = f"{operation.description}\n\n{roles.capitalize()}.".strip()
    document = {"operationId": _operation_id(function), "summary": operation.summary, "description": description,
                "tags": [operation.tag], "security": _security(operation)}
    if parameters := _parameters(method, path, operation, schemas):
        document["parameters"] = parameters
    if operation.body is not None:
        name = operation.body if isinstance(operation.body, str) else operation.body.__name__
        document["requestBody"] = {"required": operation.body_required, "content": {"application/json": {
            "schema": {"$ref": SCHEMAS + name}}}}
    document["responses"] = _responses(method, path, operation)
    return document


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def template_routes() -> list[cfn.Route]:
    return cfn.api_routes(cfn.load_template(ROOT / "template.yaml"))


def document(routes: list[cfn.Route] | None = None) -> dict:
    """The OpenAPI document of the routes (template.yaml's by default)."""
    routes = template_routes() if routes is None else routes
    used = [OPERATIONS[(route.method, route.path)] for route in routes]
    request_models = [op.body for op in used if isinstance(op.body, type)]
    response_models = [responses.ErrorBody, responses.RefundEvent] + [op.response for op in used
                                                                        if op.response is not None]
    schemas = _component_schemas(list(dict.fromkeys(request_models)), list(dict.fromkeys(response_models)))
    if any(op.body == PATCH_ACTIONS for op in used):
        actions, body = _patch_actions()
        schemas.update({**actions, PATCH_ACTIONS: body})
    schemas = _without_inline_enums({**schemas, **_error_code_schemas()})
    paths: dict[str, dict] = {}
    for route, operation in zip(routes, used, strict=True):
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route.method, route.path, route.function,
                                                                            operation, schemas)
    tags = list(dict.fromkeys([*(op.tag for op in used), "webhooks"]))
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
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "webhooks": _webhooks(),
        "components": {
            "securitySchemes": {
                "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "A token from POST /v1/auth/token (or a customer token)."},
                "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-KEY",
                               "description": "A merchant's API key (POST /v1/api-keys); merchant routes only."},
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
