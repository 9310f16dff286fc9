"""Live and test mode (docs/test-mode.md), as words every layer may use.

Every request and every record is handled in one mode: the caller's (its
token's ``mode`` claim, its API key's ``rrk_live_``/``rrk_test_`` prefix), or
the record's (a refund's ``livemode``, an event's, a delivery task's). The
entry point that knows it says so once (``acting_in``), and ``dal/keys.py``,
the one place that builds partition keys, puts it into every partition of
the data that has a mode: a query can only ever read one mode's items.

The rules that depend on the mode itself (test mode's simulation, who
manages which API keys, the metrics' names, test deliveries not
dead-lettered, per-mode limits) each read it where they are written; the
data is kept apart by the keys alone. The mode a key is built in has no
default: one built where no mode was said is a bug, refused loudly
(``current``) rather than guessed as live. (A credential without a mode,
issued before test mode existed, is live: ``Caller.mode``.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum


class Mode(StrEnum):
    LIVE = "live"
    TEST = "test"


_acting: ContextVar[Mode] = ContextVar("mode")


def current() -> Mode:
    """The mode this request or record is handled in."""
    try:
        return _acting.get()
    except LookupError:
        raise RuntimeError("no mode was set for this request or record (modes.acting_in)") from None


@contextmanager
def acting_in(mode: Mode) -> Iterator[Mode]:
    """Handle what runs inside in ``mode`` (a request, a record)."""
    token = _acting.set(mode)
    try:
        yield mode
    finally:
        _acting.reset(token)


def of_livemode(livemode: object) -> Mode:
    """The mode a stored item or an event names by its ``livemode``: only
    ``false`` is test (items and events from before test mode have none)."""
    return Mode.TEST if livemode is False else Mode.LIVE


def of_item(item: Mapping) -> Mode:
    return of_livemode(item.get("livemode"))


def livemode(mode: Mode | None = None) -> bool:
    """What items and events store and show: ``livemode`` (Stripe's name)."""
    return (mode or current()) is Mode.LIVE
