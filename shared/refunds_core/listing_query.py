"""GET /v1/refunds's (and GET /v1/refunds/counts') query string, and the list's cursors.

Query strings are strings: ``limit=20`` and ``valid=true`` are parsed here on
purpose (digits only, ``true``/``false`` only), never by pydantic's lax
coercion (which would take ``valid=1`` or ``limit=20.0``). Every bad or unknown
parameter is one 15010 entry naming it.

A cursor is ``base64url(payload) "." base64url(HMAC-SHA256(key, payload))``;
the payload is the page's ``LastEvaluatedKey`` together with what the query was
and who asked (the *context*). A cursor opens only for the very same context,
with a MAC made with our key: forged, altered, truncated, another caller's, or
sent with other filters or another limit, it is 15010 ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from refunds_core import statuses
from refunds_core.errors import FieldErrors
from refunds_core.models import AwareTime, DeclineReason, Identifier, RefundReason
from refunds_core.modes import Mode
from refunds_core.validation import field_errors

if TYPE_CHECKING:
    from refunds_core.callers import Caller

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# A cursor we issue is ~0.5-1 KB; anything far longer is not one of ours.
_MAX_CURSOR = 2048
_CURSOR_VERSION = 1


def _whole_number(value: object) -> object:
    """``"20"`` -> 20; anything but plain digits stays as it is and fails the strict int."""
    if isinstance(value, str) and re.fullmatch(r"[1-9][0-9]{0,2}", value):
        return int(value)
    return value


def _boolean(value: object) -> object:
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


# The bounds before the validator: pydantic then writes them into the JSON
# schema (docs/openapi.json) as minimum/maximum; the validation is the same.
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT), BeforeValidator(_whole_number)]
Flag = Annotated[bool, BeforeValidator(_boolean)]
CursorText = Annotated[str, StringConstraints(max_length=_MAX_CURSOR, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
Status = Literal[statuses.ALL]  # type: ignore[valid-type]
# Which end of the index a page starts from: every index sorts by refund id (a ULID: by time).
Order = Literal["newest", "oldest"]
NEWEST = "newest"


# A range's rule, in the words of every route that takes one (docs/listing.md, "Time ranges").
RANGE_RULE = "A `createdFrom` after `createdTo` is 15010 for both; an empty range (equal bounds) lists nothing."
CREATED_FROM = ("Refunds created at or after this time: ISO 8601 with an offset (`2026-05-01T00:00:00Z`; "
                "write `+` as `%2B` in a URL). " + RANGE_RULE)
CREATED_TO = "Refunds created before this time (not at it): ISO 8601 with an offset."


class ListQuery(BaseModel):
    """The filters, page size and cursor. Absent means "no filter"."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    orderId: Identifier = None  # type: ignore[assignment]
    batchId: Identifier = None  # type: ignore[assignment]  # the batchId a refund was created with
    status: Status = None  # type: ignore[assignment]
    valid: Flag = None  # type: ignore[assignment]
    order: Order = NEWEST
    limit: Limit = DEFAULT_LIMIT
    cursor: CursorText = None  # type: ignore[assignment]
    merchantId: Identifier = None  # type: ignore[assignment]  # support only
    reason: RefundReason = None  # type: ignore[assignment]
    declineReason: DeclineReason = None  # type: ignore[assignment]  # only DENIED refunds have one
    createdFrom: Annotated[AwareTime, Field(description=CREATED_FROM)] = None  # type: ignore[assignment]
    createdTo: Annotated[AwareTime, Field(description=CREATED_TO)] = None  # type: ignore[assignment]


class CountsQuery(BaseModel):
    """GET /v1/refunds/counts's query string: support may name one merchant."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    merchantId: Identifier = None  # type: ignore[assignment]  # support only


Query = TypeVar("Query", ListQuery, CountsQuery)
M = TypeVar("M", bound=BaseModel)


def parse_query(params: dict[str, str], *, merchant_filter_allowed: bool,
                model: type[Query] = ListQuery) -> Query:  # type: ignore[assignment]
    """The query string as a ``model`` (a ListQuery by default), or FieldErrors
    naming every bad parameter (``validated``'s, and ``merchantId`` when the
    caller may not filter by merchant)."""
    query, bad = validated(model, params)
    if "merchantId" in params and not merchant_filter_allowed and "merchantId" not in bad:
        bad.append("merchantId")
    if bad or query is None:
        raise FieldErrors(bad)
    return query


def validated(model: type[M], params: dict[str, str]) -> tuple[M | None, list[str]]:
    """The query string as ``model`` (None when pydantic refuses it) and the
    names of its bad parameters: each one pydantic refuses, then, for a model
    with ``createdFrom`` and ``createdTo``, both of them when the range is
    inverted (``range_inverted``). Every list's parser starts here."""
    try:
        query = model.model_validate(params)
    except ValidationError as exc:
        return None, field_errors(exc)
    if range_inverted(getattr(query, "createdFrom", None), getattr(query, "createdTo", None)):
        return query, ["createdFrom", "createdTo"]
    return query, []


class ExportQuery(BaseModel):
    """GET /v1/refunds/export's query string: the range is required."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    createdFrom: Annotated[AwareTime, Field(description=CREATED_FROM)]
    createdTo: Annotated[AwareTime, Field(description=CREATED_TO)]
    merchantId: Identifier = None  # type: ignore[assignment]  # support only, and then required


def parse_export_query(params: dict[str, str], *, merchant_filter_allowed: bool) -> ExportQuery:
    """The query string as an ExportQuery, or FieldErrors naming every bad
    parameter (as ``parse_query``)."""
    return parse_query(params, merchant_filter_allowed=merchant_filter_allowed, model=ExportQuery)  # type: ignore[return-value]


# ------------------------------------------------------------ time ranges
#
# One rule for every list that takes createdFrom/createdTo (refunds, their
# export, events): parsed by the models' AwareTime, refused when inverted
# (``validated``), then turned into the whole milliseconds it holds
# (``created_range``), which each index's sort key bounds are made of.

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CreatedRange(NamedTuple):
    """Creation times as milliseconds since the Unix epoch, both inclusive
    (None: unbounded on that side); what the indexes' sort keys, refund and
    event ids (ULIDs: their head is that millisecond), are bounded by
    (dal/keys.created_between, dal/events.first_id_at and last_id_at)."""

    first_ms: int | None
    last_ms: int | None

    @property
    def empty(self) -> bool:
        """No millisecond in it: equal bounds, or a range narrower than a millisecond between two."""
        return self.first_ms is not None and self.last_ms is not None and self.first_ms > self.last_ms

    def not_before(self, first_ms: int) -> CreatedRange:
        """The range cut to start at ``first_ms`` at the earliest (what is older is gone)."""
        return self._replace(first_ms=first_ms if self.first_ms is None else max(self.first_ms, first_ms))


def range_inverted(created_from: str | None, created_to: str | None) -> bool:
    """A start after the end: the client swapped them or mistyped one, and
    which one it meant is not ours to guess (15010 for both). Equal bounds are
    no mistake but an empty range: a list of nothing, as a range narrower than
    a millisecond is (``CreatedRange.empty``)."""
    return created_from is not None and created_to is not None and (
        datetime.fromisoformat(created_from) > datetime.fromisoformat(created_to))


def created_range(created_from: str | None, created_to: str | None) -> CreatedRange | None:
    """``[created_from, created_to)`` in whole milliseconds (None when neither
    is given): a refund's createdAt is a whole millisecond, so the first one
    at or after ``created_from``, and the last one before ``created_to``."""
    if created_from is None and created_to is None:
        return None
    first = ceil_ms(created_from) if created_from is not None else None
    last = ceil_ms(created_to) - 1 if created_to is not None else None
    return CreatedRange(first, last)


def ceil_ms(text: str) -> int:
    """The first whole millisecond since the Unix epoch at or after ``text`` (an
    aware ISO time): an int, so no year-9999 bound overflows a datetime."""
    micros = (datetime.fromisoformat(text) - _EPOCH) // timedelta(microseconds=1)
    return -(-micros // 1000)


# ----------------------------------------------------------------- cursors

def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def cursor_owner(caller: Caller) -> dict:
    """Whom a cursor is bound to, in every list's context: another caller's
    cursor never opens, even for the same query, nor one of the other mode
    (a live cursor is bound as before test mode existed: those issued then still open)."""
    owner = {"login": caller.login, "role": caller.role.value, "merchantId": caller.merchant_id}
    return owner if caller.mode is Mode.LIVE else {**owner, "mode": caller.mode.value}


def seal_cursor(last_key: dict, context: dict, key: bytes) -> str:
    """An opaque cursor for the page after ``last_key`` of the query ``context``."""
    payload = _canonical({"v": _CURSOR_VERSION, "q": context, "k": last_key})
    return _b64encode(payload) + "." + _b64encode(hmac.new(key, payload, hashlib.sha256).digest())


def open_cursor(cursor: str, context: dict, key: bytes) -> dict:
    """The ``LastEvaluatedKey`` a cursor carries, when it is ours, intact, and
    was issued for this very context; else FieldErrors(["cursor"])."""
    try:
        payload_text, _, mac_text = cursor.partition(".")
        payload, mac = _b64decode(payload_text), _b64decode(mac_text)
    except (binascii.Error, ValueError):
        raise FieldErrors(["cursor"]) from None
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), mac):
        raise FieldErrors(["cursor"])
    try:
        sealed = json.loads(payload)
    except ValueError:
        raise FieldErrors(["cursor"]) from None
    if (not isinstance(sealed, dict) or sealed.get("v") != _CURSOR_VERSION
            or _canonical(sealed.get("q")) != _canonical(context) or not _is_key(sealed.get("k"))):
        raise FieldErrors(["cursor"])
    return sealed["k"]


def cursor_page(cursor: str | None, context: dict, key: bytes, *, fits: Callable[[dict], bool],
                read: Callable[[dict | None], tuple[list[dict], dict | None]]) -> tuple[list[dict], str | None]:
    """One page of a list that is one Query a page: the cursor opened for this
    ``context`` (``open_cursor``) and its key checked to be one of this list's
    partition (``fits``: else 15010 ``cursor``, a key the Query was never
    issued for), ``read(start_key)`` (the items and the LastEvaluatedKey), and
    the next page's cursor sealed for the same context (None on the last page)."""
    start_key = None
    if cursor is not None:
        start_key = open_cursor(cursor, context, key)
        if not fits(start_key):
            raise FieldErrors(["cursor"])
    items, last_key = read(start_key)
    return items, seal_cursor(last_key, context, key) if last_key else None


def _is_key(value: object) -> bool:
    """A DynamoDB key of string attributes, as LastEvaluatedKey has it."""
    return isinstance(value, dict) and bool(value) and all(
        isinstance(name, str) and isinstance(attr, dict) and list(attr) == ["S"] and isinstance(attr["S"], str)
        for name, attr in value.items())
