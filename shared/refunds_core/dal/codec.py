"""Plain Python values <-> DynamoDB attribute values. Numbers come back as Decimal."""

from __future__ import annotations

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict) -> dict:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict | None) -> dict | None:
    if not item:
        return None
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def values(**kwargs) -> dict:
    """ExpressionAttributeValues from keyword arguments: ``values(m="x") -> {":m": {"S": "x"}}``."""
    return {f":{k}": _serializer.serialize(v) for k, v in kwargs.items()}
