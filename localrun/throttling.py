"""API Gateway's stage and method throttling, and its Gateway Responses, as
the template declares them: the local gateway refuses and answers what the
deployed REST API would.

Throttling (MethodSettings): a token bucket per method (route), holding at
most ``burst`` tokens and refilled at ``rate`` per second; a request takes a
token or is refused. The stage's ``/*`` ``*`` setting is the default every
method gets a bucket of its own with (API Gateway's "default method
throttling"); a method named by its own setting uses that one instead.

Gateway Responses: API Gateway's own answers (unknown route, throttled,
body too large, integration timeout...) with the status, headers and body
template the Api's ``GatewayResponses`` give, falling back to DEFAULT_4XX /
DEFAULT_5XX, then to API Gateway's built-in ``{"message": ...}``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


class TokenBucket:
    """Starts full; ``take()`` spends one token if there is one."""

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of at least 1")
        self.rate, self.burst, self._clock = float(rate), int(burst), clock
        self._tokens, self._last = float(burst), clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


@dataclass(frozen=True)
class MethodThrottle:
    resource_path: str  # the template's path ("/v1/auth/token"), or "/*" for every method
    http_method: str    # "POST", or "*"
    rate: float
    burst: int


def _decode_resource_path(encoded: str) -> str:
    # MethodSettings write "/v1/auth/token" as "/~1v1~1auth~1token": a leading
    # "/", then the path with each "/" as "~1" (and "~" as "~0"), JSON Pointer style.
    if encoded == "/*":
        return encoded
    return encoded[1:].replace("~1", "/").replace("~0", "~")


def method_throttles(method_settings: list[dict] | None) -> list[MethodThrottle]:
    """The resolved MethodSettings that throttle (others set logging, caching...)."""
    throttles = []
    for setting in method_settings or []:
        if "ThrottlingRateLimit" not in setting and "ThrottlingBurstLimit" not in setting:
            continue
        throttles.append(MethodThrottle(
            resource_path=_decode_resource_path(str(setting.get("ResourcePath", "/*"))),
            http_method=str(setting.get("HttpMethod", "*")).upper(),
            # API Gateway's defaults for a missing half are the account's (10 000 rps, burst 5 000).
            rate=float(setting.get("ThrottlingRateLimit", 10_000)),
            burst=int(float(setting.get("ThrottlingBurstLimit", 5_000)))))
    return throttles


class Throttle:
    """One bucket per (resource path, method), made on first use."""

    def __init__(self, throttles: list[MethodThrottle], clock: Clock = time.monotonic):
        self.throttles, self._clock = throttles, clock
        self._buckets: dict[tuple[str, str], TokenBucket | None] = {}
        self._lock = threading.Lock()

    def admit(self, resource_path: str, http_method: str) -> bool:
        key = (resource_path, http_method.upper())
        with self._lock:
            if key not in self._buckets:
                setting = self._setting(*key)
                self._buckets[key] = None if setting is None else TokenBucket(setting.rate, setting.burst,
                                                                              self._clock)
            bucket = self._buckets[key]
        return bucket is None or bucket.take()

    def _setting(self, resource_path: str, http_method: str) -> MethodThrottle | None:
        own = [t for t in self.throttles if t.resource_path == resource_path
               and t.http_method in (http_method, "*")]
        default = [t for t in self.throttles if t.resource_path == "/*"]
        # The method's own setting (an exact method before "*"), else the stage's default.
        ranked = sorted(own, key=lambda t: t.http_method == "*") + default
        return ranked[0] if ranked else None


def parameter_overrides(template: dict, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Throttling parameters set in the environment: ``ThrottleRateLimit`` is
    ``THROTTLE_RATE_LIMIT``, ``ThrottleBurstLimit`` ``THROTTLE_BURST_LIMIT`` (any
    template parameter named ``...Throttle...`` likewise)."""
    environ = os.environ if environ is None else environ
    overrides = {}
    for name in template.get("Parameters", {}):
        if "Throttle" not in name:
            continue
        variable = re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
        if environ.get(variable):
            overrides[name] = environ[variable]
    return overrides


# ---------------------------------------------------------- gateway responses

# API Gateway's status and message for the response types the local gateway gives.
_BUILT_IN = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "THROTTLED": (429, "Too Many Requests"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "DEFAULT_5XX": (502, "Internal server error"),  # a function that failed or answered nonsense
    "DEFAULT_4XX": (400, "Bad Request"),  # a request refused before routing: its framing (localrun/gateway.py)
}
_STATIC_VALUE = re.compile(r"^'(.*)'$", re.DOTALL)


@dataclass(frozen=True)
class GatewayAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class GatewayResponses:
    """The Api's resolved ``GatewayResponses`` property ({} answers as API Gateway does by default)."""

    responses: dict = field(default_factory=dict)

    def answer(self, response_type: str, *, status: int | None = None, message: str | None = None) -> GatewayAnswer:
        built_in_status, built_in_message = _BUILT_IN[response_type]
        status, message = status or built_in_status, message or built_in_message
        fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        own = self.responses.get(response_type)
        chosen = own if own is not None else self.responses.get(fallback, {})
        if chosen.get("StatusCode"):
            status = int(chosen["StatusCode"])
        headers = [("Content-Type", "application/json")]
        for name, value in ((chosen.get("ResponseParameters") or {}).get("Headers") or {}).items():
            static = _STATIC_VALUE.match(str(value))
            if static:  # a request's own values (method.request.header.x) are not emulated
                headers.append((name, static.group(1)))
        template = (chosen.get("ResponseTemplates") or {}).get("application/json")
        if template is None:
            body = json.dumps({"message": message})
        else:
            body = (template.replace("$context.error.messageString", json.dumps(message))
                    .replace("$context.error.message", message)
                    .replace("$context.error.responseType", response_type))
        return GatewayAnswer(status, tuple(headers), body.encode())
