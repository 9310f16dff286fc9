"""A refund's number and its ``rf_`` id are made from each other (refund_ids.py):
one names the other's key, numbers stay JavaScript-safe and sort like the ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ulid import ULID

from refunds_core import refund_ids
from refunds_core.refund_ids import EPOCH_MS, LARGEST

NUMBERS = st.integers(min_value=1, max_value=LARGEST)


@given(NUMBERS)
def test_a_number_names_one_ulid_whose_millisecond_and_leading_bits_are_the_number(number):
    refund_id = refund_ids.refund_id(number)
    assert refund_id.startswith("rf_") and len(refund_id) == 29
    ulid = ULID.from_str(refund_id.removeprefix("rf_"))
    assert ulid.milliseconds == EPOCH_MS + (number >> 12)
    assert int(ulid) & (2**80 - 1) == (number & 0xFFF) << 68


@given(NUMBERS, NUMBERS)
def test_ids_sort_like_their_numbers(a, b):
    """Lists sort by id (ULID: creation time); the numbers a 002 client sees sort the same way."""
    assert (refund_ids.refund_id(a) < refund_ids.refund_id(b)) == (a < b)


def test_a_number_drawn_now_is_javascript_safe_and_later_ones_are_larger():
    now = 1_796_000_000_000  # 2026-12
    first, later = refund_ids.draw(now), refund_ids.draw(now + 1)
    assert 1 <= first < later <= LARGEST
    assert first >> 12 == now - EPOCH_MS


def test_numbers_drawn_in_one_millisecond_differ_by_their_random_bits():
    drawn = {refund_ids.draw(1_796_000_000_000) for _ in range(200)}
    assert len(drawn) > 150  # 12 random bits: a few repeats in 200 draws, not more


@pytest.mark.parametrize("now", [EPOCH_MS - 1, EPOCH_MS + 2**41])
def test_a_clock_outside_the_numbers_range_draws_none(now):
    with pytest.raises(ValueError):
        refund_ids.draw(now)


def test_the_last_millisecond_of_the_range_is_still_javascript_safe():
    assert refund_ids.draw(EPOCH_MS + 2**41 - 1) <= LARGEST


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 1), ("249724462242683", 249724462242683), (str(LARGEST), LARGEST),
    (str(LARGEST + 1), None), ("0", None), ("01", None), ("-1", None), ("+1", None), ("1.0", None), ("1e3", None),
    (" 1", None), ("1 ", None), ("", None), ("abc", None), ("١", None), ("9" * 17, None), ("rf_01J", None),
])
def test_only_a_plain_positive_integer_up_to_2_53_minus_1_is_a_number(text, expected):
    assert refund_ids.parse_number(text) == expected
