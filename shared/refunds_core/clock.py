"""Timestamps as the API shows them: ISO 8601, UTC, milliseconds, ``Z``."""

import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_ms() -> int:
    """Milliseconds since the Unix epoch, now."""
    return time.time_ns() // 1_000_000


def iso_of_ms(millis: int) -> str:
    """A millisecond since the Unix epoch as the API writes times."""
    # Integer arithmetic: a float of seconds may round .005 down to .004999.
    return (_EPOCH + timedelta(milliseconds=millis)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
