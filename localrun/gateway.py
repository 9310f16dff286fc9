"""The local API Gateway: an HTTP server on loopback that answers like the
deployed REST API - its own errors for unknown paths, methods, oversized
bodies and throttled requests (the template's Gateway Responses and
MethodSettings, localrun/throttling.py), CORS preflights from the template,
everything else through the Lambda proxy integration of the function the
template names for the route."""

from __future__ import annotations

import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from localrun.lambda_pool import Invocation
from localrun.proxy_event import HttpRequest, HttpResponse, MalformedResponse, http_response, proxy_event
from localrun.routing import Match, MethodNotAllowed, Router
from localrun.throttling import GatewayAnswer, GatewayResponses, Throttle

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# An oversized body is read and dropped so the client gets its 413 rather than
# a broken pipe while still sending; beyond this the connection is just closed.
MAX_DRAINED_BYTES = 100 * 1024 * 1024
_CHUNK = 1 << 16


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


Invoke = Callable[[str, dict], Invocation]


class ApiGateway:
    def __init__(self, router: Router, apis: dict[str, ApiSettings], invoke: Invoke, *,
                 host: str = "127.0.0.1", port: int = 3000):
        self.router, self.apis, self.invoke = router, apis, invoke
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
                         status: int | None = None) -> HttpResponse:
        """API Gateway's own answer of this type, from the Api serving the
        path (the first Api when none does)."""
        match = self.router.resolve(method, path)
        if isinstance(match, Match):
            api = match.route.api
        elif isinstance(match, MethodNotAllowed):
            api = next(r.api for r in self.router.routes if r.path == match.resource_path)
        else:
            api = next(iter(self.apis))
        return _answer(self.apis[api].responses.answer(response_type, status=status))

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


def _answer(answer: GatewayAnswer) -> HttpResponse:
    return HttpResponse(answer.status, list(answer.headers), answer.body)


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like API Gateway
    timeout = 60                   # a stalled client frees its thread
    server_version = "localrun"

    def _serve(self) -> None:
        started, request_id = time.monotonic(), str(uuid.uuid4())
        gateway: ApiGateway = self.server.gateway
        try:
            request = self._request()
            response, served = gateway.answer(request, request_id)
        except RequestTooLarge:
            path = urlsplit(self.path).path
            response, served = gateway.gateway_response(self.command, path, "REQUEST_TOO_LARGE"), "gateway"
        except Exception:
            traceback.print_exc()
            path = urlsplit(self.path).path
            response, served = gateway.gateway_response(self.command, path, "DEFAULT_5XX", status=502), "gateway"
        self._write(response, request_id)
        elapsed = (time.monotonic() - started) * 1000
        _log(f"{self.command} {self.path} {response.status} {elapsed:.0f}ms {served}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _request(self) -> HttpRequest:
        split = urlsplit(self.path)
        return HttpRequest(method=self.command, raw_path=split.path, query=split.query,
                           headers=list(self.headers.items()), body=self._body(),
                           source_ip=self.client_address[0])

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked_body()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._drain(length)
            raise RequestTooLarge()
        return self.rfile.read(length)

    def _chunked_body(self) -> bytes:
        body, received = bytearray(), 0
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers
                    pass
                if received > MAX_BODY_BYTES:
                    raise RequestTooLarge()
                return bytes(body)
            received += size
            if received > MAX_BODY_BYTES:
                self._drain(size)  # keep reading chunks, keep none of them
            else:
                body += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk

    def _drain(self, length: int) -> None:
        if length > MAX_DRAINED_BYTES:
            self.close_connection = True  # the unread body cannot be skipped
            return
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK))
            if not chunk:  # the client gave up
                return
            length -= len(chunk)

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
