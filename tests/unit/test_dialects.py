"""The dialect mechanism (refunds_core/dialects): a function answers every error,
wherever it is raised, in the errors body and with the statuses of the dialect
its route speaks; our own routes are untouched. No AWS: the errors below are
raised before any call."""

from __future__ import annotations

import json
from decimal import Decimal
from http import HTTPStatus

import pytest

from refunds_core import errors
from refunds_core.api import MAX_BODY_BYTES, build_app
from refunds_core.callers import Role
from refunds_core.dialects import NATIVE, Dialect, seed002
from refunds_core.errors import ApiError
from refunds_core.routes import route
from tests.conftest import LambdaContext


def _flat_body(error: ApiError) -> dict:
    """Another vendor's errors body, carrying our code (as issue 17's seed 004 will)."""
    return {"error": error.entries[0][1], "code": error.entries[0][0]}


OTHER = Dialect(name="other", tag="other", envelope=None, error_body=_flat_body,
                statuses={errors.ORDER_NOT_PAID.code: HTTPStatus.NOT_ACCEPTABLE})


def _app(dialect: Dialect):
    app = build_app()

    @route(app, "POST", "/x/{orderId}", dialect=dialect, summary="x", tag="x", roles=None, answer=dict)
    def refuse(orderId: str):  # noqa: N803
        if orderId == "unpaid":
            raise ApiError(errors.ORDER_NOT_PAID)
        if orderId == "boom":
            raise RuntimeError("a bug")
        return {"amount": Decimal("22.50")}

    @route(app, "GET", "/x", dialect=dialect, summary="x", tag="x", roles=(Role.MERCHANT,), answer=dict)
    def guarded():
        return {}

    return app


def _call(app, method: str, path: str, body: str = "{}") -> tuple[int, dict]:
    event = {"resource": path, "path": path, "httpMethod": method, "headers": {}, "multiValueHeaders": {},
             "queryStringParameters": None, "pathParameters": None, "body": body, "isBase64Encoded": False,
             "requestContext": {"requestId": "test", "stage": "prod", "resourcePath": path}}
    answer = app.resolve(event, LambdaContext())
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize(("method", "path", "body", "code"), [
    ("GET", "/x", "", errors.UNAUTHORIZED),                         # the role middleware
    ("POST", "/x/a", "x" * (MAX_BODY_BYTES + 1), errors.REQUEST_TOO_LARGE),  # the global middleware
    ("POST", "/x/unpaid", "{}", errors.ORDER_NOT_PAID),              # the handler
    ("POST", "/x/boom", "{}", errors.INTERNAL),                       # a bug
    ("GET", "/nowhere", "", errors.ROUTE_NOT_FOUND),                  # no route
], ids=["401 middleware", "413 global middleware", "handler", "500 bug", "104 no route"])
def test_every_error_of_a_function_is_answered_in_its_dialect(method, path, body, code):
    status, answer = _call(_app(OTHER), method, path, body)
    assert answer == {"error": code.message, "code": code.code}
    assert status == (406 if code is errors.ORDER_NOT_PAID else int(code.status))
    native_status, native = _call(_app(NATIVE), method, path, body)
    assert (native_status, native) == (int(code.status), {"errors": [{"error": code.code, "message": code.message}]})


def test_a_dialect_gives_its_routes_their_envelope_and_decimals_are_numbers():
    assert _call(_app(OTHER), "POST", "/x/a") == (200, {"amount": 22.5})
    assert _call(_app(seed002.DIALECT), "POST", "/x/a") == (200, {"data": {"amount": 22.5}})
    answer = _app(seed002.DIALECT).resolve({"resource": "/x/a", "path": "/x/a", "httpMethod": "POST", "body": "{}",
                                             "headers": {}, "multiValueHeaders": {}, "isBase64Encoded": False,
                                             "requestContext": {"requestId": "t", "stage": "prod"}}, LambdaContext())
    assert answer["body"] == '{"data": {"amount": 22.50}}'


def test_a_function_speaks_one_dialect():
    app = _app(OTHER)
    with pytest.raises(ValueError, match="one dialect"):
        route(app, "GET", "/y", dialect=seed002.DIALECT, summary="y", roles=None, answer=dict)(lambda: {})


def test_seed_002_answers_our_errors_body_with_our_statuses():
    error = ApiError(errors.REFUND_ALREADY_OPEN)
    response = seed002.DIALECT.error_response(error)
    assert (response.status_code, json.loads(response.body)) == (400, error.body())
