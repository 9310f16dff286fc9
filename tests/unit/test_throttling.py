"""API Gateway's own answers as the local gateway gives them: stage and
method throttling (token buckets, the template's MethodSettings), and the
template's Gateway Responses (429 15150 with Retry-After, 413 112, 404 104,
each readable by a browser: CORS).

The gateway here is a real HTTP server on loopback in front of a stand-in
function, with a clock the test moves: nothing waits, nothing depends on speed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from localrun import template as cfn
from localrun.gateway import MAX_BODY_BYTES, ApiGateway, ApiSettings
from localrun.lambda_pool import Invocation
from localrun.routing import Router
from localrun.throttling import (
    GatewayResponses,
    MethodThrottle,
    Throttle,
    TokenBucket,
    method_throttles,
    parameter_overrides,
)
from refunds_core import errors
from tests.conftest import ROOT

TEMPLATE = cfn.load_template(ROOT / "template.yaml")
API = "RefundsApi"
PROPS = cfn.api_properties(TEMPLATE, API)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _resolved(prop: str, **parameters):
    return cfn.Resolver(TEMPLATE, {}, parameters=parameters).resolve(PROPS[prop])


# ---------------------------------------------------------------- the bucket

def test_a_bucket_admits_its_burst_then_refills_at_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.49  # less than one token's worth (1 / 2 s)
    assert not bucket.take()
    clock.now += 0.01
    assert bucket.take() and not bucket.take()
    clock.now += 60  # a long pause refills to the burst, no further
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_each_route_has_the_stage_default_bucket_of_its_own_unless_it_has_its_own_setting():
    clock = FakeClock()
    throttle = Throttle([MethodThrottle("/*", "*", rate=1, burst=2),
                         MethodThrottle("/v1/auth/token", "POST", rate=1, burst=1)], clock)
    assert [throttle.admit("/v1/refunds", "GET") for _ in range(3)] == [True, True, False]
    # Another route is not charged for the first one's traffic.
    assert [throttle.admit("/v1/refunds/{refundId}", "GET") for _ in range(3)] == [True, True, False]
    assert [throttle.admit("/v1/auth/token", "POST") for _ in range(2)] == [True, False]
    clock.now += 1
    assert throttle.admit("/v1/auth/token", "POST") and throttle.admit("/v1/refunds", "GET")


# ----------------------------------------------------------- the template's

def test_the_template_throttles_every_route_with_the_stage_default_and_no_route_lower():
    """A method's own limit would be shared by all callers too: one client sending junk
    passwords to POST /v1/auth/token at its rate would deny tokens to every merchant
    (docs/limits.md: a per-IP WAF rule instead)."""
    throttles = {(t.resource_path, t.http_method): (t.rate, t.burst)
                 for t in method_throttles(_resolved("MethodSettings"))}
    assert throttles == {("/*", "*"): (50, 100)}  # the parameters' defaults
    assert sorted(name for name in TEMPLATE["Parameters"] if "Throttle" in name) == [
        "ThrottleBurstLimit", "ThrottleRateLimit"]


def test_throttling_parameters_are_overridden_from_the_environment():
    overrides = parameter_overrides(TEMPLATE, {"THROTTLE_RATE_LIMIT": "5000", "THROTTLE_BURST_LIMIT": "9000",
                                               "TOKEN_THROTTLE_RATE_LIMIT": "300", "LOG_LEVEL": "DEBUG"})
    assert overrides == {"ThrottleRateLimit": "5000", "ThrottleBurstLimit": "9000"}  # no token parameter
    throttles = {(t.resource_path, t.http_method): (t.rate, t.burst)
                 for t in method_throttles(_resolved("MethodSettings", **overrides))}
    assert throttles == {("/*", "*"): (5000, 9000)}


@pytest.mark.parametrize("response_type, status, code", [
    ("THROTTLED", 429, errors.THROTTLED), ("REQUEST_TOO_LARGE", 413, errors.REQUEST_TOO_LARGE),
    ("MISSING_AUTHENTICATION_TOKEN", 404, errors.ROUTE_NOT_FOUND), ("RESOURCE_NOT_FOUND", 404, errors.ROUTE_NOT_FOUND),
    ("QUOTA_EXCEEDED", 429, errors.THROTTLED), ("UNAUTHORIZED", 401, errors.UNAUTHORIZED),
    ("INVALID_API_KEY", 401, errors.UNAUTHORIZED), ("UNSUPPORTED_MEDIA_TYPE", 400, errors.INVALID_CONTENT_TYPE),
    ("INTEGRATION_TIMEOUT", 504, errors.INTERNAL),
])
def test_the_gateway_answers_in_the_errors_body_with_the_catalogues_status_and_message(response_type, status, code):
    """Each of API Gateway's own answers is a catalogue entry, message included,
    with the status the catalogue gives it (504 for a timeout: not the function's 500)."""
    response = _resolved("GatewayResponses")[response_type]
    assert int(response["StatusCode"]) == status
    assert json.loads(response["ResponseTemplates"]["application/json"]) == {
        "errors": [{"error": code.code, "message": code.message}]}
    if status != 504:
        assert status == int(code.status)


def test_every_gateway_answer_is_readable_by_a_browser_and_only_the_throttled_one_says_when_to_retry():
    """The functions' answers carry the CORS origin; without it on the gateway's own,
    a browser could not read a 429, 413, 404 or 5xx."""
    responses = _resolved("GatewayResponses")
    origin = _resolved("Cors")["AllowOrigin"]  # "'*'", a static value as ResponseParameters writes it
    headers = {name: r["ResponseParameters"]["Headers"] for name, r in responses.items()}
    assert {name: h.pop("Access-Control-Allow-Origin") for name, h in headers.items()} == dict.fromkeys(
        responses, origin)
    assert {name: h for name, h in headers.items() if h} == {
        "THROTTLED": {"Retry-After": "'1'", "Access-Control-Expose-Headers": "'Retry-After'"}}


def test_the_gateways_own_answers_allow_the_origin_the_template_is_given():
    console = "https://d1234abcd.cloudfront.net"
    responses = _resolved("GatewayResponses", ApiAllowedOrigin=console)
    assert {r["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] for r in responses.values()} == {
        f"'{console}'"}
    assert _resolved("Cors", ApiAllowedOrigin=console)["AllowOrigin"] == f"'{console}'"


# ------------------------------------------------- the gateway, on loopback

def _function_answering_200(_function: str, _event: dict) -> Invocation:
    return Invocation("ok", {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                             "body": '{"data": {}}'}, cold=False, duration_ms=1.0, request_id="r")


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def gateway(clock):
    """The template's routes and Gateway Responses, and its MethodSettings with
    low limits (as THROTTLE_RATE_LIMIT=1 THROTTLE_BURST_LIMIT=3 would set them)."""
    overrides = parameter_overrides(TEMPLATE, {"THROTTLE_RATE_LIMIT": "1", "THROTTLE_BURST_LIMIT": "3"})
    api = ApiSettings(stage="prod", cors_headers=None, responses=GatewayResponses(_resolved("GatewayResponses")),
                      throttle=Throttle(method_throttles(_resolved("MethodSettings", **overrides)), clock))
    served = ApiGateway(Router(cfn.api_routes(TEMPLATE)), {API: api}, _function_answering_200, port=0).start()
    yield served
    served.stop()


def _call(gateway, method: str, path: str, body: bytes | None = None):
    request = urllib.request.Request(gateway.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


THROTTLED_BODY = {"errors": [{"error": 15150, "message": "Too many requests."}]}


def test_beyond_its_burst_a_route_is_429_15150_with_retry_after_until_tokens_refill(gateway, clock):
    statuses = [_call(gateway, "GET", "/v1/refunds")[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    status, body, headers = _call(gateway, "GET", "/v1/refunds")
    assert (status, body) == (429, THROTTLED_BODY)
    assert headers["Retry-After"] == "1" and headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    # Other routes have buckets of their own.
    assert _call(gateway, "GET", "/v1/refunds/rf_1")[0] == 200
    clock.now += int(headers["Retry-After"])  # what the client was told to wait: one token at 1/s
    assert [_call(gateway, "GET", "/v1/refunds")[0] for _ in range(2)] == [200, 429]


def test_the_token_route_has_the_stage_default_bucket_of_its_own(gateway, clock):
    assert [_call(gateway, "POST", "/v1/auth/token", b"{}")[0] for _ in range(4)] == [200, 200, 200, 429]
    assert _call(gateway, "GET", "/v1/webhooks")[0] == 200


def test_a_body_over_api_gateways_10_mb_is_413_112_before_any_function(gateway):
    status, body, headers = _call(gateway, "POST", "/v1/webhooks", b"x" * (MAX_BODY_BYTES + 1))
    assert (status, body) == (413, {"errors": [{"error": 112, "message": "Request body is too large."}]})
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_an_unknown_route_is_404_104_and_is_not_throttled(gateway):
    for _ in range(5):
        status, body, headers = _call(gateway, "GET", "/v1/nowhere")
        assert (status, body) == (404, {"errors": [{"error": 104, "message": "Invalid request URL."}]})
        assert headers["Access-Control-Allow-Origin"] == "*"


def test_a_failed_function_is_502_100_readable_by_a_browser():
    def failing(_function: str, _event: dict) -> Invocation:
        return Invocation("error", {"type": "RuntimeError", "message": "boom", "trace": []}, cold=False,
                          duration_ms=1.0, request_id="r")

    api = ApiSettings(stage="prod", cors_headers=None, responses=GatewayResponses(_resolved("GatewayResponses")))
    served = ApiGateway(Router(cfn.api_routes(TEMPLATE)), {API: api}, failing, port=0).start()
    try:
        status, body, headers = _call(served, "GET", "/v1/refunds")
    finally:
        served.stop()
    assert (status, body["errors"][0]["error"]) == (502, errors.INTERNAL.code)
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_token_requests_are_limited_per_client_ip_by_waf_with_the_errors_body():
    """Per IP, not per route: one client guessing passwords is blocked, the
    others keep getting tokens. The 429 body is the catalogue's 15150."""
    acl = TEMPLATE["Resources"]["TokenRequestsWebAcl"]["Properties"]
    (rule,) = acl["Rules"]
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP" and statement["EvaluationWindowSec"] == 300
    match = statement["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["FieldToMatch"], match["SearchString"]) == ({"UriPath": {}}, "/v1/auth/token")
    assert match["TextTransformations"] == [{"Priority": 0, "Type": "URL_DECODE"}]  # no %-encoded way round
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert json.loads(body["Content"]) == errors.ApiError(errors.THROTTLED).body()
    association = TEMPLATE["Resources"]["TokenRequestsWebAclAssociation"]["Properties"]
    assert "/restapis/${RefundsApi}/stages/${RefundsApi.Stage}" in str(association["ResourceArn"])
    assert TEMPLATE["Parameters"]["TokenRequestsPerIpLimit"]["Default"] == 100
