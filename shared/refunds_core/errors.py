"""The error catalogue: every code the API answers with, its HTTP status and
message; and the exceptions logic raises for the edge to answer (``ApiError``,
``RetryableError``, and ``StoppedAt`` for a stream batch).

Codes 110-15060 are the primary contract's (seeds 000/001), byte for byte.
The 1xx codes beside 110/111 are request-level errors common to every route;
15xxx codes are the refund domain's. docs/errors.md's error table is generated
from ``CATALOGUE`` (``make docs``) and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: int
    status: HTTPStatus
    message: str
    description: str


def _entry(code: int, status: HTTPStatus, message: str, description: str) -> ErrorCode:
    return ErrorCode(code, status, message, description)


INTERNAL = _entry(
    100, HTTPStatus.INTERNAL_SERVER_ERROR,
    "Internal Server Error. Please try again later or contact support.",
    "Unexpected failure. Safe to retry: every write is one conditional transaction, so a retry "
    "cannot act twice (send an Idempotency-Key to get the first answer back). The response's "
    "correlation id is in the logs.",
)
UNAUTHORIZED = _entry(
    101, HTTPStatus.UNAUTHORIZED,
    "Unsuccessful authorization.",
    "The Authorization header is missing, not a Bearer token, or the token is "
    "malformed, expired, not yet valid or not signed by us; or the X-API-KEY is unknown or "
    "revoked; or a request sends both, or either header twice (header names are case-insensitive).",
)
INVALID_CREDENTIALS = _entry(
    102, HTTPStatus.UNAUTHORIZED,
    "Unsuccessful authorization. Invalid login or password.",
    "POST /v1/auth/token: the login and password do not match an active account.",
)
ROUTE_NOT_FOUND = _entry(
    104, HTTPStatus.NOT_FOUND,
    "Invalid request URL.",
    "No route matches the method and path (API Gateway's answer for both).",
)
GATEWAY_REJECTED = _entry(
    106, HTTPStatus.BAD_REQUEST,
    "The request was rejected.",
    "API Gateway refused the request before it reached the API (its own message "
    "replaces this one; the HTTP status is the gateway's).",
)
CONFLICT = _entry(
    109, HTTPStatus.CONFLICT,
    "The resource was changed by another request or belongs to another account.",
    "Another request changed the refund first (retry with its new state), or PUT "
    "/v1/orders: the id is another merchant's order, or the order is refunded.",
)
INVALID_JSON = _entry(
    110, HTTPStatus.BAD_REQUEST,
    "JSON is not valid.",
    "The request body is not a JSON object.",
)
REQUEST_TOO_LARGE = _entry(
    112, HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "Request body is too large.",
    "The body is over 16 KB (16 384 bytes); no route needs more. API Gateway answers "
    "the same for bodies over its own 10 MB limit.",
)
INVALID_CONTENT_TYPE = _entry(
    111, HTTPStatus.BAD_REQUEST,
    "Invalid data format (Content-type).",
    "Content-Type must be application/json (parameters such as charset are allowed).",
)
UNKNOWN_ACCOUNT = _entry(
    15000, HTTPStatus.BAD_REQUEST,
    "Unable to identify your configuration for accessing this API. Please contact technical support.",
    "The token (or API key) is valid but its account is unknown or disabled.",
)
INVALID_FIELD = _entry(
    15010, HTTPStatus.BAD_REQUEST,
    "Invalid field value: {field}",
    "One entry per bad field: required and missing, null where not allowed, wrong "
    "type or format, too long, or an unknown field name. On POST /api/v2/refunds, `email` when the "
    "merchant has no contact email on file (the message then says how to set one).",
)
ORDER_NOT_PAID = _entry(
    15030, HTTPStatus.BAD_REQUEST,
    'Order refund is impossible. Order status is not equal to "paid".',
    "A refund request (and its ISSUE) needs a paid order; a fully refunded order is `refunded`.",
)
ORDER_AMOUNT_ZERO = _entry(
    15040, HTTPStatus.BAD_REQUEST,
    "Order refund is impossible. Order price amount is equal to zero.",
    "There is nothing to refund on a zero-total order.",
)
REFUND_ALREADY_OPEN = _entry(
    15050, HTTPStatus.BAD_REQUEST,
    "Order refund is impossible. Order refund request already exists.",
    "The order already has an open request (REQUESTED, WAITING or PROCESSING).",
)
ORDER_NOT_FOUND = _entry(
    15060, HTTPStatus.NOT_FOUND,
    "Order refund is impossible. Order not found.",
    "No order with this id, or it belongs to another merchant.",
)
REFUND_NOT_FOUND = _entry(
    15070, HTTPStatus.NOT_FOUND,
    "Refund not found.",
    "No refund with this id, or it belongs to another merchant or customer.",
)
TRANSITION_NOT_ALLOWED = _entry(
    15080, HTTPStatus.CONFLICT,
    "Action is not allowed in the refund's current status.",
    "The refund's status does not allow this action (see the lifecycle table), or "
    "another request changed it first.",
)
QUANTITY_EXCEEDS_REMAINING = _entry(
    15090, HTTPStatus.BAD_REQUEST,
    "Refund is impossible. The quantity exceeds what remains to refund.",
    "An item's quantity is more than the units of its line not yet refunded by ISSUED "
    "refunds (at create and preview, and checked again at ISSUE).",
)
AMOUNT_EXCEEDS_REMAINING = _entry(
    15100, HTTPStatus.BAD_REQUEST,
    "Refund is impossible. The amount exceeds what remains to refund.",
    "The refund's amount is more than the order total minus everything already ISSUED "
    "(at create and preview, and checked again at ISSUE).",
)
FORBIDDEN = _entry(
    15120, HTTPStatus.FORBIDDEN,
    "Access denied. Your role or your API key's scopes do not allow this action.",
    "The caller's role may never call this route (for example the order system "
    "creating a refund), or the API key (or a customer token it minted) lacks the route's scope.",
)
ORDER_MONEY_FIXED = _entry(
    15210, HTTPStatus.CONFLICT,
    "Order update is impossible. Its currency, line items and shipping cannot change while a refund "
    "request is open or once a refund was issued.",
    "PUT /v1/orders: the refunds were computed from these; the order system may still change the rest.",
)
ORDER_CUSTOMER_FIXED = _entry(
    15220, HTTPStatus.CONFLICT,
    "Order update is impossible. Its customer cannot change once it has refund requests.",
    "PUT /v1/orders: a refund keeps the customer of its order (who may see and act on it).",
)
REFUND_HISTORY_FULL = _entry(
    15230, HTTPStatus.CONFLICT,
    "Action is not allowed: the refund's history is full; only ISSUE, DENY, FAIL or cancel remain.",
    "A refund has 50 history entries: SHIP_INIT may not repeat again; a final action still closes it.",
)
IDEMPOTENCY_KEY_REUSED = _entry(
    15130, HTTPStatus.UNPROCESSABLE_ENTITY,
    "Idempotency-Key was already used for a different request.",
    "The key was used in the last 24 hours with another method, path or body. Use a new key "
    "for a new request.",
)
IDEMPOTENCY_IN_FLIGHT = _entry(
    15140, HTTPStatus.CONFLICT,
    "A request with this Idempotency-Key is still being processed.",
    "The first request with this key has not finished yet. Retry after `Retry-After` seconds: "
    "you will get its response.",
)
THROTTLED = _entry(
    15150, HTTPStatus.TOO_MANY_REQUESTS,
    "Too many requests.",
    "The API's request rate limit was exceeded (API Gateway throttling): retry after "
    "`Retry-After` seconds, with backoff; or one IP sent too many token requests (AWS WAF, "
    "no Retry-After): wait 5 minutes; or POST /v1/webhooks/{id}/test was called again within 5 seconds "
    "for that endpoint, or more than 10 times this minute for the merchant: nothing was sent, retry after "
    "`Retry-After` seconds.",
)
WEBHOOK_NOT_FOUND = _entry(
    15160, HTTPStatus.NOT_FOUND,
    "Webhook endpoint not found.",
    "No webhook endpoint with this id, or it belongs to another merchant.",
)
EVENT_NOT_FOUND = _entry(
    15170, HTTPStatus.NOT_FOUND,
    "Event not found.",
    "GET /v1/events/{id}, POST /v1/webhooks/{id}/replay: no event with this id among the merchant's events of "
    "the last 30 days (another merchant's event answers the same).",
)
TOO_MANY_WEBHOOKS = _entry(
    15180, HTTPStatus.BAD_REQUEST,
    "Too many webhook endpoints.",
    "POST /v1/webhooks: the merchant already has 10 endpoints; delete one first.",
)
WEBHOOK_DISABLED = _entry(
    15260, HTTPStatus.CONFLICT,
    "Webhook endpoint is disabled. Enable it first.",
    "POST /v1/webhooks/{id}/replay: nothing is delivered to a disabled endpoint (`enabled: false`, after 5 days "
    "of failed deliveries or by PATCH). Enable it (PATCH `{\"enabled\": true}`), then replay.",
)
API_KEY_NOT_FOUND = _entry(
    15190, HTTPStatus.NOT_FOUND,
    "API key not found.",
    "DELETE /v1/api-keys/{id}: no key with this id, or it belongs to another merchant.",
)
TOO_MANY_API_KEYS = _entry(
    15200, HTTPStatus.BAD_REQUEST,
    "Too many API keys.",
    "POST /v1/api-keys: the merchant already has 10 active keys; revoke one first.",
)
CONNECTION_NOT_FOUND = _entry(
    15240, HTTPStatus.NOT_FOUND,
    "Connection not found.",
    "No store connection with this id (a UUID), or it belongs to another merchant: GET /v1/connections "
    "lists yours.",
)
INVALID_ID = _entry(
    15250, HTTPStatus.UNPROCESSABLE_ENTITY,
    "Invalid ID.",
    "Seed 004's routes (`/v1/orders/{orderId}/full-refund`): an id in the path is blank or is no id of ours, "
    "as its document asks; the other routes answer such an id as not found (15060, 15070).",
)
EXPORT_TOO_LARGE = _entry(
    15300, HTTPStatus.BAD_REQUEST,
    "Export is too large for one answer. Narrow the range (createdFrom, createdTo) and export it in parts.",
    "GET /v1/refunds/export: the CSV of the range would be over 6 MB, the most one answer carries; "
    "export shorter ranges (a week, a day) one after the other.",
)

CATALOGUE: tuple[ErrorCode, ...] = (
    INTERNAL, UNAUTHORIZED, INVALID_CREDENTIALS, ROUTE_NOT_FOUND,
    GATEWAY_REJECTED, CONFLICT, INVALID_JSON, INVALID_CONTENT_TYPE, REQUEST_TOO_LARGE, UNKNOWN_ACCOUNT,
    INVALID_FIELD, ORDER_NOT_PAID, ORDER_AMOUNT_ZERO, REFUND_ALREADY_OPEN, ORDER_NOT_FOUND,
    REFUND_NOT_FOUND, TRANSITION_NOT_ALLOWED, QUANTITY_EXCEEDS_REMAINING, AMOUNT_EXCEEDS_REMAINING,
    FORBIDDEN, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_IN_FLIGHT, THROTTLED, WEBHOOK_NOT_FOUND,
    EVENT_NOT_FOUND, TOO_MANY_WEBHOOKS, API_KEY_NOT_FOUND, TOO_MANY_API_KEYS, ORDER_MONEY_FIXED,
    ORDER_CUSTOMER_FIXED, REFUND_HISTORY_FULL, CONNECTION_NOT_FOUND, INVALID_ID, WEBHOOK_DISABLED,
    EXPORT_TOO_LARGE,
)


class ApiError(Exception):
    """An answer the client is meant to see: one status, one or more catalogue
    entries, each with the catalogue's own message (no text of the API's is
    written anywhere else)."""

    def __init__(self, error: ErrorCode, *more: ErrorCode, headers: dict[str, str] | None = None):
        self.status = error.status
        self.entries = [(error.code, error.message)] + [(e.code, e.message) for e in more]
        self.headers = headers or {}
        super().__init__(f"{error.code} {self.entries[0][1]}")

    def body(self) -> dict:
        return {"errors": [{"error": code, "message": text} for code, text in self.entries]}


# What a 15010 adds to its message when the client cannot fix the field by
# changing the request (``FieldErrors(..., notes=...)``).
CONTACT_EMAIL_MISSING = (
    "Your merchant account has no contact email on file for refund requests: an administrator sets it with "
    "`make admin ARGS=\"set-contact-email <merchantId> <email>\"`."
)

METADATA_KEYS_FULL = (
    "A refund holds at most 20 metadata keys: remove some (a key set to null) in the same request."
)


class FieldErrors(ApiError):
    """15010, one entry per bad field, in the order the fields were found; a
    field's entry may carry a note of the catalogue's (above) after the message."""

    def __init__(self, fields: list[str], *, notes: dict[str, str] | None = None):
        super().__init__(INVALID_FIELD)
        self.fields = fields
        notes = notes or {}
        self.entries = [(INVALID_FIELD.code, INVALID_FIELD.message.format(field=f)
                         + (f". {notes[f]}" if f in notes else "")) for f in fields]


class RetryableError(Exception):
    """A failure no business rule explains (throttling, a transaction conflict, a
    cancellation we cannot attribute). Answered as 100/500: the client may retry."""


class StoppedAt(Exception):  # noqa: N818 - where a batch handler stopped
    """Raised by a handler of a whole stream batch (``batch.process_in_order``):
    the records before ``index`` were handled, the one at ``index`` failed
    (``cause``); it and the ones after it are retried."""

    def __init__(self, index: int, cause: BaseException):
        super().__init__(f"record {index} failed: {cause!r}")
        self.index, self.cause = index, cause
