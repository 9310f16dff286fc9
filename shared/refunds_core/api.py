"""The HTTP edge every function shares: one resolver factory whose exception
handlers turn every failure into the errors body, the role middleware, and the
Lambda entry point with logging, tracing and metrics."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import content_types  # noqa: F401 - the handlers get it here
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from refunds_core import errors, modes
from refunds_core.auth import API_KEY_HEADER, caller_from_headers
from refunds_core.callers import Caller, Role, Scope, Via
from refunds_core.dialects import NATIVE, Dialect
from refunds_core.errors import ApiError, RetryableError
from refunds_core.observability import logger, metrics, tracer
from refunds_core.settings import allowed_origin
from refunds_core.validation import json_object

# Browsers may send the credentials and the idempotency key, and read the
# headers a client needs to retry well. The template's Cors says the same for
# preflights, for the same origin: any, or the console's (ApiAllowedOrigin). An
# answer to a page of another origin carries no CORS header: the browser hides it.
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-API-KEY"]
CORS_EXPOSE_HEADERS = ["Idempotent-Replayed", "Retry-After", "X-Correlation-Id"]


def cors() -> CORSConfig:
    return CORSConfig(allow_origin=allowed_origin(), allow_headers=CORS_ALLOW_HEADERS,
                      expose_headers=CORS_EXPOSE_HEADERS, max_age=600)


def _retryable(exc: RetryableError) -> ApiError:
    logger.warning("retryable failure", extra={"reason": str(exc)})
    return ApiError(errors.INTERNAL, headers=_correlation({"Retry-After": "1"}))


# AWS errors a later attempt may not get: throttling, and the service's own 5xx
# (botocore already retried them; what is left is the client's retry to make).
_THROTTLING = {"ProvisionedThroughputExceededException", "ThrottlingException", "Throttling",
               "RequestLimitExceeded", "TooManyRequestsException", "LimitExceededException"}


def _aws_error(exc: ClientError | HTTPClientError) -> ApiError:
    """An AWS call that still failed after botocore's retries: throttled, a 5xx
    or unreachable is a retryable 500 (Retry-After); any other is unexpected."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if exc.response.get("Error", {}).get("Code") not in _THROTTLING and status < 500:
            return _unexpected(exc)
    return _retryable(RetryableError(f"AWS call failed after retries: {exc}"))


def _unexpected(exc: Exception) -> ApiError:
    # The stack trace goes to the log under the request's correlation id; the
    # client gets that id and the catalogue's message, never the trace.
    logger.exception("unhandled error")
    return ApiError(errors.INTERNAL, headers=_correlation({}))


def _correlation(headers: dict[str, str]) -> dict[str, str]:
    correlation_id = logger.get_correlation_id()
    return {**headers, "X-Correlation-Id": correlation_id} if correlation_id else headers


# No route needs more: the largest body, an order of 250 lines, is a few KB.
# API Gateway's own limit (10 MB) is the template's REQUEST_TOO_LARGE response.
MAX_BODY_BYTES = 16 * 1024


def body_size(event) -> int:
    """The body's size in bytes as the client sent it (a base64-encoded body
    counts decoded; one that is not valid base64 counts as sent and is a 110 later)."""
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return len(base64.b64decode(body, validate=True))
        except (binascii.Error, ValueError):
            return len(body)
    # surrogatepass: a lone surrogate in the event is not ours to reject here.
    return len(body.encode("utf-8", "surrogatepass"))


def limit_body_size(app: APIGatewayRestResolver, next_middleware) -> Response:
    """Global middleware, run before the routes' own (auth) and any AWS call:
    413 (112) for a body over MAX_BODY_BYTES."""
    if body_size(app.current_event) > MAX_BODY_BYTES:
        raise ApiError(errors.REQUEST_TOO_LARGE)
    return next_middleware(app)


class Api(APIGatewayRestResolver):
    """A function's resolver, the contracts of the routes it serves
    (``routes.route`` declares them; scripts/openapi.py reads them), and the
    dialect they speak, in which every error of the function is answered."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.contracts: list = []
        self.dialect: Dialect = NATIVE

    def speak(self, dialect: Dialect) -> None:
        """Answer in ``dialect``: one per function (each serves one route)."""
        if self.dialect is not NATIVE and self.dialect is not dialect:
            raise ValueError(f"a function speaks one dialect: {self.dialect.name}, not also {dialect.name}")
        self.dialect = dialect

    def error_response(self, error: ApiError) -> Response:
        return self.dialect.error_response(error)


def build_app() -> Api:
    app = Api(cors=cors())
    app.use([limit_body_size])
    # Every failure is an ApiError answered in the function's dialect.
    app.exception_handler(ApiError)(app.error_response)
    app.exception_handler(RetryableError)(lambda exc: app.error_response(_retryable(exc)))
    app.exception_handler([ClientError, ConnectionError, HTTPClientError])(
        lambda exc: app.error_response(_aws_error(exc)))
    app.exception_handler(Exception)(lambda exc: app.error_response(_unexpected(exc)))
    app.not_found(lambda _exc: app.error_response(ApiError(errors.ROUTE_NOT_FOUND)))
    return app


def allow(*roles: Role, api_keys: bool = True, scope: Scope | None = None) -> Callable:
    """Route middleware: 401 without a valid token or API key, 403 (15120) for
    a role the route never serves, for an API key where ``api_keys`` is
    False (managing keys takes a login's token: a leaked key cannot mint or
    revoke keys), or for a caller without ``scope`` (an API key created
    without it, or a customer token such a key minted). The caller is then
    ``app.context["caller"]``."""

    def middleware(app: APIGatewayRestResolver, next_middleware) -> Response:
        event = app.current_event
        caller = caller_from_headers(header_values(event, "Authorization"), header_values(event, API_KEY_HEADER))
        if caller.role not in roles or (caller.via is Via.API_KEY and not api_keys):
            raise ApiError(errors.FORBIDDEN)
        if scope is not None and scope not in caller.scopes:
            raise ApiError(errors.FORBIDDEN)
        # An API key's caller logs as "apikey:<key id>": never the key.
        logger.append_keys(caller=caller.login, merchant_id=caller.merchant_id, mode=caller.mode.value)
        app.append_context(caller=caller)
        # Everything the request reads and writes is in the caller's mode (modes, dal/keys.py).
        with modes.acting_in(caller.mode):
            return next_middleware(app)

    return middleware


def header_values(event: Mapping, name: str) -> list[str]:
    """Every value the request sent for the header ``name``, whatever the
    letter case it was sent in (field names are case-insensitive: `X-API-KEY`
    and `x-api-key` are one header sent twice). Read from the REST event's
    multiValueHeaders, every spelling of the name; from its single-value
    headers (one value per spelling) only when multiValueHeaders has none.
    Read from the raw event: Powertools' case-insensitive views keep one
    spelling's value and would hide the repeat."""
    wanted = name.lower()
    values = [value for key, found in (event.get("multiValueHeaders") or {}).items() if key.lower() == wanted
              for value in found or ()]
    if values:
        return values
    return [value for key, value in (event.get("headers") or {}).items() if key.lower() == wanted]


def caller(app: APIGatewayRestResolver) -> Caller:
    return app.context["caller"]


def request_body(app: APIGatewayRestResolver, *, optional: bool = False) -> dict:
    """The JSON object the client sent (110/111 otherwise). Where the body is
    ``optional``, none at all (whatever the Content-Type) is ``{}``."""
    event = app.current_event
    try:
        body = event.decoded_body
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(errors.INVALID_JSON) from None
    if optional and not body:
        return {}
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


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable:
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    # capture_response=False: answers carry tokens and webhook secrets, which must
    # not end up in X-Ray trace metadata.
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        return app.resolve(event, context)

    return lambda_handler
