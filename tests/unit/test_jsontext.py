"""Answers write a Decimal as the exact JSON number literal it holds (jsontext.py);
every other answer is json.dumps's own text."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refunds_core import jsontext

SCALARS = st.none() | st.booleans() | st.integers() | st.text()
PLAIN = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                                          max_size=4), max_leaves=20)
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**12, max_value=10**12)
WITH_DECIMALS = st.recursive(SCALARS | DECIMALS, lambda inner: st.lists(inner, max_size=4)
                             | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("22.50"), "22.50"), (Decimal("1500"), "1500"), (Decimal("0.125"), "0.125"), (Decimal("0.00"), "0.00"),
    (Decimal("1E+3"), "1000"), (Decimal("-5.10"), "-5.10"), (Decimal("123456789012.3456"), "123456789012.3456"),
])
def test_a_decimal_is_its_exact_literal(value, text):
    assert jsontext.dumps({"amount": value}) == '{"amount": ' + text + "}"


def test_a_decimal_among_other_values_keeps_their_text():
    value = {"id": 7, "amount": Decimal("22.50"), "reason": "Taille erronée \"S\"", "items": [None, True, 1.5]}
    assert jsontext.dumps(value) == '{"id": 7, "amount": 22.50, "reason": "Taille erronée \\"S\\"", ' \
                                    '"items": [null, true, 1.5]}'


@given(PLAIN)
def test_without_a_decimal_it_is_json_dumps(value):
    assert jsontext.dumps(value) == json.dumps(value, ensure_ascii=False)


@given(WITH_DECIMALS)
def test_what_it_writes_reads_back_as_the_same_values(value):
    assert json.loads(jsontext.dumps(value), parse_float=Decimal) == value


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_a_decimal_that_is_no_number_is_refused(value):
    with pytest.raises(ValueError):
        jsontext.dumps([value])
