"""The local gateway refuses bad HTTP framing as API Gateway does: a 4xx in
the errors body (the template's Gateway Responses), never a 5xx, a hang or a
traceback, and it keeps serving. Raw sockets against a real gateway on
loopback, in front of a stand-in function (localrun/gateway.py)."""

from __future__ import annotations

import http.client
import logging
import queue
import socket
import struct
from contextlib import closing

import pytest

from localrun import template as cfn
from localrun.gateway import MAX_URL_CHARS, ApiGateway, ApiSettings
from localrun.routing import Router
from localrun.throttling import GatewayResponses
from tests.unit.test_throttling import API, TEMPLATE, _function_answering_200, _resolved

ROUTE_NOT_FOUND = b'{"errors": [{"error": 104, "message": "Invalid request URL."}]}'


def _gateway(**options) -> ApiGateway:
    api = ApiSettings(stage="prod", cors_headers=None, responses=GatewayResponses(_resolved("GatewayResponses")))
    return ApiGateway(Router(cfn.api_routes(TEMPLATE)), {API: api}, _function_answering_200, port=0,
                      **options).start()


@pytest.fixture
def gateway():
    served = _gateway()
    yield served
    served.stop()


def connect(gateway: ApiGateway) -> socket.socket:
    host, port = gateway.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def answer(sock: socket.socket, method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return response.status, response.headers, response.read()


def exchange(gateway: ApiGateway, raw: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
    with closing(connect(gateway)) as sock:
        sock.sendall(raw)
        return answer(sock)


def rejected(message: str) -> bytes:
    return ('{"errors": [{"error": 106, "message": "' + message + '"}]}').encode()


def assert_serving(gateway: ApiGateway) -> None:
    status, _, body = exchange(gateway, b"GET /v1/refunds HTTP/1.1\r\nHost: local\r\n\r\n")
    assert (status, body) == (200, b'{"data": {}}')


def assert_refused(response, status: int, message: str) -> None:
    code, headers, body = response
    assert (code, body) == (status, rejected(message))
    assert headers["Content-Type"] == "application/json" and headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Connection"] == "close"  # where a next request would start is unknown


# ------------------------------------------------------------ Content-Length

@pytest.mark.parametrize("lengths", [["abc"], ["-1"], ["1.5"], ["0x10"], ["+2"], ["2", "3"]],
                         ids=["not a number", "negative", "decimal", "hex", "signed", "two different"])
def test_an_invalid_content_length_is_400(gateway, lengths):
    headers = "".join(f"Content-Length: {length}\r\n" for length in lengths)
    sent = f"POST /v1/webhooks HTTP/1.1\r\nHost: local\r\n{headers}\r\n".encode()
    assert_refused(exchange(gateway, sent), 400, "Invalid Content-Length.")
    assert_serving(gateway)


def test_a_body_that_stops_before_its_content_length_is_400(gateway):
    with closing(connect(gateway)) as sock:
        sock.sendall(b'POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nContent-Length: 10\r\n\r\n{"a"')
        sock.shutdown(socket.SHUT_WR)  # the client has sent all it will
        assert_refused(answer(sock), 400, "The request body is shorter than its Content-Length.")
    assert_serving(gateway)


def test_a_body_that_stalls_is_408_after_the_read_timeout_not_a_hang():
    impatient = _gateway(read_timeout=1.0)
    try:
        with closing(connect(impatient)) as sock:
            sock.sendall(b'POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nContent-Length: 10\r\n\r\n{"a"')
            assert_refused(answer(sock), 408, "The request body did not arrive within 1 s.")
        assert_serving(impatient)
    finally:
        impatient.stop()


# ------------------------------------------------------------- chunked bodies

@pytest.mark.parametrize(("chunks", "message"), [
    (b"zz\r\n{}\r\n0\r\n\r\n", "Invalid chunk size."),
    (b"-2\r\n{}\r\n0\r\n\r\n", "Invalid chunk size."),
    (b"\r\n{}\r\n0\r\n\r\n", "Invalid chunk size."),
    (b"2\r\n{}XX0\r\n\r\n", "Invalid chunked request body."),  # no CRLF after the chunk's data
], ids=["not hex", "negative", "empty", "no CRLF after the data"])
def test_a_malformed_chunked_body_is_400(gateway, chunks, message):
    sent = b"POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    assert_refused(exchange(gateway, sent), 400, message)
    assert_serving(gateway)


def test_a_transfer_encoding_other_than_chunked_is_400(gateway):
    sent = b"POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}"
    assert_refused(exchange(gateway, sent), 400, "Unsupported Transfer-Encoding.")
    assert_serving(gateway)


def test_content_length_beside_chunked_is_400_and_nothing_smuggled_after_it(gateway):
    """Two framings of one body: a next hop trusting the other one would read
    the rest as a second request (review: the gateway served it on the same connection)."""
    smuggled = b"GET /v1/openapi.json HTTP/1.1\r\nHost: local\r\n\r\n"
    sent = (b"POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"0\r\n\r\n" + smuggled)
    assert_refused(exchange(gateway, sent), 400, "Both Content-Length and Transfer-Encoding.")
    assert_serving(gateway)


def test_a_header_name_with_whitespace_before_its_colon_is_400(gateway):
    sent = b"GET /v1/refunds HTTP/1.1\r\nHost: local\r\nAuthorization : Bearer x\r\n\r\n"
    assert_refused(exchange(gateway, sent), 400, "Invalid header field name.")
    assert_serving(gateway)


def test_a_request_line_over_64_kib_is_414_in_the_errors_body(gateway):
    assert exchange(gateway, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: local\r\n\r\n")[0] == 414
    assert_serving(gateway)


def test_a_well_formed_chunked_body_still_reaches_the_function(gateway):
    sent = (b"POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"1;ext=1\r\n{\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n")
    assert exchange(gateway, sent)[0] == 200


# ---------------------------------------------------------- the request line

def test_a_uri_over_api_gateways_limit_is_414(gateway):
    path = "/v1/refunds?q=" + "x" * (MAX_URL_CHARS - len("/v1/refunds?q=") + 1)
    assert_refused(exchange(gateway, f"GET {path} HTTP/1.1\r\nHost: local\r\n\r\n".encode()), 414,
                   "URI Too Long")
    assert_serving(gateway)


def test_a_uri_at_the_limit_is_served(gateway):
    path = "/v1/refunds?q=" + "x" * (MAX_URL_CHARS - len("/v1/refunds?q="))
    assert exchange(gateway, f"GET {path} HTTP/1.1\r\nHost: local\r\n\r\n".encode())[0] == 200


@pytest.mark.parametrize(("line", "message"), [
    (b"GET /v1/refunds HTTP/2.0", "Invalid HTTP version (2.0)"),  # http.server's own answer: 505
    (b"GET /v1/refunds HTTP/x.y", "Bad request version ('HTTP/x.y')"),
])
def test_a_request_line_http_server_refuses_is_4xx_in_the_errors_body(gateway, line, message):
    assert_refused(exchange(gateway, line + b"\r\nHost: local\r\n\r\n"), 400, message)
    assert_serving(gateway)


# ------------------------------------------------------------------- methods

@pytest.mark.parametrize("request_line", ["TRACE /v1/refunds", "CONNECT 127.0.0.1:443", "BREW /v1/refunds",
                                          "TRACE /nowhere"])
def test_a_method_no_route_has_is_404_104_and_the_connection_stays_open(gateway, request_line):
    with closing(connect(gateway)) as sock:
        sock.sendall(f"{request_line} HTTP/1.1\r\nHost: local\r\n\r\n".encode())
        status, headers, body = answer(sock)
        assert (status, body) == (404, ROUTE_NOT_FOUND) and headers["Connection"] is None
        sock.sendall(b"GET /v1/refunds HTTP/1.1\r\nHost: local\r\n\r\n")
        assert answer(sock)[0] == 200


# --------------------------------------------------------------------- reset

@pytest.fixture
def gateway_log(caplog):
    """The gateway's log records, as they are emitted (caplog keeps them for the assertions)."""
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    handler = logging.Handler()
    handler.emit = records.put
    caplog.set_level(logging.DEBUG, logger="localrun.gateway")
    logging.getLogger("localrun.gateway").addHandler(handler)
    yield records
    logging.getLogger("localrun.gateway").removeHandler(handler)


def test_a_client_resetting_its_connection_is_a_debug_line_not_a_traceback(gateway, gateway_log, capfd):
    with closing(connect(gateway)) as sock:
        sock.sendall(b'POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nContent-Length: 100\r\n\r\n{"a"')
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends an RST
    record = gateway_log.get(timeout=30)
    assert record.levelno == logging.DEBUG and "dropped the connection" in record.getMessage()
    assert_serving(gateway)
    assert "Traceback" not in capfd.readouterr().err
