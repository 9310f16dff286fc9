"""Bodies over 16 KB are refused by every route's resolver before anything
else runs (no token check, no AWS call): 413, error 112."""

from __future__ import annotations

import base64
import json

import pytest

from refunds_core.api import MAX_BODY_BYTES, build_app
from tests.conftest import LambdaContext

TOO_LARGE = {"errors": [{"error": 112, "message": "Request body is too large."}]}


@pytest.fixture
def app():
    app = build_app()
    reached = []

    def refuse_everyone(app, next_middleware):  # stands in for the role middleware
        reached.append("auth")
        return next_middleware(app)

    @app.post("/echo", middlewares=[refuse_everyone])
    def echo():
        reached.append("route")
        return {"ok": True}

    app.reached = reached
    return app


def _post(app, body: str, *, base64_encoded: bool = False) -> dict:
    event = {"resource": "/echo", "path": "/echo", "httpMethod": "POST",
             "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
             "requestContext": {"requestId": "r", "stage": "prod"}, "body": body,
             "isBase64Encoded": base64_encoded, "queryStringParameters": None, "pathParameters": None}
    return app.resolve(event, LambdaContext())


@pytest.mark.parametrize("body, base64_encoded, allowed", [
    ("a" * MAX_BODY_BYTES, False, True),
    ("a" * (MAX_BODY_BYTES + 1), False, False),
    # Bytes, not characters: 8 193 two-byte characters are 16 386 bytes.
    ("é" * 8193, False, False),
    ("é" * 8192, False, True),
    # A base64 body counts decoded: its 21 848 characters carry 16 385 bytes.
    (base64.b64encode(b"a" * (MAX_BODY_BYTES + 1)).decode(), True, False),
    (base64.b64encode(b"a" * MAX_BODY_BYTES).decode(), True, True),
])
def test_the_limit_counts_the_decoded_bytes(app, body, base64_encoded, allowed):
    answer = _post(app, body, base64_encoded=base64_encoded)
    if allowed:
        assert answer["statusCode"] == 200
    else:
        assert (answer["statusCode"], json.loads(answer["body"])) == (413, TOO_LARGE)


def test_an_oversized_body_reaches_neither_the_token_check_nor_the_route(app):
    assert _post(app, "x" * (MAX_BODY_BYTES + 1))["statusCode"] == 413
    assert app.reached == []
    assert _post(app, "{}")["statusCode"] == 200
    assert app.reached == ["auth", "route"]
