"""Refund statuses (seed 002) and what they mean."""

REQUESTED, WAITING, PROCESSING = "REQUESTED", "WAITING", "PROCESSING"
ISSUED, DENIED, CANCELLED, FAILED = "ISSUED", "DENIED", "CANCELLED", "FAILED"

ALL = (REQUESTED, WAITING, PROCESSING, ISSUED, DENIED, CANCELLED, FAILED)
# An open request holds its order's lock: no other request may be opened.
OPEN = frozenset({REQUESTED, WAITING, PROCESSING})
OPEN_IN_ORDER = (REQUESTED, WAITING, PROCESSING)  # the lifecycle's order
FINAL = frozenset(ALL) - OPEN
# "valid" in the API: still alive, or paid out.
VALID = OPEN | {ISSUED}


def is_valid(status: str) -> bool:
    return status in VALID
