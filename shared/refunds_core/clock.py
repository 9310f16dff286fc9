"""The time, and timestamps as the API shows them: ISO 8601, UTC, milliseconds, ``Z``.

``now()`` is the one reading of the clock for rules that count time (an
endpoint failing for 5 days, the events of the last 30 days): a test moves it
with ``monkeypatch.setattr(clock, "now", ...)`` instead of waiting."""

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(now())


def iso_of_ms(millis: int) -> str:
    """A millisecond since the Unix epoch as the API writes times."""
    # Integer arithmetic: a float of seconds may round .005 down to .004999.
    return iso(_EPOCH + timedelta(milliseconds=millis))
