"""The local runtime's pure pieces: reading template.yaml (short tags, routes,
functions), resolving intrinsics, matching request paths to routes, and the
proxy event a request becomes."""

from __future__ import annotations

import base64
import string
from pathlib import Path

import pytest

from localrun import template as cfn
from localrun.provision import creation_order, generate_secret_string
from localrun.proxy_event import HttpRequest, MalformedResponse, http_response, proxy_event
from localrun.routing import Match, MethodNotAllowed, NoSuchPath, Router
from localrun.runtime import cors_headers
from localrun.tokens import fill_token_placeholders

ROOT = Path(__file__).resolve().parents[2]
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:TokenSigningSecret-AbCdEf"  # noqa: S105
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:RefundEventsTopic"
PHYSICAL_IDS = {"RefundsTable": "RefundsTable", "TokenSigningSecret": SECRET_ARN,
                "RefundEventsTopic": TOPIC_ARN, "IdempotencyTable": "IdempotencyTable"}


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn.load_template(ROOT / "template.yaml")


# ------------------------------------------------------------- loading

def test_short_tags_load_as_their_long_forms():
    loaded = cfn.load_text("""
        A: !Ref Table
        B: !GetAtt Table.Arn
        C: !GetAtt [Table, StreamArn]
        D: !Sub "${Table}-x"
        E: !Sub ["${Name}-x", {Name: !Ref Table}]
        F: !Join [",", [a, !Ref Table]]
        G: !If [IsProd, 1, 2]
        H: !Select [0, !Split [",", "a,b"]]
        I: !Equals [!Ref Stage, prod]
        J: !Condition IsProd
        K: !GetAZs ""
    """)
    assert loaded["A"] == {"Ref": "Table"}
    assert loaded["B"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert loaded["C"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert loaded["D"] == {"Fn::Sub": "${Table}-x"}
    assert loaded["E"] == {"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Table"}}]}
    assert loaded["F"] == {"Fn::Join": [",", ["a", {"Ref": "Table"}]]}
    assert loaded["G"] == {"Fn::If": ["IsProd", 1, 2]}
    assert loaded["H"] == {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
    assert loaded["I"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert loaded["J"] == {"Condition": "IsProd"}
    assert loaded["K"] == {"Fn::GetAZs": ""}


def test_for_each_loops_expand_as_the_language_extensions_transform_does():
    loaded = cfn.load_text("""
        Parameters:
          Queues: {Type: CommaDelimitedList, Default: "Jobs, dead-letters"}
        Resources:
          Topic: {Type: AWS::SNS::Topic}
          Fn::ForEach::Alarms:
            - Fn
            - [Create, Delete]
            - ${Fn}Alarm:
                Type: AWS::CloudWatch::Alarm
                Properties:
                  Function: {Ref: !Sub "${Fn}"}
                  Arn: !GetAtt [!Sub "${Fn}", Arn]
                  Name: !Sub "${AWS::StackName}-${Fn}"
                  Item: !Ref Fn
                  Actions: [!Ref Topic]
          Fn::ForEach::Queues:
            - Queue
            - !Ref Queues
            - Q&{Queue}:
                Type: AWS::SQS::Queue
                Properties: {QueueName: !Sub "${Queue}"}
    """)
    assert list(loaded["Resources"]) == ["Topic", "CreateAlarm", "DeleteAlarm", "QJobs", "Qdeadletters"]
    assert loaded["Resources"]["DeleteAlarm"]["Properties"] == {
        "Function": {"Ref": "Delete"},  # the resource the item names
        "Arn": {"Fn::GetAtt": ["Delete", "Arn"]},
        "Name": {"Fn::Sub": "${AWS::StackName}-Delete"},  # other variables are left to CloudFormation
        "Item": "Delete",  # Ref of the identifier is the item itself
        "Actions": [{"Ref": "Topic"}]}
    assert loaded["Resources"]["Qdeadletters"]["Properties"] == {"QueueName": "dead-letters"}


def test_a_for_each_that_makes_a_key_twice_is_refused():
    with pytest.raises(ValueError, match="SameAlarm"):
        cfn.load_text("""
            Resources:
              Fn::ForEach::Twice: [Fn, [A, B], {SameAlarm: {Type: AWS::CloudWatch::Alarm}}]
        """)


def test_dates_stay_strings_as_in_cloudformation():
    assert cfn.load_text("Version: 2010-09-09")["Version"] == "2010-09-09"


def test_routes_are_the_api_events_of_the_template(template):
    routes = {(r.method, r.path): r.function for r in cfn.api_routes(template)}
    assert routes.items() >= {
        ("POST", "/v1/auth/token"): "IssueTokenFunction",
        ("PUT", "/v1/orders/{orderId}"): "PutOrderFunction",
        ("GET", "/v1/orders/{orderId}"): "GetOrderFunction",
        ("POST", "/v1/order/{orderId}/refund"): "CreateRefundFunction",
        ("PATCH", "/v1/refunds/{refundId}"): "UpdateRefundFunction",
        ("GET", "/v1/refunds"): "ListRefundsFunction",
    }.items()
    assert {r.api for r in cfn.api_routes(template)} == {"RefundsApi"}


def test_functions_get_the_globals(template):
    spec = cfn.functions(template, ROOT)["CreateRefundFunction"]
    assert spec.code_uri == ROOT / "functions" / "create_refund"
    assert spec.layers == (ROOT / "shared",)  # !Ref SharedLayer -> its ContentUri
    assert spec.handler == "app.lambda_handler"
    assert (spec.memory_size, spec.timeout) == (512, 10)
    assert spec.environment["TABLE_NAME"] == {"Ref": "RefundsTable"}
    assert spec.environment["POWERTOOLS_SERVICE_NAME"] == "refund-requests"


def test_a_functions_own_variables_override_the_globals():
    loaded = cfn.load_text("""
        Globals: {Function: {Timeout: 10, Environment: {Variables: {A: g, B: g}}}}
        Resources:
          F:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: f/, Handler: app.h, Timeout: 3, Environment: {Variables: {B: own}}}
    """)
    spec = cfn.functions(loaded)["F"]
    assert spec.code_uri == Path("f")
    assert spec.environment == {"A": "g", "B": "own"}
    assert spec.timeout == 3


# ---------------------------------------------------------- intrinsics

def test_function_environment_resolves_to_physical_ids(template):
    resolver = cfn.Resolver(template, PHYSICAL_IDS)
    env = resolver.resolve_environment(cfn.functions(template, ROOT)["CreateRefundFunction"].environment)
    assert env == {
        "TABLE_NAME": "RefundsTable", "TOKEN_SIGNING_SECRET_ID": SECRET_ARN,
        "POWERTOOLS_SERVICE_NAME": "refund-requests", "POWERTOOLS_METRICS_NAMESPACE": "RefundRequests",
        "POWERTOOLS_LOG_LEVEL": "INFO", "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable", "CORS_ALLOW_ORIGIN": "*",
    }


def test_parameter_overrides_beat_defaults(template):
    resolver = cfn.Resolver(template, PHYSICAL_IDS, parameters={"LogLevel": "DEBUG"})
    assert resolver.resolve({"Ref": "LogLevel"}) == "DEBUG"
    assert cfn.Resolver(template, PHYSICAL_IDS).resolve({"Ref": "ThrottleRateLimit"}) == 50


def test_arns_subs_and_pseudo_parameters(template):
    resolver = cfn.Resolver(template, PHYSICAL_IDS)
    assert resolver.resolve({"Fn::GetAtt": ["RefundsTable", "Arn"]}) == \
        "arn:aws:dynamodb:us-east-1:123456789012:table/RefundsTable"
    assert resolver.resolve({"Fn::GetAtt": ["RefundEventsTopic", "Arn"]}) == TOPIC_ARN
    assert resolver.resolve({"Fn::Sub": "${RefundsTable}/${StageName}@${AWS::Region}.${AWS::URLSuffix}"}) == \
        "RefundsTable/prod@us-east-1.amazonaws.com"
    with_variables = {"Fn::Sub": ["${X}:${AWS::AccountId}:${!Literal}", {"X": {"Ref": "LogLevel"}}]}
    assert resolver.resolve(with_variables) == "INFO:123456789012:${Literal}"
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "StageName"}]]}) == "a-prod"


def test_what_the_runtime_did_not_create_is_an_error(template):
    resolver = cfn.Resolver(template, PHYSICAL_IDS)
    with pytest.raises(cfn.UnresolvableError, match="RefundsApi"):
        resolver.resolve(template["Outputs"]["ApiUrl"]["Value"])


def test_conditions_and_no_value():
    loaded = cfn.load_text("""
        Parameters: {Stage: {Type: String, Default: prod}}
        Conditions: {IsProd: !Equals [!Ref Stage, prod]}
    """)
    resolver = cfn.Resolver(loaded, {})
    assert resolver.resolve({"Fn::If": ["IsProd", "big", "small"]}) == "big"
    assert resolver.resolve({"A": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 1]}, "B": 2}) == {"B": 2}


def test_queues_are_created_after_their_dead_letter_queue():
    loaded = cfn.load_text("""
        Resources:
          Main: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn}}}
          Dlq: {Type: AWS::SQS::Queue}
          Fn: {Type: AWS::Serverless::Function, Properties: {CodeUri: f/, Handler: a.b}}
    """)
    assert creation_order(loaded) == ["Dlq", "Main"]


def test_generated_secrets_honour_the_template():
    value = generate_secret_string({"PasswordLength": 64, "ExcludePunctuation": True})
    assert len(value) == 64
    assert set(value) <= set(string.ascii_letters + string.digits)


# ------------------------------------------------------------- routing

@pytest.fixture(scope="module")
def router(template) -> Router:
    return Router(cfn.api_routes(template))


def test_a_parameter_matches_one_segment(router):
    match = router.resolve("POST", "/v1/order/o-1/refund")
    assert isinstance(match, Match)
    assert match.route.function == "CreateRefundFunction"
    assert match.path_parameters == {"orderId": "o-1"}
    assert router.resolve("GET", "/v1/orders/a%20b").path_parameters == {"orderId": "a b"}


def test_unknown_paths_and_methods(router):
    assert isinstance(router.resolve("POST", "/v1/order//refund"), NoSuchPath)
    assert isinstance(router.resolve("GET", "/v1/orders/a/b"), NoSuchPath)
    assert isinstance(router.resolve("GET", "/v2/auth/token"), NoSuchPath)
    not_allowed = router.resolve("DELETE", "/v1/orders/o-1")
    assert isinstance(not_allowed, MethodNotAllowed)
    assert not_allowed.methods == ("GET", "PUT")


def test_refund_counts_is_its_own_route_not_a_refund_id(router):
    """/v1/refunds/counts and /v1/refunds/{refundId} are sibling resources: the
    literal one wins, as API Gateway picks it, and only for its own methods."""
    assert router.resolve("GET", "/v1/refunds/counts").route.function == "CountRefundsFunction"
    assert router.resolve("GET", "/v1/refunds/rf_01J").route.function == "GetRefundFunction"
    assert router.resolve("GET", "/v1/refunds/counts2").route.function == "GetRefundFunction"
    assert isinstance(router.resolve("PATCH", "/v1/refunds/counts"), MethodNotAllowed)


def test_literal_segments_beat_parameters_and_greedy_paths():
    router = Router([cfn.Route("GET", "/{proxy+}", "Catch"), cfn.Route("GET", "/orders/{id}", "One"),
                     cfn.Route("GET", "/orders/latest", "Latest"), cfn.Route("ANY", "/any", "Any")])
    assert router.resolve("GET", "/orders/latest").route.function == "Latest"
    assert router.resolve("GET", "/orders/7").route.function == "One"
    assert router.resolve("GET", "/a/b/c").path_parameters == {"proxy": "a/b/c"}
    assert router.resolve("PATCH", "/any").route.function == "Any"


# ----------------------------------------------------- the proxy event

def _request(**overrides) -> HttpRequest:
    fields = {"method": "POST", "raw_path": "/v1/order/o-1/refund", "query": "", "body": b'{"a": 1}',
              "headers": [("Host", "127.0.0.1:3000"), ("Accept", "a"), ("Accept", "b")],
              "source_ip": "127.0.0.1"}
    return HttpRequest(**{**fields, **overrides})


def test_proxy_event_is_what_api_gateway_rest_sends(router):
    request = _request(query="x=1&x=2")
    event = proxy_event(request, router.resolve("POST", request.raw_path), stage="prod", request_id="r-1")
    assert event["resource"] == "/v1/order/{orderId}/refund"
    assert event["pathParameters"] == {"orderId": "o-1"}
    assert event["headers"]["Accept"] == "b"
    assert event["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["requestContext"]["path"] == "/prod/v1/order/o-1/refund"
    assert event["requestContext"]["requestId"] == "r-1"
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)


def test_a_header_name_repeated_in_another_letter_case_is_one_header_sent_twice(router):
    """Field names are case-insensitive (and arrive lower case over HTTP/2):
    no spelling gets an entry a case-insensitive lookup would pick or drop."""
    request = _request(headers=[("X-API-KEY", "a"), ("Accept", "*/*"), ("x-api-key", "b"), ("X-Api-Key", "c")])
    event = proxy_event(request, router.resolve("POST", request.raw_path), stage="prod")
    assert event["multiValueHeaders"] == {"X-API-KEY": ["a", "b", "c"], "Accept": ["*/*"]}
    assert event["headers"] == {"X-API-KEY": "c", "Accept": "*/*"}


def test_binary_bodies_are_base64_and_empty_ones_none(router):
    match = router.resolve("POST", "/v1/order/o-1/refund")
    binary = proxy_event(_request(body=b"\xff\x00"), match, stage="prod")
    assert (binary["body"], binary["isBase64Encoded"]) == (base64.b64encode(b"\xff\x00").decode(), True)
    empty = proxy_event(_request(body=b""), match, stage="prod")
    assert (empty["body"], empty["queryStringParameters"]) == (None, None)


def test_proxy_results_become_http_responses():
    response = http_response({"statusCode": 201, "headers": {"X-A": "1", "Content-Length": "999"},
                              "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                              "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True})
    assert response.status == 201
    assert response.headers == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-A", "1")]
    assert response.body == b"\x01"
    with pytest.raises(MalformedResponse):
        http_response("not a proxy response")


@pytest.mark.parametrize("origin", [None, "https://d1234abcd.cloudfront.net"])
def test_cors_preflight_headers_come_from_the_template(template, origin):
    """The local gateway answers preflights with the Api's Cors as resolved,
    ApiAllowedOrigin included (its default, any; or the console's origin)."""
    parameters = {"ApiAllowedOrigin": origin} if origin else {}
    cors = cfn.Resolver(template, PHYSICAL_IDS, parameters=parameters).resolve(
        cfn.api_properties(template, "RefundsApi")["Cors"])
    assert cors_headers(cors) == {
        "Access-Control-Allow-Origin": origin or "*",
        "Access-Control-Allow-Headers": "Authorization,Content-Type,Idempotency-Key,X-API-KEY",
        "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS"}


def test_the_console_hosting_is_not_the_local_runtimes_to_create(template):
    """The bucket, the distribution and their policies are AWS's: the runtime
    provisions the data resources only, and serves the console itself (make run)."""
    hosting = {logical_id for logical_id, resource in template["Resources"].items()
               if resource["Type"].startswith(("AWS::S3::", "AWS::CloudFront::"))}
    assert hosting == {"ConsoleBucket", "ConsoleBucketPolicy", "ConsoleOriginAccessControl", "ConsoleHeadersPolicy",
                       "ConsoleRoutingFunction", "ConsoleDistribution"}
    assert not hosting & set(creation_order(template))


def test_token_placeholders_are_filled_in_headers_only():
    event = {"headers": {"Authorization": "Bearer {{token:demo}}"},
             "multiValueHeaders": {"Authorization": ["Bearer {{token:demo}}"]}, "body": "{{token:demo}}"}
    issued = []
    filled = fill_token_placeholders(event, lambda login: issued.append(login) or f"T-{login}")
    assert filled["headers"]["Authorization"] == "Bearer T-demo"
    assert filled["multiValueHeaders"]["Authorization"] == ["Bearer T-demo"]
    assert filled["body"] == "{{token:demo}}"
    assert issued == ["demo"]
