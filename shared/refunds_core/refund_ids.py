"""A refund's two ids, each made from the other: ``rf_`` + a ULID (what /v1
shows and the table keys the refund by) and a number (seed 002's integer
``id``, ``numericId`` on /v1).

The number is the refund's creation millisecond since 2025-01-01 UTC (41 bits:
until 2094) followed by 12 random bits; the ULID is that millisecond with those
12 bits at the head of its randomness, the rest of it zero. So:

- a number names its refund's key: one ``GetItem`` finds the refund;
- numbers are at most 2^53 - 1 (JavaScript reads them exactly) and sort by
  creation time, like the ULIDs;
- no counter: nothing is read before the write and no item takes every
  create (no hot key). Uniqueness is the refund item's own: it is written on
  ``attribute_not_exists(PK)`` in the create's transaction, so two creates
  that draw the same number (the same millisecond and 1 chance in 4096)
  cannot both commit; the loser draws again (``logic/refunds.py``).
"""

from __future__ import annotations

import re
import secrets
import time

from ulid import ULID

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
RANDOM_BITS = 12
LARGEST = 2**53 - 1  # Number.MAX_SAFE_INTEGER
_ULID_RANDOM_BITS = 80
PREFIX = "rf_"
_NUMBER = re.compile(r"[1-9][0-9]{0,15}")


def draw(now_ms: int | None = None) -> int:
    """A new number for a refund created now."""
    elapsed = (int(time.time() * 1000) if now_ms is None else now_ms) - EPOCH_MS
    if not 0 <= elapsed < 2 ** (53 - RANDOM_BITS):
        raise ValueError("the clock is outside the numbers' range (2025-2094)")
    return max((elapsed << RANDOM_BITS) | secrets.randbits(RANDOM_BITS), 1)


def created_ms(number: int) -> int:
    """The millisecond (since the Unix epoch) the refund of this number was created."""
    return EPOCH_MS + (number >> RANDOM_BITS)


def first_id_at(millis: int) -> str:
    """The smallest ``rf_`` id any refund created at ``millis`` can have (the
    ULID's 48-bit time, its randomness all zero): ids sort by creation time."""
    return PREFIX + str(ULID.from_int(_clamped(millis) << _ULID_RANDOM_BITS))


def last_id_at(millis: int) -> str:
    """The largest ``rf_`` id any refund created at ``millis`` can have."""
    return PREFIX + str(ULID.from_int((_clamped(millis) << _ULID_RANDOM_BITS) | (2**_ULID_RANDOM_BITS - 1)))


def _clamped(millis: int) -> int:
    return min(max(millis, 0), 2**48 - 1)  # a ULID's time: 1970 to the year 10889


def refund_id(number: int) -> str:
    """The ``rf_`` id of the refund this number names."""
    if not 1 <= number <= LARGEST:
        raise ValueError("not a refund number")
    millisecond = created_ms(number)
    randomness = (number & (2**RANDOM_BITS - 1)) << (_ULID_RANDOM_BITS - RANDOM_BITS)
    return PREFIX + str(ULID.from_int((millisecond << _ULID_RANDOM_BITS) | randomness))


def parse_number(text: str) -> int | None:
    """The number a client wrote (a path segment, a query value): decimal
    digits, no sign, no leading zero, at most ``LARGEST``; None otherwise."""
    if not isinstance(text, str) or not _NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if number <= LARGEST else None
