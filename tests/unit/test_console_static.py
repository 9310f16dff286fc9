"""The local gateway serves the refund console's static files under
/console/ (localrun/console.py): the right content types, the security
headers of the template's response headers policy on every answer, and
nothing outside console/, however the path is spelled."""

from __future__ import annotations

import http.client
from contextlib import closing

import pytest

from localrun import template as cfn
from localrun.console import StaticSite, security_headers, template_security_headers
from localrun.gateway import ApiGateway, ApiSettings
from localrun.routing import Router
from localrun.throttling import GatewayResponses
from tests.unit.test_throttling import API, TEMPLATE, _function_answering_200, _resolved

HEADERS = [("Content-Security-Policy", "default-src 'self'"), ("X-Frame-Options", "DENY")]


@pytest.fixture
def site(tmp_path) -> StaticSite:
    root = tmp_path / "console"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>console</title>")
    (root / "js" / "main.js").write_text("export {};")
    (root / "css.css").write_text("body {}")
    (root / "config.json").write_text("{}")
    (root / ".env").write_text("SECRET=1")
    (root / "notes.py").write_text("print()")
    (tmp_path / "secret.json").write_text('{"secret": true}')
    (root / "escape.json").symlink_to(tmp_path / "secret.json")
    return StaticSite(root, HEADERS)


@pytest.mark.parametrize(("path", "content_type", "body"), [
    ("/console/", "text/html; charset=utf-8", b"<!doctype html><title>console</title>"),
    ("/console/index.html", "text/html; charset=utf-8", b"<!doctype html><title>console</title>"),
    ("/console/js/main.js", "text/javascript; charset=utf-8", b"export {};"),
    ("/console/css.css", "text/css; charset=utf-8", b"body {}"),
    ("/console/config.json", "application/json", b"{}"),
    ("/console/js%2Fmain.js", "text/javascript; charset=utf-8", b"export {};"),
])
def test_a_file_is_served_with_its_content_type_and_the_security_headers(site, path, content_type, body):
    answer = site.answer("GET", path)
    assert (answer.status, answer.body) == (200, body)
    assert ("Content-Type", content_type) in answer.headers
    assert all(header in answer.headers for header in HEADERS)


@pytest.mark.parametrize("path", [
    "/console/../secret.json", "/console/%2e%2e/secret.json", "/console/%2E%2E%2Fsecret.json",
    "/console/js/..%2F..%2Fsecret.json", "/console/..%5Csecret.json", "/console/js%5C..%5C..%5Csecret.json",
    "/console/./index.html", "/console//index.html", "/console/index.html%00.js", "/console/escape.json",
    "/console/.env", "/console/notes.py", "/console/js", "/console/js/", "/console/missing.js",
], ids=lambda path: path.removeprefix("/console/"))
def test_nothing_but_a_plain_path_to_a_file_of_console_is_served(site, path):
    answer = site.answer("GET", path)
    assert answer.status == 404 and b"secret" not in answer.body.lower()
    assert all(header in answer.headers for header in HEADERS)  # the headers come with a refusal too


def test_console_without_its_slash_is_redirected_and_only_get_and_head_are_served(site):
    assert ("Location", "/console/") in site.answer("GET", "/console").headers
    assert site.answer("GET", "/console").status == 302  # as the deployed distribution answers it
    assert site.answer("HEAD", "/console/").status == 200
    refused = site.answer("POST", "/console/index.html")
    assert refused.status == 405 and ("Allow", "GET, HEAD") in refused.headers


def test_the_headers_are_the_templates_response_headers_policy():
    headers = dict(template_security_headers(TEMPLATE, cfn.Resolver(TEMPLATE, {})))
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"].startswith("max-age=") and "Referrer-Policy" in headers


def test_the_apis_deployed_origin_in_the_policy_resolves_locally():
    policy = {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {"ResponseHeadersPolicyConfig": {
        "SecurityHeadersConfig": {"ContentSecurityPolicy": {"ContentSecurityPolicy": {
            "Fn::Sub": "connect-src 'self' https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}}}}}}
    template = {"Resources": {"Api": {"Type": "AWS::Serverless::Api"}, "Policy": policy}}
    assert template_security_headers(template, cfn.Resolver(template, {})) == [
        ("Content-Security-Policy", "connect-src 'self' https://local.execute-api.us-east-1.amazonaws.com")]
    deployed = cfn.Resolver(template, {"Api": "a1b2c3"})  # a deployed stack's (STACK_NAME)
    assert "https://a1b2c3.execute-api" in template_security_headers(template, deployed)[0][1]


def test_a_policy_becomes_the_headers_cloudfront_adds():
    config = {"SecurityHeadersConfig": {
        "ContentSecurityPolicy": {"ContentSecurityPolicy": "default-src 'self'", "Override": True},
        "StrictTransportSecurity": {"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": True,
                                    "Preload": False, "Override": True},
        "FrameOptions": {"FrameOption": "DENY", "Override": True},
        "ReferrerPolicy": {"ReferrerPolicy": "no-referrer", "Override": True},
        "ContentTypeOptions": {"Override": True},
        "XSSProtection": {"Protection": True, "ModeBlock": True, "Override": True}},
        "CustomHeadersConfig": {"Items": [{"Header": "Permissions-Policy", "Value": "camera=()", "Override": True}]}}
    assert security_headers(config) == [
        ("Content-Security-Policy", "default-src 'self'"),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff"),
        ("X-XSS-Protection", "1; mode=block"), ("Permissions-Policy", "camera=()")]


def test_the_gateway_serves_the_console_beside_the_api(site):
    """Over HTTP, the path exactly as sent (no client normalises the `..`)."""
    api = ApiSettings(stage="prod", cors_headers=None, responses=GatewayResponses(_resolved("GatewayResponses")))
    gateway = ApiGateway(Router(cfn.api_routes(TEMPLATE)), {API: api}, _function_answering_200, port=0,
                         console=site).start()
    try:
        host, port = gateway.url.removeprefix("http://").split(":")
        for path, status in [("/console/", 200), ("/console/../secret.json", 404), ("/console/%2e%2e/secret.json", 404),
                             ("/v1/refunds", 200)]:
            with closing(http.client.HTTPConnection(host, int(port), timeout=10)) as connection:
                connection.putrequest("GET", path, skip_accept_encoding=True)
                connection.endheaders()
                answer = connection.getresponse()
                assert (path, answer.status) == (path, status)
                if path.startswith("/console/"):
                    assert answer.headers["X-Frame-Options"] == "DENY"
    finally:
        gateway.stop()

