"""The local API Gateway: an HTTP server on loopback that answers like the
deployed REST API - its own errors for unknown paths, methods, oversized
bodies and throttled requests (the template's Gateway Responses and
MethodSettings, localrun/throttling.py), CORS preflights from the template,
everything else through the Lambda proxy integration of the function the
template names for the route. Under /console/ it serves the refund console's
static files instead (localrun/console.py), as CloudFront does deployed.

A request whose framing cannot be trusted (Content-Length, chunked body,
request line, a body that stops coming) is refused before any routing, as
API Gateway's front door refuses it: a 4xx in the errors body (the template's
DEFAULT_4XX: 106 with the status and a message saying what was wrong), then
the connection is closed. Never a 5xx, a hang or a traceback: a client that
resets its connection is a debug log line. docs/local-runtime.md has the table."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from localrun.console import StaticSite
from localrun.lambda_pool import Invocation
from localrun.proxy_event import HttpRequest, HttpResponse, MalformedResponse, http_response, proxy_event
from localrun.routing import Match, MethodNotAllowed, Router
from localrun.throttling import GatewayAnswer, GatewayResponses, Throttle

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# An oversized body is read and dropped so the client gets its 413 rather than
# a broken pipe while still sending; beyond this the connection is just closed.
MAX_DRAINED_BYTES = 100 * 1024 * 1024
_CHUNK = 1 << 16
# A regional REST API's limit on the URL (API Gateway quotas); beyond it, 414.
MAX_URL_CHARS = 10_240
# How long a read may wait for the client: the next request on an idle
# keep-alive connection (then the connection is closed), or the rest of a
# body (then 408). Loopback delivers a body at once: a client this slow is stuck.
READ_TIMEOUT_SECONDS = 30.0
_CONTENT_LENGTH = re.compile(r"[0-9]{1,19}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
# A header field name: a token (RFC 9110, 5.1); whitespace before the colon is no part of one.
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_MAX_TRAILERS = 100  # http.server's own limit on header lines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiSettings:
    """What the gateway needs of one AWS::Serverless::Api."""

    stage: str
    cors_headers: dict[str, str] | None  # None: the API answers no preflight
    # Its GatewayResponses (none: API Gateway's built-in answers) and its
    # MethodSettings' throttling (None: no request is throttled).
    responses: GatewayResponses = field(default_factory=GatewayResponses)
    throttle: Throttle | None = None


class RequestTooLarge(Exception):
    pass


class BadFraming(Exception):
    """The request cannot be read as sent: refused with this 4xx, and the
    connection closed (where its next request would start is unknown)."""

    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status, self.message = status, message


Invoke = Callable[[str, dict], Invocation]


class ApiGateway:
    def __init__(self, router: Router, apis: dict[str, ApiSettings], invoke: Invoke, *,
                 host: str = "127.0.0.1", port: int = 3000, read_timeout: float = READ_TIMEOUT_SECONDS,
                 console: StaticSite | None = None):
        self.router, self.apis, self.invoke, self.console = router, apis, invoke, console
        self.read_timeout = read_timeout
        self._server = _Server((host, port), _Handler)
        self._server.gateway = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ApiGateway:
        # A short poll interval: stop() waits for serve_forever to notice the shutdown.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), name="gateway",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    # ------------------------------------------------------- one request

    def answer(self, request: HttpRequest, request_id: str) -> tuple[HttpResponse, str]:
        """The response, and what served it (for the access log)."""
        path = urlsplit(request.raw_path).path
        if self.console is not None and self.console.serves(path):
            return self.console.answer(request.method, path), "console"
        if request.method == "OPTIONS":
            preflight = self._preflight(path)
            if preflight is not None:
                return preflight, "cors"
        match = self.router.resolve(request.method, path)
        # A REST API answers a method it has no route for exactly like an
        # unknown path (MISSING_AUTHENTICATION_TOKEN, which the template maps
        # to 404 104), so the twin does too.
        if not isinstance(match, Match):
            return self.gateway_response(request.method, path, "MISSING_AUTHENTICATION_TOKEN"), "gateway"
        api = self.apis[match.route.api]
        if api.throttle is not None and not api.throttle.admit(match.route.path, match.route.method):
            return _answer(api.responses.answer("THROTTLED")), "gateway (throttled)"
        return self._integrate(request, match, request_id)

    def gateway_response(self, method: str, path: str, response_type: str, *,
                         status: int | None = None, message: str | None = None) -> HttpResponse:
        """API Gateway's own answer of this type, from the Api serving the
        path (the first Api when none does)."""
        match = self.router.resolve(method, path)
        if isinstance(match, Match):
            api = match.route.api
        elif isinstance(match, MethodNotAllowed):
            api = next(r.api for r in self.router.routes if r.path == match.resource_path)
        else:
            api = next(iter(self.apis))
        return _answer(self.apis[api].responses.answer(response_type, status=status, message=message))

    def refusal(self, method: str, path: str, status: int, message: str) -> HttpResponse:
        """A request refused before routing (its framing): the template's
        DEFAULT_4XX with this status and message; never a 5xx."""
        status = status if 400 <= status < 500 else HTTPStatus.BAD_REQUEST
        return self.gateway_response(method, path, "DEFAULT_4XX", status=status, message=message)

    def _preflight(self, path: str) -> HttpResponse | None:
        # An explicit OPTIONS route is the function's; otherwise the API's Cors answers.
        match = self.router.resolve("OPTIONS", path)
        if isinstance(match, Match) and match.route.method == "OPTIONS":
            return None
        if isinstance(match, MethodNotAllowed):
            route = next(r for r in self.router.routes if r.path == match.resource_path)
        elif isinstance(match, Match):
            route = match.route
        else:
            return None
        cors = self.apis[route.api].cors_headers
        if cors is None:
            return None
        return HttpResponse(204, list(cors.items()), b"")

    def _integrate(self, request: HttpRequest, match: Match, request_id: str) -> tuple[HttpResponse, str]:
        event = proxy_event(request, match, stage=self.apis[match.route.api].stage, request_id=request_id)
        invocation = self.invoke(match.route.function, event)
        served = f"{match.route.function} {'cold' if invocation.cold else 'warm'}"
        responses = self.apis[match.route.api].responses
        if invocation.outcome == "timeout":
            return _answer(responses.answer("INTEGRATION_TIMEOUT")), served
        if not invocation.ok:
            return _answer(responses.answer("DEFAULT_5XX", status=502)), served
        try:
            return http_response(invocation.payload), served
        except MalformedResponse as exc:
            _log(f"{match.route.function} returned a malformed Lambda proxy response: {exc}")
            return _answer(responses.answer("DEFAULT_5XX", status=502)), served


class _Server(ThreadingHTTPServer):
    daemon_threads = True      # a hung client never blocks shutdown
    request_queue_size = 128   # socketserver's 5 resets connections of a burst of clients

    def handle_error(self, request, client_address) -> None:
        # A client that resets or drops its connection is its own business, not a traceback.
        error = sys.exception()
        if isinstance(error, ConnectionError):
            log.debug("client %s:%s dropped the connection: %r", *client_address[:2], error)
            return
        super().handle_error(request, client_address)


def _answer(answer: GatewayAnswer) -> HttpResponse:
    return HttpResponse(answer.status, list(answer.headers), answer.body)


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like API Gateway
    server_version = "localrun"

    def setup(self) -> None:
        self.timeout = self.server.gateway.read_timeout  # every read of the connection
        super().setup()

    def __getattr__(self, name: str):
        # Every method is routed (do_GET, do_TRACE, do_BREW...): the router
        # answers one no route has, CONNECT and TRACE included, like an
        # unknown path, as a REST API does (never http.server's 501).
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if len(self.path) > MAX_URL_CHARS:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        # "Authorization : x" is no header to the stdlib's parser (it drops the line
        # as a defect), but may be one to the next hop: a field line that is not
        # "token: value" is refused (RFC 9112, 5.1), never dropped in silence.
        if self.headers.defects or any(not _FIELD_NAME.fullmatch(name) for name in self.headers):
            self.send_error(HTTPStatus.BAD_REQUEST, "Invalid header field name.")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (request line or header line too long,
        too many headers, bad syntax or version) answered as the gateway's:
        a 4xx in the errors body, then the connection is closed."""
        self._refuse(BadFraming(HTTPStatus(code), message or HTTPStatus(code).phrase))

    def _serve(self) -> None:
        started, request_id = time.monotonic(), str(uuid.uuid4())
        gateway: ApiGateway = self.server.gateway
        path = urlsplit(self.path).path
        try:
            request = self._request()
        except BadFraming as refused:
            self._refuse(refused, request_id)
            return
        except RequestTooLarge:
            response, served = gateway.gateway_response(self.command, path, "REQUEST_TOO_LARGE"), "gateway"
        else:
            try:
                response, served = gateway.answer(request, request_id)
            except Exception:  # a bug of the gateway's own: the client still gets an answer
                traceback.print_exc()
                response, served = gateway.gateway_response(self.command, path, "DEFAULT_5XX", status=502), "gateway"
        self._write(response, request_id)
        _log(f"{self.command} {self.path} {response.status} {(time.monotonic() - started) * 1000:.0f}ms {served}")

    def _refuse(self, refused: BadFraming, request_id: str | None = None) -> None:
        self.close_connection = True
        # A request line refused before its version was read is not HTTP/0.9:
        # the answer gets a status line and headers.
        self.request_version = self.protocol_version
        method, target = self.command or "-", getattr(self, "path", "")
        response = self.server.gateway.refusal(method, urlsplit(target).path, refused.status, refused.message)
        self._write(response, request_id or str(uuid.uuid4()))
        _log(f"{method} {target[:200]} {response.status} refused: {refused.message}")

    def _request(self) -> HttpRequest:
        split = urlsplit(self.path)
        return HttpRequest(method=self.command, raw_path=split.path, query=split.query,
                           headers=list(self.headers.items()), body=self._body(),
                           source_ip=self.client_address[0])

    def _body(self) -> bytes:
        try:
            encodings = self.headers.get_all("Transfer-Encoding") or []
            if encodings:
                if [e.strip().lower() for e in encodings] != ["chunked"]:
                    raise BadFraming(HTTPStatus.BAD_REQUEST, "Unsupported Transfer-Encoding.")
                if self.headers.get_all("Content-Length"):
                    # Two framings: the next hop may trust the other one (request smuggling).
                    raise BadFraming(HTTPStatus.BAD_REQUEST, "Both Content-Length and Transfer-Encoding.")
                return self._chunked_body()
            return self._sized_body(self._content_length())
        except TimeoutError:
            raise BadFraming(HTTPStatus.REQUEST_TIMEOUT,
                             f"The request body did not arrive within {self.timeout:g} s.") from None

    def _content_length(self) -> int:
        sent = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not sent:
            return 0
        if len(sent) > 1 or not _CONTENT_LENGTH.fullmatch(next(iter(sent))):
            raise BadFraming(HTTPStatus.BAD_REQUEST, "Invalid Content-Length.")
        return int(next(iter(sent)))

    def _sized_body(self, length: int) -> bytes:
        if length > MAX_BODY_BYTES:
            self._drain(length)
            raise RequestTooLarge()
        body = self.rfile.read(length)
        if len(body) < length:  # the client stopped sending
            raise BadFraming(HTTPStatus.BAD_REQUEST, "The request body is shorter than its Content-Length.")
        return body

    def _chunked_body(self) -> bytes:
        body, received = bytearray(), 0
        while True:
            size = self._chunk_size()
            if size == 0:
                self._trailers()
                if received > MAX_BODY_BYTES:
                    raise RequestTooLarge()
                return bytes(body)
            received += size
            if received > MAX_BODY_BYTES:
                # keep reading chunks, keep none of them; past MAX_DRAINED_BYTES in all, stop
                if received > MAX_DRAINED_BYTES or not self._drain(size):
                    self.close_connection = True
                    raise RequestTooLarge()
            else:
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise BadFraming(HTTPStatus.BAD_REQUEST, "Invalid chunked request body.")
                body += chunk
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):  # each chunk ends with CRLF
                raise BadFraming(HTTPStatus.BAD_REQUEST, "Invalid chunked request body.")

    def _chunk_size(self) -> int:
        line = self.rfile.readline(_CHUNK)
        size = line.split(b";", 1)[0].strip()  # chunk extensions are ignored
        if not line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size):
            raise BadFraming(HTTPStatus.BAD_REQUEST, "Invalid chunk size.")
        return int(size, 16)

    def _trailers(self) -> None:
        for _ in range(_MAX_TRAILERS):
            line = self.rfile.readline(_CHUNK)
            if not line.endswith(b"\n"):
                raise BadFraming(HTTPStatus.BAD_REQUEST, "Invalid chunked request body.")
            if not line.strip():
                return
        raise BadFraming(HTTPStatus.BAD_REQUEST, "Too many trailer fields.")

    def _drain(self, length: int) -> bool:
        """Reads and drops ``length`` bytes; False when they were not all read
        (too many to wait for, or the client gave up): the connection closes."""
        if length > MAX_DRAINED_BYTES:
            self.close_connection = True  # the unread body cannot be skipped
            return False
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK))
            if not chunk:  # the client gave up
                self.close_connection = True
                return False
            length -= len(chunk)
        return True

    def _write(self, response: HttpResponse, request_id: str) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # _serve logs one line per request, with what served it
