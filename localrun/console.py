"""The refund console's static files, served by the local gateway under
/console/ on the API's own origin (deployed: S3 behind CloudFront, whose
response headers policy in template.yaml sets the security headers; the same
headers are sent here, read from that resource, so the app is developed under
the CSP it is deployed with).

Only files under console/ with a known extension are served, GET and HEAD
only; a path that is not plainly one of them (a `..` or `.` segment, a dot
file, a backslash, a NUL, an empty segment, encoded or not, or a symlink
leading out) is 404. Never a directory listing."""

from __future__ import annotations

import dataclasses
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote

from localrun import template as cfn
from localrun.proxy_event import HttpResponse

PREFIX = "/console"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Local edits show at once; deployed, CloudFront's cache policy decides.
CACHE_CONTROL = "no-cache"
RESPONSE_HEADERS_POLICY = "AWS::CloudFront::ResponseHeadersPolicy"
API_TYPES = ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi")


class StaticSite:
    def __init__(self, root: Path, security_headers: list[tuple[str, str]]):
        self.root = root.resolve()
        self.security_headers = security_headers

    @staticmethod
    def serves(path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def answer(self, method: str, raw_path: str) -> HttpResponse:
        """The answer to ``method`` on ``raw_path`` (as sent: percent-encoding kept, no query)."""
        if method not in ("GET", "HEAD"):
            return self._plain(HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", "GET, HEAD")])
        if raw_path == PREFIX:  # the app's relative URLs need the slash
            return self._plain(HTTPStatus.FOUND, [("Location", PREFIX + "/")])
        file = self._file(raw_path.removeprefix(PREFIX + "/"))
        if file is None:
            return self._plain(HTTPStatus.NOT_FOUND)
        headers = [("Content-Type", CONTENT_TYPES[file.suffix]), ("Cache-Control", CACHE_CONTROL),
                   *self.security_headers]
        return HttpResponse(HTTPStatus.OK, headers, file.read_bytes())

    def _file(self, relative: str) -> Path | None:
        relative = unquote(relative) or "index.html"
        segments = relative.split("/")
        if "\\" in relative or "\0" in relative or any(s == "" or s.startswith(".") for s in segments):
            return None
        file = self.root.joinpath(*segments).resolve()
        if not file.is_relative_to(self.root) or not file.is_file() or file.suffix not in CONTENT_TYPES:
            return None
        return file

    def _plain(self, status: HTTPStatus, extra: list[tuple[str, str]] = ()) -> HttpResponse:
        headers = [("Content-Type", "text/plain; charset=utf-8"), *extra, *self.security_headers]
        return HttpResponse(status, headers, f"{status.phrase}\n".encode())


def security_headers(config: dict) -> list[tuple[str, str]]:
    """The headers a CloudFront ResponseHeadersPolicyConfig adds (resolved:
    no intrinsic functions left): its SecurityHeadersConfig and CustomHeadersConfig."""
    security = config.get("SecurityHeadersConfig") or {}
    headers = []
    if "ContentSecurityPolicy" in security:
        headers.append(("Content-Security-Policy", security["ContentSecurityPolicy"]["ContentSecurityPolicy"]))
    if "StrictTransportSecurity" in security:
        hsts = security["StrictTransportSecurity"]
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if _true(hsts.get("IncludeSubdomains")) else ""
        value += "; preload" if _true(hsts.get("Preload")) else ""
        headers.append(("Strict-Transport-Security", value))
    if "FrameOptions" in security:
        headers.append(("X-Frame-Options", security["FrameOptions"]["FrameOption"]))
    if "ReferrerPolicy" in security:
        headers.append(("Referrer-Policy", security["ReferrerPolicy"]["ReferrerPolicy"]))
    if "ContentTypeOptions" in security:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if "XSSProtection" in security:
        xss = security["XSSProtection"]
        value = "1" if _true(xss.get("Protection")) else "0"
        if _true(xss.get("ModeBlock")):
            value += "; mode=block"
        elif xss.get("ReportUri"):
            value += f"; report={xss['ReportUri']}"
        headers.append(("X-XSS-Protection", value))
    for item in (config.get("CustomHeadersConfig") or {}).get("Items", []):
        headers.append((item["Header"], item["Value"]))
    return headers


def _true(value: object) -> bool:
    return value is True or str(value).lower() == "true"


def template_security_headers(template: dict, resolver: cfn.Resolver) -> list[tuple[str, str]]:
    """The headers of the template's response headers policy (the one the
    console's CloudFront distribution uses); none when it has no such policy.
    An API of the template that was not deployed (local modes) resolves to the
    id `local`: locally the console calls the API on its own origin ('self'),
    and the API's deployed origin in the CSP names no host that answers."""
    policies = [resource for resource in template.get("Resources", {}).values()
                if resource.get("Type") == RESPONSE_HEADERS_POLICY]
    if len(policies) > 1:
        raise ValueError(f"template.yaml has {len(policies)} {RESPONSE_HEADERS_POLICY}s: which one is the console's?")
    if not policies:
        return []
    apis = {logical_id: "local" for logical_id, resource in template.get("Resources", {}).items()
            if resource.get("Type") in API_TYPES}
    local = dataclasses.replace(resolver, physical_ids={**apis, **resolver.physical_ids})
    return security_headers(local.resolve(policies[0]["Properties"]["ResponseHeadersPolicyConfig"]))
