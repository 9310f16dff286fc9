"""Unit tests call the logic and the DAL as a handler does once the edge has
authenticated a live caller (api.allow acts in the caller's mode); a test of
test mode acts in it itself (``modes.acting_in(Mode.TEST)``)."""

import pytest

from refunds_core import modes
from refunds_core.modes import Mode


@pytest.fixture(autouse=True)
def _acting_live():
    with modes.acting_in(Mode.LIVE):
        yield
