"""The HTTP edge every function shares: one resolver factory whose exception
handlers turn every failure into the errors body, the role middleware, and the
Lambda entry point with logging, tracing and metrics."""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from refunds_core import errors
from refunds_core.auth import Caller, Role, caller_from_authorization
from refunds_core.errors import ApiError, RetryableError
from refunds_core.observability import logger, metrics, tracer
from refunds_core.validation import json_object

# Browsers may send the credentials and the idempotency key, and read the
# headers a client needs to retry well. The template's Cors says the same for preflights.
CORS = CORSConfig(allow_origin="*", allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-API-KEY"],
                  expose_headers=["Idempotent-Replayed", "Retry-After", "X-Correlation-Id"], max_age=600)


def error_response(error: ApiError) -> Response:
    return Response(
        status_code=int(error.status), content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error.body(), ensure_ascii=False), headers=error.headers,
    )


def _client_error(exc: ApiError) -> Response:
    return error_response(exc)


def _retryable(exc: RetryableError) -> Response:
    logger.warning("retryable failure", extra={"reason": str(exc)})
    return error_response(ApiError(errors.INTERNAL, headers=_correlation({"Retry-After": "1"})))


# AWS errors a later attempt may not get: throttling, and the service's own 5xx
# (botocore already retried them; what is left is the client's retry to make).
_THROTTLING = {"ProvisionedThroughputExceededException", "ThrottlingException", "Throttling",
               "RequestLimitExceeded", "TooManyRequestsException", "LimitExceededException"}


def _aws_error(exc: ClientError | HTTPClientError) -> Response:
    """An AWS call that still failed after botocore's retries: throttled, a 5xx
    or unreachable is a retryable 500 (Retry-After); any other is unexpected."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if exc.response.get("Error", {}).get("Code") not in _THROTTLING and status < 500:
            return _unexpected(exc)
    logger.warning("AWS call failed after retries", extra={"reason": str(exc)})
    return error_response(ApiError(errors.INTERNAL, headers=_correlation({"Retry-After": "1"})))


def _unexpected(exc: Exception) -> Response:
    # The stack trace goes to the log under the request's correlation id; the
    # client gets that id and the catalogue's message, never the trace.
    logger.exception("unhandled error")
    return error_response(ApiError(errors.INTERNAL, headers=_correlation({})))


def _correlation(headers: dict[str, str]) -> dict[str, str]:
    correlation_id = logger.get_correlation_id()
    return {**headers, "X-Correlation-Id": correlation_id} if correlation_id else headers


def _not_found(_exc: Exception) -> Response:
    return error_response(ApiError(errors.ROUTE_NOT_FOUND))


def build_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(cors=CORS)
    app.exception_handler(ApiError)(_client_error)
    app.exception_handler(RetryableError)(_retryable)
    app.exception_handler([ClientError, ConnectionError, HTTPClientError])(_aws_error)
    app.exception_handler(Exception)(_unexpected)
    app.not_found(_not_found)
    return app


def allow(*roles: Role) -> Callable:
    """Route middleware: 401 without a valid token, 403 (15120) for a role the
    route never serves. The caller is then ``app.context["caller"]``."""

    def middleware(app: APIGatewayRestResolver, next_middleware) -> Response:
        caller = caller_from_authorization(app.current_event.headers.get("Authorization"))
        if caller.role not in roles:
            raise ApiError(errors.FORBIDDEN)
        logger.append_keys(caller=caller.login, merchant_id=caller.merchant_id)
        app.append_context(caller=caller)
        return next_middleware(app)

    return middleware


def caller(app: APIGatewayRestResolver) -> Caller:
    return app.context["caller"]


def request_body(app: APIGatewayRestResolver) -> dict:
    """The JSON object the client sent (110/111 otherwise)."""
    event = app.current_event
    try:
        body = event.decoded_body
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(errors.INVALID_JSON) from None
    return json_object(body, event.headers.get("Content-Type"))


def query_parameters(app: APIGatewayRestResolver) -> dict[str, str]:
    """The query string, one value per name (a repeated name is a 15010 in
    the model that reads it, not a silent pick)."""
    event = app.current_event
    multi = event.multi_value_query_string_parameters or {}
    repeated = [name for name, found in multi.items() if len(found) > 1]
    if repeated:
        raise errors.FieldErrors(repeated)
    return dict(event.query_string_parameters or {})


def path_id(value: str) -> str:
    """A path parameter as the client meant it. Powertools captures it from the
    event's path, which a REST API may pass percent-encoded; our ids have no
    '%', so decoding is safe either way."""
    return unquote(value)


def ok(data, status: HTTPStatus = HTTPStatus.OK) -> Response:
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON,
                    body=json.dumps(data, ensure_ascii=False))


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable:
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    # capture_response=False: answers carry tokens and webhook secrets, which must
    # not end up in X-Ray trace metadata.
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        return app.resolve(event, context)

    return lambda_handler
