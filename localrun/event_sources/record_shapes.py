"""What Lambda hands a function: a stream record or an SQS message in the
event's shape, and what the function's batch response says failed."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from localrun.lambda_pool import Invocation


def _json_safe(value: Any) -> Any:
    """boto3 gives binary attribute values as bytes; Lambda's events carry base64."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    return value


def _epoch_seconds(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return value


def stream_record(record: dict, stream_arn: str, region: str) -> dict:
    """A GetRecords record as Lambda hands it to a function."""
    change = dict(record.get("dynamodb", {}))
    if "ApproximateCreationDateTime" in change:
        change["ApproximateCreationDateTime"] = _epoch_seconds(change["ApproximateCreationDateTime"])
    shaped = {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": _json_safe(change),
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:  # TTL deletions
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def sqs_record(message: dict, queue_arn: str, region: str) -> dict:
    """A ReceiveMessage message as Lambda hands it to a function."""
    shaped = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {name: _lambda_message_attribute(value)
                              for name, value in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        shaped["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return shaped


def _lambda_message_attribute(value: dict) -> dict:
    shaped = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _json_safe(value["BinaryValue"])
    return shaped


def sqs_filter_view(record: dict) -> dict:
    """What an SQS filter pattern sees: the record, its body parsed when it is JSON."""
    try:
        body = json.loads(record["body"])
    except (TypeError, ValueError):
        return record
    return {**record, "body": body}


def failed_items(invocation: Invocation, identifiers: list[str], report: bool) -> list[str] | None:
    """The items of a batch to retry: [] when all succeeded, None when the
    whole batch failed. Lambda's rules: a failed invocation fails the batch;
    without ReportBatchItemFailures a successful one succeeds; with it, no
    response, {} or an empty/null batchItemFailures is a success, and a
    response it cannot use (not an object, an identifier that is missing,
    empty or not in the batch) fails the whole batch."""
    if not invocation.ok:
        return None
    payload = invocation.payload
    if not report or payload is None:
        return []
    if not isinstance(payload, dict):
        return None
    failures = payload.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        return None
    failed = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in identifiers:
            return None
        failed.append(identifier)
    return failed
