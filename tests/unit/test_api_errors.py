"""What a client sees when something goes wrong that no business rule explains."""

import io
import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from refunds_core.api import build_app
from refunds_core.errors import INTERNAL, RetryableError
from refunds_core.observability import logger
from tests.conftest import LambdaContext


def _resolve(app, path="/boom"):
    event = {"resource": path, "path": path, "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
             "requestContext": {"requestId": "api-req-42", "stage": "prod"}, "body": None,
             "isBase64Encoded": False, "queryStringParameters": None, "pathParameters": None}
    logger.set_correlation_id("api-req-42")
    try:
        return app.resolve(event, LambdaContext())
    finally:
        logger.set_correlation_id(None)


@pytest.fixture
def log_lines():
    """What the Powertools logger writes, one JSON object per line."""
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logger.registered_handler.setStream(previous)


def test_an_unexpected_error_is_500_with_the_catalogue_body_and_no_trace(log_lines):
    app = build_app()

    @app.get("/boom")
    def boom():
        raise KeyError("secret internals")

    answer = _resolve(app)
    assert answer["statusCode"] == 500
    assert json.loads(answer["body"]) == {"errors": [{"error": 100, "message": INTERNAL.message}]}
    assert "secret internals" not in answer["body"] and "Traceback" not in answer["body"]
    assert answer["multiValueHeaders"]["X-Correlation-Id"] == ["api-req-42"]
    [record] = [r for r in log_lines() if r["message"] == "unhandled error"]
    assert record["correlation_id"] == "api-req-42"  # the trace is in the log, findable by the header's id
    assert "secret internals" in record["exception"]


def test_a_retryable_failure_is_500_with_retry_after():
    app = build_app()

    @app.get("/boom")
    def boom():
        raise RetryableError("transaction cancelled: ['TransactionConflict']")

    answer = _resolve(app)
    assert answer["statusCode"] == 500
    assert json.loads(answer["body"])["errors"][0]["error"] == 100
    assert answer["multiValueHeaders"]["Retry-After"] == ["1"]


def test_an_unknown_route_is_404_104():
    answer = _resolve(build_app(), "/nowhere")
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"]) == {"errors": [{"error": 104, "message": "Invalid request URL."}]}


def _aws_failure(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "from AWS"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "TransactWriteItems")


@pytest.mark.parametrize("failure", [
    _aws_failure("ProvisionedThroughputExceededException", 400), _aws_failure("ThrottlingException", 400),
    _aws_failure("InternalServerError", 500), _aws_failure("ServiceUnavailable", 503),
    EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
], ids=lambda failure: (getattr(failure, "response", None) or {}).get("Error", {}).get("Code", type(failure).__name__))
def test_aws_throttled_failing_or_unreachable_after_botocores_retries_is_500_with_retry_after(failure):
    app = build_app()

    @app.get("/boom")
    def boom():
        raise failure

    answer = _resolve(app)
    assert answer["statusCode"] == 500
    assert json.loads(answer["body"]) == {"errors": [{"error": 100, "message": INTERNAL.message}]}
    assert answer["multiValueHeaders"]["Retry-After"] == ["1"]
    assert answer["multiValueHeaders"]["X-Correlation-Id"] == ["api-req-42"]


def test_an_aws_error_a_retry_cannot_fix_is_500_without_retry_after():
    app = build_app()

    @app.get("/boom")
    def boom():
        raise _aws_failure("ValidationException", 400)

    answer = _resolve(app)
    assert answer["statusCode"] == 500 and json.loads(answer["body"])["errors"][0]["error"] == 100
    assert "Retry-After" not in answer["multiValueHeaders"]


@pytest.mark.parametrize(("allowed", "origin", "answered"), [
    (None, "https://anywhere.example", "*"),   # the default: any origin
    ("https://d1234abcd.cloudfront.net", "https://d1234abcd.cloudfront.net", "https://d1234abcd.cloudfront.net"),
    ("https://d1234abcd.cloudfront.net", "https://evil.example", None),  # the browser hides the answer
])
def test_a_functions_answer_allows_the_configured_origin_only(monkeypatch, allowed, origin, answered):
    """CORS_ALLOW_ORIGIN (the template's ApiAllowedOrigin) decides which page may read an answer."""
    if allowed:
        monkeypatch.setenv("CORS_ALLOW_ORIGIN", allowed)
    else:
        monkeypatch.delenv("CORS_ALLOW_ORIGIN", raising=False)
    app = build_app()

    @app.get("/ok")
    def ok():
        return {"data": {}}

    event = {"resource": "/ok", "path": "/ok", "httpMethod": "GET", "headers": {"Origin": origin},
             "multiValueHeaders": {"Origin": [origin]}, "requestContext": {"requestId": "r", "stage": "prod"},
             "body": None, "isBase64Encoded": False, "queryStringParameters": None, "pathParameters": None}
    headers = app.resolve(event, LambdaContext())["multiValueHeaders"]
    assert headers.get("Access-Control-Allow-Origin") == ([answered] if answered else None)
    assert ("Access-Control-Expose-Headers" in headers) is bool(answered)
