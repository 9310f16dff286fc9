"""API Gateway REST's Lambda proxy integration (payload 1.0): the event a
request becomes, and the HTTP response a function's result becomes."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote

from localrun.routing import Match
from localrun.template import LOCAL_ACCOUNT_ID


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str                      # as sent, percent-encoding kept, no query
    query: str                         # the raw query string
    headers: list[tuple[str, str]]     # in order, duplicates kept
    body: bytes
    source_ip: str


def proxy_event(request: HttpRequest, match: Match, *, stage: str, request_id: str | None = None,
                now: float | None = None) -> dict:
    now = time.time() if now is None else now
    request_id = request_id or str(uuid.uuid4())
    headers, multi_headers = _headers(request.headers)
    single_query, multi_query = _query(request.query)
    # As a REST API does: `path` keeps the client's percent-encoding, the
    # path parameters are decoded.
    path = request.raw_path
    path_parameters = {name: unquote(value) for name, value in match.path_parameters.items()}
    body, is_base64 = _body(request.body)
    host = _last_header(request.headers, "host") or "127.0.0.1"
    return {
        "resource": match.route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": match.route.path,
            "httpMethod": request.method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": request.source_ip,
                         "userAgent": _last_header(request.headers, "user-agent"),
                         "accountId": None, "caller": None, "user": None, "userArn": None, "apiKey": None,
                         "accessKey": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                         "principalOrgId": None},
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _last_header(pairs: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in reversed(pairs) if key.lower() == name), None)


def _headers(pairs: list[tuple[str, str]]) -> tuple[dict | None, dict | None]:
    """A REST API's ``headers`` (the last value of a repeated header) and
    ``multiValueHeaders`` (every value, in order). Names are one name whatever
    their letter case (RFC 9110; over HTTP/2 API Gateway receives them all in
    lower case): a repeat sent in another case is a value of the first
    spelling's entry, never an entry of its own that a case-insensitive
    lookup would silently pick or drop."""
    single, multi, spelling = {}, {}, {}
    for name, value in pairs:
        key = spelling.setdefault(name.lower(), name)
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single or None, multi or None


def _query(query: str) -> tuple[dict | None, dict | None]:
    single, multi = {}, {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single or None, multi or None


def _body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), True


# -------------------------------------------------------------- responses

class MalformedResponse(ValueError):
    """The function's result is not a proxy response; API Gateway answers 502."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


# Hop-by-hop and framing headers are the gateway's business, not the function's.
_GATEWAY_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}


def http_response(result: object) -> HttpResponse:
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise MalformedResponse(f"expected an object with an integer statusCode, got {str(result)[:200]!r}")
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedResponse("headers and multiValueHeaders must be objects")
    # multiValueHeaders carry every value; `headers` adds the names they lack.
    headers = [(name, str(value)) for name, values in multi.items() for value in values]
    covered = {name.lower() for name in multi}
    headers += [(name, str(value)) for name, value in single.items() if name.lower() not in covered]
    headers = [(name, value) for name, value in headers if name.lower() not in _GATEWAY_HEADERS]
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise MalformedResponse("body must be a string")
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(body)
    else:
        payload = body.encode()
    return HttpResponse(result["statusCode"], headers, payload)
