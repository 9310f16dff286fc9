"""Plain Python values <-> DynamoDB attribute values. Numbers come back as Decimal.

boto3's TypeSerializer tries its type checks in turn for every value (null,
bool, number, string...), which made it the largest piece of our own warm CPU
after botocore (docs/benchmarks.md). Strings, maps and lists, most of what we
write, take a direct path here; everything else (numbers, sets, binary, and
what boto3 refuses, such as float) goes through boto3 unchanged, so the
result is the same as boto3's for every value.
"""

from __future__ import annotations

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _serialize(value) -> dict:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: _serialize(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [_serialize(v) for v in value]}
    if value is None:
        return {"NULL": True}
    if kind is bool:
        return {"BOOL": value}
    return _serializer.serialize(value)


def _deserialize(value: dict):
    if len(value) == 1:
        if "S" in value:
            return value["S"]
        if "M" in value:
            return {k: _deserialize(v) for k, v in value["M"].items()}
        if "L" in value:
            return [_deserialize(v) for v in value["L"]]
    return _deserializer.deserialize(value)


def to_item(values: dict) -> dict:
    return {k: _serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict | None) -> dict | None:
    if not item:
        return None
    return {k: _deserialize(v) for k, v in item.items()}


def values(**kwargs) -> dict:
    """ExpressionAttributeValues from keyword arguments: ``values(m="x") -> {":m": {"S": "x"}}``."""
    return {f":{k}": _serialize(v) for k, v in kwargs.items()}
