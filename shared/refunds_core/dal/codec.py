"""Plain Python values <-> DynamoDB attribute values. Numbers come back as Decimal.

boto3's TypeSerializer and TypeDeserializer try their type checks in turn for
every value (null, bool, number, string...), which made them the largest piece
of our own warm CPU after botocore (docs/benchmarks.md; a page of refunds reads
~550 values). Strings, numbers, maps, lists, booleans and null, all we write,
take a direct path here, with boto3's own decimal context for numbers;
everything else (sets, binary, and what boto3 refuses, such as float, NaN or
a 39-digit number) goes through boto3 unchanged, so the result is the same as
boto3's for every value.
"""

from __future__ import annotations

from decimal import Decimal

from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer

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
    if kind is int or kind is Decimal:
        try:
            number = str(DYNAMODB_CONTEXT.create_decimal(value))
        except ArithmeticError:
            number = "NaN"  # more digits than DynamoDB keeps: boto3 says so below
        if number not in ("Infinity", "NaN"):
            return {"N": number}
    return _serializer.serialize(value)


def _deserialize(value: dict):
    if len(value) == 1:
        if "S" in value:
            return value["S"]
        if "N" in value:
            return DYNAMODB_CONTEXT.create_decimal(value["N"])
        if "M" in value:
            return {k: _deserialize(v) for k, v in value["M"].items()}
        if "L" in value:
            return [_deserialize(v) for v in value["L"]]
        if "BOOL" in value:
            return value["BOOL"]
        if "NULL" in value:
            return None
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
