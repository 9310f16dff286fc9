"""The embedded AWS: moto's server on loopback, in a daemon thread of this process."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server


class OneCallAtATime:
    """WSGI middleware that runs one AWS call at a time, start to finish.

    Real DynamoDB makes each conditional write atomic and each transaction
    serializable. moto's backends are not thread-safe, and its
    transact_write_items checks every condition, then writes, and on failure
    rolls back by restoring a deep copy of the whole table: two concurrent
    requests could both pass the same condition (two open refunds on one
    order) or one could roll back the other's writes. Holding one lock for the
    whole request, including producing the response body (werkzeug may hand
    back a lazy iterable), gives every call the atomicity the code relies on.
    """

    def __init__(self, app: Callable):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        _buffer_request_body(environ)  # a slow client uploads outside the lock
        with self._lock:
            result = self._app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        return [body]


def _buffer_request_body(environ: dict) -> None:
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit():
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))


class _QuietRequestHandler(MotoRequestHandler):
    # One access line per AWS call would drown the API's own log; errors still print.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmbeddedAws:
    """moto's server on 127.0.0.1 (an ephemeral port unless one is given)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EmbeddedAws:
        app = OneCallAtATime(DomainDispatcherApplication(create_backend_app))
        # threaded: connections are served concurrently (keep-alive clients do
        # not block each other); the middleware serializes the AWS work itself.
        self._server = make_server(self._host, self._port, app, threaded=True,
                                   request_handler=_QuietRequestHandler)
        # A short poll interval: stop() waits for serve_forever to notice the shutdown.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), name="embedded-aws",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
