"""Fault injection in the embedded AWS: a call that matches an injected fault
is answered with that AWS error instead of reaching moto (nothing is applied),
in the service's own wire format, so boto3 in the Lambda workers parses and
retries it exactly as it would a real one.

    faults = runtime.aws.faults
    faults.inject("dynamodb", "TransactWriteItems", "ProvisionedThroughputExceededException",
                  times=2, match="ORDER#o-123")
    faults.inject("sns", "Publish", "InternalError", status=500)   # until cleared
    faults.inject("dynamodb", "TransactWriteItems", "TransactionCanceledException",
                  reasons=["TransactionConflict", "None"])
    faults.clear()

Only the local runtime has this (localrun/ is never deployed); the functions'
code is untouched. Faults are matched in the order they were injected; a fault
with ``times`` answers that many matching calls, then lets calls through;
``hits`` counts the calls it answered (a test can check its fault fired).

Wire formats (botocore 1.43): DynamoDB, DynamoDB Streams, SQS and Secrets
Manager speak JSON 1.0/1.1 (``X-Amz-Target: <prefix>.<Operation>``; the error
is ``{"__type": ..., "message": ...}``); SNS and STS speak the query protocol
(a form body with ``Action=<Operation>``; the error is an XML ErrorResponse).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

# X-Amz-Target prefix -> service (the name a fault is injected under)
_JSON_TARGETS = {"DynamoDB_20120810": "dynamodb", "DynamoDBStreams_20120810": "dynamodbstreams",
                 "AmazonSQS": "sqs", "secretsmanager": "secretsmanager"}
# __type namespaces of the JSON services' errors
_JSON_ERROR_NAMESPACES = {"dynamodb": "com.amazonaws.dynamodb.v20120810#",
                          "dynamodbstreams": "com.amazonaws.dynamodb.v20120810#",
                          "sqs": "com.amazonaws.sqs#", "secretsmanager": ""}
_JSON_CONTENT_TYPES = {"dynamodb": "application/x-amz-json-1.0", "dynamodbstreams": "application/x-amz-json-1.0",
                       "sqs": "application/x-amz-json-1.0", "secretsmanager": "application/x-amz-json-1.1"}
_QUERY_NAMESPACES = {"sns": "http://sns.amazonaws.com/doc/2010-03-31/",
                     "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")

# The HTTP status AWS answers each error code with, when inject() is not told.
DEFAULT_STATUS = {
    "InternalServerError": 500, "InternalError": 500, "InternalFailure": 500,
    "ServiceUnavailable": 503, "ServiceUnavailableException": 503,
}


@dataclass
class AwsCall:
    """What a fault is matched against."""

    service: str      # "dynamodb", "sns"... ("" when the call does not say)
    operation: str    # "TransactWriteItems", "Publish"...
    body: bytes


@dataclass
class Fault:
    service: str
    operation: str | None          # None: every operation of the service
    code: str                      # the AWS error code
    status: int
    message: str
    times: int | None              # None: until cleared
    match: bytes | None            # only calls whose request body contains this
    reasons: list[str] | None      # TransactionCanceledException: one cancellation code per item
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def matches(self, call: AwsCall) -> bool:
        return (call.service == self.service and self.operation in (None, call.operation)
                and (self.match is None or self.match in call.body))

    def take(self) -> bool:
        """Claim one answer of this fault (False once its times are used up)."""
        with self._lock:
            if self.times is not None and self.hits >= self.times:
                return False
            self.hits += 1
            return True

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """The faults injected into one embedded AWS."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def inject(self, service: str, operation: str | None, code: str, *, status: int | None = None,
               message: str | None = None, times: int | None = 1, match: str | bytes | None = None,
               reasons: list[str] | None = None) -> Fault:
        """Answer the next ``times`` calls of ``service``'s ``operation`` (None:
        any) whose request body contains ``match`` with the error ``code``.
        ``status`` defaults to AWS's for the code (400 for client-side and
        throttling errors). For ``TransactionCanceledException``, ``reasons``
        gives the cancellation codes (``"TransactionConflict"``,
        ``"ConditionalCheckFailed"``, ``"None"``...), one per item; when the
        request has more items than reasons, the rest are ``"None"``."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None: until cleared)")
        fault = Fault(service=service, operation=operation, code=code,
                      status=status or DEFAULT_STATUS.get(code, 400),
                      message=message or f"Injected fault: {code}", times=times,
                      match=match.encode() if isinstance(match, str) else match, reasons=reasons)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if not fault.spent]

    def answer(self, environ: dict, body: bytes) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The injected error for this WSGI request (status, headers, body), or None: let it through."""
        with self._lock:
            if not self._faults:
                return None
            faults = list(self._faults)
        call = describe_call(environ, body)
        for fault in faults:
            if fault.matches(call) and fault.take():
                return error_response(fault, call)
        return None


def describe_call(environ: dict, body: bytes) -> AwsCall:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        prefix, _, operation = target.partition(".")
        return AwsCall(_JSON_TARGETS.get(prefix, prefix.lower()), operation, body)
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    try:
        action = parse_qs(body.decode(), keep_blank_values=True).get("Action", [""])[0]
    except UnicodeDecodeError:
        action = ""
    return AwsCall(scope.group(1) if scope else "", action, body)


def error_response(fault: Fault, call: AwsCall) -> tuple[int, list[tuple[str, str]], bytes]:
    request_id = str(uuid.uuid4())
    if call.service in _QUERY_NAMESPACES or call.service not in _JSON_ERROR_NAMESPACES:
        kind = "Receiver" if fault.status >= 500 else "Sender"
        namespace = _QUERY_NAMESPACES.get(call.service, "")
        xml = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type><Code>{fault.code}</Code>'
               f"<Message>{escape(fault.message)}</Message></Error><RequestId>{request_id}</RequestId>"
               "</ErrorResponse>").encode()
        return fault.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], xml
    document: dict = {"__type": _JSON_ERROR_NAMESPACES[call.service] + fault.code, "message": fault.message}
    if fault.code == "TransactionCanceledException":
        codes = _cancellation_codes(fault.reasons or ["TransactionConflict"], call.body)
        document = {"__type": document["__type"], "Message": (
            f"Transaction cancelled, please refer cancellation reasons for specific reasons [{', '.join(codes)}]"),
            "CancellationReasons": [{"Code": code, **({"Message": _REASON_MESSAGES[code]}
                                                     if code in _REASON_MESSAGES else {})} for code in codes]}
    headers = [("Content-Type", _JSON_CONTENT_TYPES[call.service]), ("x-amzn-RequestId", request_id)]
    if call.service == "sqs":  # the JSON protocol's query-compatible error code
        headers.append(("x-amzn-query-error", f"{fault.code};{'Receiver' if fault.status >= 500 else 'Sender'}"))
    return fault.status, headers, json.dumps(document).encode()


_REASON_MESSAGES = {"TransactionConflict": "Transaction is ongoing for the item",
                    "ConditionalCheckFailed": "The conditional request failed",
                    "ThrottlingError": "Throughput exceeds the current capacity for one or more global secondary "
                                       "indexes. DynamoDB is automatically scaling your index."}


def _cancellation_codes(reasons: list[str], body: bytes) -> list[str]:
    """One code per item of the request's TransactItems."""
    try:
        items = len(json.loads(body or b"{}").get("TransactItems", []))
    except (ValueError, AttributeError):
        items = 0
    items = max(items, len(reasons))
    return [*reasons, *["None"] * (items - len(reasons))]

