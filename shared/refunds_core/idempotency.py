"""Idempotency-Key on every POST, PATCH and DELETE, built on Powertools'
idempotency utility and its DynamoDB persistence layer (IdempotencyTable).

A route takes it as the middleware after ``allow(...)``:
``middlewares=[allow(Role.MERCHANT), idempotent]``. Without the header the
request runs as it always did. With it:

- the record's key is a hash of the caller's scope and the key, so two
  merchants (or a merchant and its customer) may use the same key; one
  ``KEY_PREFIX`` for every route, so a key reused on another route is a
  different request (15130), never a new key;
- the request's fingerprint is its method, path and canonical JSON body
  (``canonical_body``): the same request re-serialised with other spacing or
  key order is the same request;
- the caller's account is checked first (15000, ``require_active_account``):
  a disabled login or merchant gets no stored answer;
- the first answer is stored for 24 hours and replayed, status and body, with
  ``Idempotent-Replayed: true``; the route does not run again. Answers a client
  fixes by changing the request (110, 111, 112, 15010), the account failure
  15000, a lost race (109), a throttled request (15150) and every 5xx are not stored: Powertools deletes
  the record and the same key may be sent again;
- when the answer cannot be stored after the route ran (IdempotencyTable
  throttled or failing), the client still gets it (the work is done: no 5xx)
  and the record is deleted, so the key is not left in flight: a repeat runs
  the route again, as without a key (``idempotency_store``);
- credential fields (``CREDENTIAL_FIELDS``) are stored as null: a replay says
  the resource exists, the credential is shown only once.

The utility is imported on the first request that carries the header, so
functions and requests without it never load it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response

from refunds_core import aws, errors
from refunds_core.api import caller, header_values
from refunds_core.auth import require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.errors import ApiError, FieldErrors, RetryableError
from refunds_core.modes import Mode
from refunds_core.settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Every route's records share one prefix: IdempotencyTable keys are "idempotency#<sha256>".
KEY_PREFIX = "idempotency"
EXPIRES_AFTER_SECONDS = 24 * 3600
# 15140's Retry-After: a request takes milliseconds; a crashed one's record
# stops blocking when its Lambda invocation's time is over (at most the
# function's Timeout, 10 s).
IN_FLIGHT_RETRY_AFTER_SECONDS = 1
# Response fields that carry a credential shown once (webhook secrets, API keys,
# tokens): never written to the idempotency table; a replay shows them as null.
CREDENTIAL_FIELDS = frozenset({"secret", "key", "token"})
# Answers that are not stored: the client fixes the request (or its account)
# and may send it again with the same key. Any 5xx is not stored either.
NOT_STORED_CODES = frozenset({
    errors.INVALID_JSON.code, errors.INVALID_CONTENT_TYPE.code, errors.REQUEST_TOO_LARGE.code,
    errors.INVALID_FIELD.code, errors.UNKNOWN_ACCOUNT.code,
    errors.UNAUTHORIZED.code,  # a key revoked while its request ran: nothing of it is kept
    errors.CONFLICT.code,  # another request changed the refund first: the retry is judged on its new state
    errors.THROTTLED.code,  # nothing was done: after Retry-After, the same key runs it
})

_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")


# ----------------------------------------------------------- pure parts

def key_from_event(event: Mapping) -> str | None:
    """The Idempotency-Key the client sent, None without one; 15010 naming the
    header when it is empty, longer than 255 characters, not printable ASCII,
    or sent twice (in any letter case)."""
    values = header_values(event, HEADER)
    if not values:
        return None
    if len(values) > 1 or not _VALID_KEY.fullmatch(values[0]):
        raise FieldErrors([HEADER])
    return values[0]


def scope(who: Caller) -> list[str]:
    """Whose keys these are: a merchant's (every login and API key of it), one
    customer of one merchant, or one login (service, support); in test mode,
    their test-mode keys (a key used in both modes is two requests). Live
    scopes are as they were before test mode: records stored then still replay."""
    if who.role is Role.MERCHANT:
        owner = ["merchant", str(who.merchant_id)]
    elif who.role is Role.CUSTOMER:
        owner = ["customer", str(who.merchant_id), str(who.customer_id)]
    else:
        owner = ["login", who.login]
    return owner if who.mode is Mode.LIVE else [*owner, f"mode:{who.mode.value}"]


def canonical_body(body: str | None) -> str | None:
    """The body as compact JSON with sorted keys and each number as written
    (1.0 and 1.00 stay different). A body that is not JSON, or is nested
    deeper than Python recurses, is kept as it is (such a request fails with
    110 or 15010 and is not stored)."""
    if not body:
        return None
    try:
        return _dump(json.loads(body, parse_float=Decimal, parse_int=Decimal))
    except (ValueError, RecursionError):
        return body


def _dump(value: Any) -> str:
    if isinstance(value, dict):
        members = (json.dumps(name, ensure_ascii=False) + ":" + _dump(item) for name, item in sorted(value.items()))
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # str, bool, None, NaN/Infinity (floats)


def record_data(who: Caller, key: str, method: str, path: str, body: str | None) -> dict:
    """What Powertools hashes: ``[scope, key]`` names the record, ``request``
    is the fingerprint a repeat must match."""
    return {"scope": scope(who), "key": key,
            "request": {"method": method.upper(), "path": unquote(path), "body": canonical_body(body)}}


def redacted(value: Any) -> Any:
    """``value`` with every credential field's value replaced by None."""
    if isinstance(value, dict):
        return {k: None if k in CREDENTIAL_FIELDS else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value


def stored(error: ApiError) -> bool:
    """Whether an error answer is kept and replayed (a business answer) or not."""
    return int(error.status) < 500 and not any(code in NOT_STORED_CODES for code, _ in error.entries)


# ---------------------------------------------------------- Powertools

def stored_answer(response: Response) -> dict:
    """What the record keeps of an answer: status, content type and body, the
    body as the text sent (a replay is byte for byte the same) unless a
    credential had to be taken out of it."""
    body = response.body
    try:
        sent = json.loads(body) if body else None
    except ValueError:  # every answer of the API is JSON; anything else is kept as it is
        sent = None
    kept = redacted(sent)
    if kept != sent:
        body = json.dumps(kept, ensure_ascii=False)
    return {"statusCode": response.status_code, "contentType": response.content_type, "body": body or None}


def replayed_answer(record: dict, _data_record=None) -> Response:
    """The config's response_hook: a stored answer, marked as a replay. An
    answer without a body (204) is replayed without one and without a content
    type, as it was first sent: given a JSON content type, Powertools would
    send the body ``null``, which a keep-alive client reads as the start of
    the next response."""
    body = record.get("body")
    content_type = record.get("contentType") or (content_types.APPLICATION_JSON if body is not None else None)
    return Response(status_code=int(record["statusCode"]), content_type=content_type, body=body,
                    headers={REPLAYED_HEADER: "true"})


@cache
def _serializer():
    from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer

    class ResponseSerializer(BaseIdempotencySerializer):
        """What is written is the answer without its credentials; what is read
        back goes to the response hook as it was written."""

        def to_dict(self, data: Response) -> dict:
            return stored_answer(data)

        def from_dict(self, data: dict) -> dict:
            return data

    return ResponseSerializer()


@cache
def _config():
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(event_key_jmespath="[scope, key]", payload_validation_jmespath="request",
                             raise_on_no_idempotency_key=True, expires_after_seconds=EXPIRES_AFTER_SECONDS,
                             hash_function="sha256", response_hook=replayed_answer)


@cache
def _persistence_layer(table_name: str, client):
    from refunds_core.idempotency_store import AnswerKeepingStore

    return AnswerKeepingStore(config=_config(), table_name=table_name, boto3_client=client)


def persistence_layer():
    """One per execution environment (and per client: tests replace it),
    on refunds_core.aws's DynamoDB client, so AWS_ENDPOINT_URL applies."""
    table_name = settings().IDEMPOTENCY_TABLE_NAME
    if not table_name:
        raise RuntimeError("IDEMPOTENCY_TABLE_NAME is not set for this function")
    return _persistence_layer(table_name, aws.dynamodb())


def _answer(app: APIGatewayRestResolver, next_middleware) -> Response:
    """The route's answer as the record keeps it: an ApiError the client
    should see again becomes its response (in the route's dialect); any other
    failure propagates and Powertools deletes the record."""
    try:
        return next_middleware(app)
    except ApiError as error:
        if not stored(error):
            raise
        return app.error_response(error)


@cache
def _idempotent_answer(store):
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    @idempotent_function(data_keyword_argument="request", persistence_store=store, config=_config(),
                         output_serializer=_serializer(), key_prefix=KEY_PREFIX)
    def answer(*, request: dict, app, next_middleware) -> Response:  # request: what Powertools hashes
        return _answer(app, next_middleware)

    return answer


def _refusal(exc: Exception) -> Exception | None:
    """Powertools' refusals as the catalogue answers them."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyInconsistentStateError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    if isinstance(exc, IdempotencyValidationError):
        return ApiError(errors.IDEMPOTENCY_KEY_REUSED)
    if isinstance(exc, IdempotencyAlreadyInProgressError):
        return ApiError(errors.IDEMPOTENCY_IN_FLIGHT, headers={"Retry-After": str(IN_FLIGHT_RETRY_AFTER_SECONDS)})
    if isinstance(exc, IdempotencyPersistenceLayerError | IdempotencyInconsistentStateError):
        return RetryableError(f"idempotency store: {type(exc).__name__}")
    return None


# ---------------------------------------------------------- middlewares

def _request_body(app: APIGatewayRestResolver) -> str | None:
    event = app.current_event
    try:
        return event.decoded_body
    except (ValueError, UnicodeDecodeError):  # not base64 or not UTF-8: a 110 the route answers
        return event.body


def idempotent(app: APIGatewayRestResolver, next_middleware) -> Response:
    """Route middleware (after ``allow``): with an Idempotency-Key, the first
    answer to this caller's key is stored and replayed (see the module)."""
    event = app.current_event
    key = key_from_event(event)
    if key is None:
        return next_middleware(app)
    who = caller(app)
    require_active_account(who)  # before any replay: a disabled account's token gets 15000, not a stored answer
    data = record_data(who, key, event.http_method, event.path, _request_body(app))
    # An in-flight record of an invocation that dies expires with the invocation's time.
    _config().register_lambda_context(app.lambda_context)
    try:
        return _idempotent_answer(persistence_layer())(request=data, app=app, next_middleware=next_middleware)
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal is None:
            raise
        raise refusal from None


def key_checked(app: APIGatewayRestResolver, next_middleware) -> Response:
    """Route middleware of the POSTs that change nothing (the token routes,
    whose answers are credentials, and preview, whose figures follow the
    order): always safe to retry, nothing of them is stored; a malformed
    Idempotency-Key is still a 15010."""
    key_from_event(app.current_event)
    return next_middleware(app)
