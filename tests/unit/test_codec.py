"""The codec's direct paths write and read exactly what boto3's TypeSerializer
and TypeDeserializer would: DynamoDB must never see a different item."""

from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from refunds_core.dal import codec

VALUES = [None, True, False, 0, -5, 10**30, Decimal("12.30"), Decimal("-0.01"), Decimal("1E+3"), Decimal("-0"),
          Decimal("-Infinity"), 10**37 + 1, Decimal("0.000000000000000000000000000000000000001"),
          "", "abc", "\u00e9\u20ac",
          [], {}, (1, "a"), [1, "a", None, {"x": [True, Decimal("1.5")]}], {"a": {"b": ["z", None, {}]}},
          {1, 2}, {"a", "b"}, b"xy", bytearray(b"q"), Binary(b"z")]


def stable_id(value) -> str:
    """A test id that is the same in every process: a set's repr follows the
    hash seed, an object's its address."""
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(map(repr, value))) + "}"
    return repr(value) if type(value) is not object else "object()"


@pytest.mark.parametrize("value", VALUES, ids=stable_id)
def test_values_are_written_and_read_as_boto3_does(value):
    expected = TypeSerializer().serialize(value)
    assert codec.values(v=value) == {":v": expected}
    # repr: Decimal("12.30") == Decimal("12.3"), but the scale is part of what is read.
    assert repr(codec.from_item({"v": expected})) == repr({"v": TypeDeserializer().deserialize(expected)})


def test_an_item_drops_its_none_attributes_only_at_the_top():
    item = {"pk": "A", "gone": None, "lines": [{"sku": "x", "note": None}]}
    assert codec.to_item(item) == {"pk": {"S": "A"},
                                   "lines": {"L": [{"M": {"sku": {"S": "x"}, "note": {"NULL": True}}}]}}


@pytest.mark.parametrize("value", [1.5, Decimal("Infinity"), Decimal("NaN"), object(), 10**38 + 1,
                                   Decimal("1.000000000000000000000000000000000000001")], ids=stable_id)
def test_what_boto3_refuses_is_refused_with_the_same_error(value):
    with pytest.raises((TypeError, ArithmeticError)) as refused:
        TypeSerializer().serialize(value)
    with pytest.raises(refused.type):
        codec.to_item({"v": value})
