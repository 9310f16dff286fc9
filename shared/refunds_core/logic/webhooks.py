"""Webhook endpoints (``/v1/webhooks``): a merchant registers, lists and deletes
them, rotates their signing secret, reads their delivery attempts and replays
past events to them. Merchants only; another merchant's endpoint answers 404
(15160), exactly like a missing one.

- **Register**: the URL must be one we may POST to (``webhook_urls``: https,
  public addresses) and ``events`` known, non-empty, without repeats: 15010
  otherwise. An IRI (``https://bücher.example/café``) is stored, answered and
  delivered to as its URI (``https://xn--bcher-kva.example/caf%C3%A9``). The
  endpoint and the merchant's ``webhookCount`` are written in one transaction
  conditioned on the count being below ``MAX_ENDPOINTS`` (400, 15180 beyond).
  The secret (``whsec_`` + base64 of 24 random bytes, the Standard Webhooks
  format) is in this answer only.
- **Rotate**: a new secret signs first; the previous one keeps signing beside
  it for ``previousSecretExpiresIn`` seconds (24 hours by default; 0: not at
  all), as do older ones still within their own expiry but no longer than that
  (at most ``MAX_SECRETS`` in all); expired ones are dropped.
- **Replay**: ``{"eventId"}`` queues that event again, whatever the endpoint
  subscribes to (the merchant named it); ``{"since"}`` queues the merchant's
  events since that time, oldest first, of the types the endpoint subscribes
  to, reading at most ``MAX_REPLAY`` events per call (``nextSince``: call again
  with it for the rest). A replayed event keeps its id: its ``webhook-id`` is
  the original's, so receivers that de-duplicate see it as the same event.
"""

from __future__ import annotations

import base64
import contextlib
import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from ulid import ULID

from refunds_core import clock, errors, events, modes, shapes
from refunds_core.auth import account_guards, derived_key, require_active_account
from refunds_core.callers import Caller
from refunds_core.dal import accounts, webhooks
from refunds_core.dal import events as kept_events
from refunds_core.dal.transactions import AlreadyApplied, retry_on_contention, transact_write
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.listing_query import DEFAULT_LIMIT, CursorText, Limit, cursor_owner, cursor_page
from refunds_core.models import CreateWebhookRequest, ReplayRequest, RotateSecretRequest, UpdateWebhookRequest
from refunds_core.observability import count
from refunds_core.validation import field_errors, nul_fields, parse
from refunds_core.webhook_tasks import DeliveryTask, queue
from refunds_core.webhook_urls import UnsafeUrl, as_uri, vetted_addresses

MAX_ENDPOINTS = 10
MAX_REPLAY = 100
MAX_SECRETS = 5  # the new secret and at most four previous ones still signing
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
CURSOR_KEY_PURPOSE = "list-webhook-deliveries-cursor"
_WEBHOOK_ID = re.compile(r"whk_[0-9A-HJKMNP-TV-Z]{26}")
Fields = TypeVar("Fields", CreateWebhookRequest, UpdateWebhookRequest)


def new_secret() -> str:
    """``whsec_`` + base64 of 24 random bytes (192 bits), as Standard Webhooks libraries read it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def present(endpoint: dict) -> shapes.Webhook:
    """An endpoint as every route shows it: never a secret."""
    return shapes.Webhook(id=endpoint["id"], url=endpoint["url"], events=list(endpoint["events"]),
                          description=endpoint.get("description"), enabled=endpoint.get("enabled", True),
                          disabledReason=endpoint.get("disabledReason"), failingSince=endpoint.get("failingSince"),
                          createdAt=endpoint["createdAt"], updatedAt=endpoint.get("updatedAt", endpoint["createdAt"]))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _retrying(action: Callable[[int], dict]) -> dict:
    """``action(attempt)``, again while it loses races that break no rule."""
    return retry_on_contention(action, gave_up="the webhook endpoints kept changing under the request")


# -------------------------------------------------------------- register

def create(caller: Caller, body: dict) -> shapes.WebhookCreated:
    require_active_account(caller)
    request = _endpoint_fields(CreateWebhookRequest, body)
    now = _iso(datetime.now(UTC))
    endpoint = {"id": f"whk_{ULID()}", "merchantId": caller.merchant_id, "url": request.url,
                "events": list(request.events), "description": request.description,
                "secrets": [{"secret": new_secret()}], "createdAt": now, "updatedAt": now}

    def write(attempt: int) -> dict:
        # Each attempt its own token: botocore's retry of one is answered as its first success.
        transact_write([
            accounts.count_one_more(caller.merchant_id, webhooks.counter(), MAX_ENDPOINTS,
                                    ApiError(errors.TOO_MANY_WEBHOOKS)),
            webhooks.put_new_endpoint(endpoint),
            *account_guards(caller),
        ], idempotency_token=f"{endpoint['id']}-{attempt}")
        return shapes.WebhookCreated(**present(endpoint), secret=endpoint["secrets"][0]["secret"])

    created = _retrying(write)
    count("WebhookEndpointCreated")
    return created


def _endpoint_fields(model: type[Fields], body: dict) -> Fields:
    """The body (registration's or PATCH's), its ``url`` as the URI that is stored
    and delivered to, or FieldErrors naming every bad field: the model's, the URL
    (converted and resolved here: ``webhook_urls``), each repeated event type, and
    each string holding a NUL character (as ``validation.parse`` refuses them)."""
    request, bad, uri = None, [], None
    try:
        request = model.model_validate(body)
    except ValidationError as exc:
        bad = field_errors(exc)
    url = body.get("url")
    if "url" not in bad and isinstance(url, str):
        try:
            uri = as_uri(url)
            vetted_addresses(uri)
        except UnsafeUrl:
            bad.insert(0, "url")
    if request is not None and request.events is not None:
        bad += [f"events[{i}]" for i, event_type in enumerate(request.events) if event_type in request.events[:i]]
    bad += [name for name in nul_fields(body) if name not in bad]
    if bad or request is None:
        raise FieldErrors(bad)
    return request.model_copy(update={"url": uri}) if uri is not None else request


# ------------------------------------------------------- list and delete

def list_endpoints(caller: Caller) -> list[shapes.Webhook]:
    require_active_account(caller)
    return [present(endpoint) for endpoint in webhooks.endpoints_of(caller.merchant_id)]


def get(caller: Caller, webhook_id: str) -> shapes.Webhook:
    require_active_account(caller)
    return present(visible_endpoint(caller, webhook_id))


# ---------------------------------------------------------------- change

def update(caller: Caller, webhook_id: str, body: dict) -> shapes.Webhook:
    """PATCH: the fields given, each checked as at registration (after 15160).
    ``enabled: true`` clears why it was disabled and the failure streak (the
    5 days count afresh); ``false`` stops its deliveries (``disabledReason``
    ``merchant``). One conditional write on the endpoint as read."""
    require_active_account(caller)

    def write(_attempt: int) -> dict:
        endpoint = visible_endpoint(caller, webhook_id)
        request = _endpoint_fields(UpdateWebhookRequest, body)
        assigned, removed = changes(endpoint, request, clock.now_iso())
        if not assigned:
            return present(endpoint)

        def refused(stored: dict | None) -> Exception | None:
            if stored is None:
                return ApiError(errors.WEBHOOK_NOT_FOUND)
            if all(stored.get(name) == value for name, value in assigned.items()):
                return AlreadyApplied()  # botocore retried our update after it had been applied
            return None  # changed since it was read: read again

        with contextlib.suppress(AlreadyApplied):
            transact_write([webhooks.change_endpoint(endpoint, assigned, removed, refused), *account_guards(caller)],
                           idempotency_token=str(uuid.uuid4()))
        return present({**{k: v for k, v in endpoint.items() if k not in removed}, **assigned})

    return _retrying(write)


def changes(endpoint: dict, request: UpdateWebhookRequest, now: str) -> tuple[dict, list[str]]:
    """(the attributes a PATCH sets, those it removes): what it names, and
    ``updatedAt``; nothing for a body that names nothing to change. A new
    ``url`` starts a new failure streak, as ``enabled: true`` does."""
    given = request.model_dump(include=request.model_fields_set)
    assigned = {name: value for name, value in given.items() if value is not None and name != "enabled"}
    removed = ["description"] if "description" in given and given["description"] is None else []
    if given.get("enabled") is True and endpoint.get("enabled") is False:
        assigned["enabled"] = True
        removed += ["disabledReason", "failingSince"]
    elif given.get("enabled") is False and endpoint.get("enabled", True):
        assigned |= {"enabled": False, "disabledReason": "merchant"}
    if given.get("url") not in (None, endpoint["url"]) and "failingSince" not in removed:
        removed.append("failingSince")  # the old URL's failures say nothing of the new one's
    removed = [name for name in removed if endpoint.get(name) is not None]
    if not assigned and not removed:
        return {}, []
    return {**assigned, "updatedAt": now}, removed


def delete(caller: Caller, webhook_id: str) -> shapes.Webhook:
    require_active_account(caller)

    def write(_attempt: int) -> dict:
        endpoint = visible_endpoint(caller, webhook_id)
        transact_write([
            webhooks.remove_endpoint(caller.merchant_id, endpoint["id"], _endpoint_gone),
            accounts.count_one_less(caller.merchant_id, webhooks.counter(), lambda _merchant: None),
            *account_guards(caller),
        ], idempotency_token=str(uuid.uuid4()))
        return present(endpoint)

    deleted = _retrying(write)
    count("WebhookEndpointDeleted")
    return deleted


def _endpoint_gone(endpoint: dict | None) -> Exception | None:
    return ApiError(errors.WEBHOOK_NOT_FOUND) if endpoint is None else None


def visible_endpoint(caller: Caller, webhook_id: str) -> dict:
    """The caller's endpoint with this id, or 404 (15160): a malformed id, a
    missing endpoint and another merchant's answer the same."""
    endpoint = webhooks.get_endpoint(caller.merchant_id, webhook_id) if _WEBHOOK_ID.fullmatch(webhook_id) else None
    if endpoint is None:
        raise ApiError(errors.WEBHOOK_NOT_FOUND)
    return endpoint


# ---------------------------------------------------------------- rotate

def rotate_secret(caller: Caller, webhook_id: str, body: dict) -> shapes.RotatedSecret:
    require_active_account(caller)

    def write(_attempt: int) -> dict:
        endpoint = visible_endpoint(caller, webhook_id)
        request = parse(RotateSecretRequest, body)  # after 15160, as on every webhook route
        now = datetime.now(UTC)
        overlap = timedelta(seconds=request.previousSecretExpiresIn)
        secret = new_secret()
        rotated = rotated_secrets(endpoint["secrets"], secret, now, overlap)

        def refused(stored: dict | None) -> Exception | None:
            if stored is None:
                return ApiError(errors.WEBHOOK_NOT_FOUND)
            if stored.get("secrets") == rotated:
                return AlreadyApplied()  # botocore retried our update after it had been applied
            return None  # another rotation came first: read again

        with contextlib.suppress(AlreadyApplied):
            transact_write([webhooks.replace_secrets(endpoint, rotated, _iso(now), refused), *account_guards(caller)],
                           idempotency_token=str(uuid.uuid4()))
        return shapes.RotatedSecret(id=endpoint["id"], secret=secret, previousSecretExpiresAt=_iso(now + overlap))

    return _retrying(write)


def rotated_secrets(current: list[dict], secret: str, now: datetime, overlap: timedelta) -> list[dict]:
    """The secrets after a rotation at ``now``, newest first: the new one; the
    one that signed until now, for ``overlap`` more; older ones until their own
    ``expiresAt`` or the end of ``overlap``, whichever comes first; at most
    MAX_SECRETS in all. An overlap of 0 leaves the new secret alone."""
    if overlap <= timedelta(0):
        return [{"secret": secret}]
    until = now + overlap
    primary, *older = current
    kept = []
    for entry in older:
        expires = datetime.fromisoformat(entry["expiresAt"]) if entry.get("expiresAt") else None
        if expires is not None and expires > now:
            kept.append(dict(entry) if expires <= until else {**entry, "expiresAt": _iso(until)})
    return [{"secret": secret}, {"secret": primary["secret"], "expiresAt": _iso(until)}, *kept][:MAX_SECRETS]


# ------------------------------------------------------------ deliveries

class DeliveriesQuery(BaseModel):
    """GET /v1/webhooks/{id}/deliveries's query string."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    limit: Limit = DEFAULT_LIMIT
    cursor: CursorText = None  # type: ignore[assignment]


def deliveries(caller: Caller, webhook_id: str, params: dict[str, str]) -> shapes.Page:
    """A page of the endpoint's delivery attempts, newest first: one Query, with
    sealed cursors bound to the caller, the endpoint and the limit (as GET /v1/refunds')."""
    require_active_account(caller)
    endpoint = visible_endpoint(caller, webhook_id)
    query = parse(DeliveriesQuery, params)
    context = {"caller": cursor_owner(caller), "webhookId": endpoint["id"], "limit": query.limit}
    items, next_cursor = cursor_page(
        query.cursor, context, derived_key(CURSOR_KEY_PURPOSE),
        fits=lambda start_key: webhooks.is_attempts_key(endpoint["id"], start_key),
        read=lambda start_key: webhooks.attempts_page(endpoint["id"], query.limit, start_key))
    return shapes.Page([present_attempt(item) for item in items], next_cursor)


def present_attempt(attempt: dict) -> shapes.Delivery:
    status = attempt.get("statusCode")
    return shapes.Delivery(eventId=attempt["eventId"], eventType=attempt["eventType"],
                           statusCode=int(status) if status is not None else None, outcome=attempt["outcome"],
                           attempt=int(attempt["attempt"]), at=attempt["at"], replay=bool(attempt.get("replay")),
                           error=attempt.get("error"))


# ---------------------------------------------------------------- replay

def replay(caller: Caller, webhook_id: str, body: dict) -> shapes.ReplayQueued:
    # Read strongly: queueing deliveries is a write no transaction can guard.
    require_active_account(caller, fresh=True)
    endpoint = visible_endpoint(caller, webhook_id)
    request = parse(ReplayRequest, body)
    if (request.eventId is None) == (request.since is None):
        raise FieldErrors(["eventId", "since"])
    if endpoint.get("enabled") is False:  # the deliverer would drop what a replay queues
        raise ApiError(errors.WEBHOOK_DISABLED)
    now = int(time.time())
    next_since = None
    if request.eventId is not None:
        chosen = [_replayable(kept_events.get(caller.merchant_id, request.eventId), now)]
    else:
        read = kept_events.since(caller.merchant_id, request.since, MAX_REPLAY + 1)
        page, next_since = _replay_page(read)
        chosen = [event for event in page
                  if event["eventType"] in endpoint["events"] and int(event.get("expiresAt", now + 1)) > now]
    queue([DeliveryTask(webhookId=endpoint["id"], merchantId=caller.merchant_id, eventId=event["eventId"],
                        eventType=event["eventType"], body=event["body"], replay=True,
                        livemode=modes.livemode(caller.mode)) for event in chosen])
    if chosen:
        count("WebhookReplayQueued", len(chosen))
    return shapes.ReplayQueued(queued=len(chosen), nextSince=next_since)


def _replayable(event: dict | None, now: int) -> dict:
    """The kept event a replay by id delivers again, else 15170 as for an unknown
    id: a missing or expired one (TTL deletion lags behind ``expiresAt``), or an
    endpoint's own event (``webhook_endpoint.disabled``), which is listed, never delivered."""
    if event is None or event["eventType"] not in events.TYPES or int(event.get("expiresAt", now + 1)) <= now:
        raise ApiError(errors.EVENT_NOT_FOUND)
    return event


def _replay_page(read: list[dict]) -> tuple[list[dict], str | None]:
    """The events of this call out of at most MAX_REPLAY + 1 read, and where the
    next call starts (None: nothing after them). A page ends on a millisecond
    boundary, so ``since=nextSince`` neither repeats nor skips an event; only
    when more than MAX_REPLAY events share one millisecond are the rest of
    that millisecond skipped."""
    if len(read) <= MAX_REPLAY:
        return read, None
    boundary = _event_millis(read[MAX_REPLAY])
    page = [event for event in read[:MAX_REPLAY] if _event_millis(event) < boundary]
    if not page:
        return read[:MAX_REPLAY], _iso_millis(boundary + 1)
    return page, _iso_millis(boundary)


def _event_millis(event: dict) -> int:
    """The time of an event id (``evt_`` + a ULID), in epoch milliseconds."""
    return ULID.from_str(event["eventId"].removeprefix("evt_")).milliseconds


def _iso_millis(millis: int) -> str:
    return _iso(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis))

