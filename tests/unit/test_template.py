"""template.yaml is the single source of truth: every route reaches a handler
that serves it, every function has a sample event, and each function may do
only what it needs."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from localrun import template as cfn
from tests.conftest import BATCH_SAMPLE_EVENTS, ROOT, SAMPLE_EVENTS, Answer, LambdaContext, load_handler

TEMPLATE = cfn.load_template(ROOT / "template.yaml")
ROUTES = cfn.api_routes(TEMPLATE)
FUNCTIONS = cfn.functions(TEMPLATE)
RESOURCES = TEMPLATE["Resources"]
# Routes that answer without a token or a body.
PUBLIC_DOCUMENTS = {"/v1/openapi.json"}
# Functions that call no AWS service: no Policies (SAM's default role: logs and traces only).
NO_AWS_ACCESS = {"OpenApiFunction"}


def _event(method: str, path: str) -> dict:
    concrete = re.sub(r"\{[^}]+\}", "x1", path)
    return {"resource": path, "path": concrete, "httpMethod": method, "headers": {},
            "multiValueHeaders": {}, "queryStringParameters": None, "pathParameters": None,
            "requestContext": {"requestId": "test", "stage": "prod", "resourcePath": path}, "body": None,
            "isBase64Encoded": False}


def test_the_template_declares_the_routes_of_the_contract():
    assert {(r.method, r.path) for r in ROUTES} >= {
        ("POST", "/v1/auth/token"), ("PUT", "/v1/orders/{orderId}"), ("GET", "/v1/orders/{orderId}"),
        ("POST", "/v1/order/{orderId}/refund")}


def test_one_function_per_route():
    functions = [r.function for r in ROUTES]
    assert len(functions) == len(set(functions))


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_route_reaches_a_handler_that_serves_it(route, monkeypatch):
    """Called with no token and no body, the handler answers for the route
    (401 or 110), never 'no such route' (104): the paths in the template and
    in the code agree."""
    monkeypatch.syspath_prepend(str(ROOT / "shared"))
    handler = load_handler(route.function)
    answer = handler(_event(route.method, route.path), LambdaContext())
    body = json.loads(answer["body"])
    if route.path in PUBLIC_DOCUMENTS:
        assert answer["statusCode"] == 200 and body["openapi"], body
        return
    assert answer["statusCode"] in (400, 401), body
    assert Answer(answer["statusCode"], body, {}).codes[0] != 104


def test_every_api_function_has_a_sample_event():
    events = [json.loads((ROOT / "events" / name).read_text()) for name in SAMPLE_EVENTS]
    covered = {(e["httpMethod"], e["resource"]) for e in events}
    missing = [r for r in ROUTES if (r.method, r.path) not in covered]
    assert not missing


def test_every_event_and_every_function_is_exercised():
    """The sample-event and IAM-coverage tests walk SAMPLE_EVENTS: it must name
    every event file, and through them every function of the template."""
    assert set(SAMPLE_EVENTS) | set(BATCH_SAMPLE_EVENTS) == {p.name for p in (ROOT / "events").glob("*.json")}
    assert {function for function, _ in SAMPLE_EVENTS.values()} | set(BATCH_SAMPLE_EVENTS.values()) == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(BATCH_SAMPLE_EVENTS))
def test_batch_sample_events_are_records_of_their_function_s_source(name):
    records = json.loads((ROOT / "events" / name).read_text())["Records"]
    source = _event_source(BATCH_SAMPLE_EVENTS[name])
    assert records and {record["eventSource"] for record in records} == {f"aws:{source['Type'].lower()}"}


@pytest.mark.parametrize("event_file", sorted(ROOT / "events" / name for name in SAMPLE_EVENTS), ids=lambda p: p.name)
def test_sample_events_are_rest_proxy_events(event_file):
    event = json.loads(event_file.read_text())
    assert set(event) >= {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                          "queryStringParameters", "pathParameters", "requestContext", "body", "isBase64Encoded"}
    assert event["requestContext"]["resourcePath"] == event["resource"]


def _statements(logical_id: str) -> list[dict]:
    statements = []
    for policy in RESOURCES[logical_id]["Properties"].get("Policies", []):
        statements += policy.get("Statement", []) if isinstance(policy, dict) else []
    return statements


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_policies_are_least_privilege(logical_id):
    statements = _statements(logical_id)
    if logical_id in NO_AWS_ACCESS:
        assert "Policies" not in RESOURCES[logical_id]["Properties"], "it needs no AWS access"
        assert "Role" not in RESOURCES[logical_id]["Properties"]
        return
    assert statements, "every function states its own permissions"
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any("*" in action for action in actions), statement
        assert "dynamodb:Scan" not in actions
        assert statement["Resource"] != "*"
        if actions == ["dynamodb:Query"] and statement["Resource"] != {"Fn::GetAtt": ["RefundsTable", "Arn"]}:
            # Queries of an index name the indexes they read, never every index; a Query
            # of the table itself is held to its partitions by LeadingKeys (below).
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all(re.fullmatch(r"\$\{RefundsTable\.Arn\}/index/[A-Za-z]+", r["Fn::Sub"]) for r in resources)
        elif any(a.startswith("dynamodb:") for a in actions):
            assert "dynamodb:LeadingKeys" in json.dumps(statement.get("Condition", {})), statement


def test_only_the_create_functions_write_refunds():
    """/v1's and seeds 002's, 003's and 004's (each opens a request through the same logic)."""
    writers = [fid for fid in FUNCTIONS
               if any('"REFUND#*"' in json.dumps(s) and "dynamodb:PutItem" in s["Action"] for s in _statements(fid))]
    assert sorted(writers) == ["CreateConnectionRefundFunction", "CreateFullRefundFunction", "CreateRefundFunction",
                              "V2CreateRefundFunction"]


def test_the_simulation_may_touch_test_data_only():
    """docs/test-mode.md: SimulateRefundFunction reads the caller's account (no mode: LOGIN#, MERCHANT#,
    APIKEY#) and, of the table's data, only test partitions (dal/keys.py's mark): a live refund cannot move."""
    from refunds_core.dal import keys

    account = {"LOGIN#*", "MERCHANT#*", "APIKEY#*"}
    data = set()
    for statement in _statements("SimulateRefundFunction"):
        if statement["Resource"] != {"Fn::GetAtt": ["RefundsTable", "Arn"]}:
            continue
        patterns = set(statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
        if patterns <= account:
            assert set(statement["Action"]) <= {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"}, statement
        else:
            data |= patterns
    assert data == {keys.leading_test_keys(kind) for kind in ("REFUND", "ORDER", "EVENTS")}


def test_every_function_that_resolves_callers_may_read_api_keys_and_only_two_write_them():
    resolving = [fid for fid in FUNCTIONS if any(st.get("Sid") == "ResolveCaller" for st in _statements(fid))]
    assert {"CreateRefundFunction", "ListRefundsFunction", "CreateApiKeyFunction"} <= set(resolving)
    for fid in resolving:
        (resolve,) = [st for st in _statements(fid) if st.get("Sid") == "ResolveCaller"]
        assert resolve["Action"] == ["dynamodb:BatchGetItem"], fid
        assert resolve["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == [
            "LOGIN#*", "MERCHANT#*", "APIKEY#*"], fid

    def writers(action):
        return sorted(fid for fid in FUNCTIONS for st in _statements(fid)
                      if '"APIKEY#*"' in json.dumps(st) and action in st["Action"])

    assert writers("dynamodb:PutItem") == ["CreateApiKeyFunction"]
    assert writers("dynamodb:DeleteItem") == ["DeleteApiKeyFunction"]
    assert writers("dynamodb:UpdateItem") == []
    assert {(r.method, r.path) for r in ROUTES} >= {
        ("POST", "/v1/api-keys"), ("GET", "/v1/api-keys"), ("DELETE", "/v1/api-keys/{keyId}")}


def test_the_code_indexes_are_the_tables():
    """Every index dal/keys.py names is the table's, with its key attributes, and the table has no other."""
    from refunds_core.dal.keys import ACTIVITY_INDEX, ATTEMPT_INDEXES, EVENT_INDEXES, INDEXES

    declared = {name: tuple(attribute for attribute, _ in index["KeySchema"])
                for name, index in declared_indexes(TEMPLATE)["RefundsTable"].items()}
    named = [*INDEXES.items(), *ATTEMPT_INDEXES.items(), (ACTIVITY_INDEX[0], ACTIVITY_INDEX[1:]),
             *((index, tuple(attributes)) for index, *attributes in EVENT_INDEXES.values())]
    assert {name: declared.get(name) for name, _ in named} == dict(named)
    assert set(declared) == {name for name, _ in named}


# The global secondary indexes of each table as last deployed: CloudFormation
# creates or deletes one per table update (a changed index is both), so a
# template more than one away from this fails to deploy. Update it once a
# deploy with a new or removed index has succeeded.
DEPLOYED_INDEXES = ROOT / "tests/unit/deployed_indexes.json"


def declared_indexes(template: dict) -> dict[str, dict[str, dict]]:
    """Each table's global secondary indexes, as deployed_indexes.json records them."""
    return {name: {index["IndexName"]: {"KeySchema": [[key["AttributeName"], key["KeyType"]]
                                                      for key in index["KeySchema"]],
                                        "Projection": index["Projection"]}
                   for index in resource["Properties"].get("GlobalSecondaryIndexes", [])}
            for name, resource in template["Resources"].items() if resource["Type"] == "AWS::DynamoDB::Table"}


def index_updates(deployed: dict[str, dict], declared: dict[str, dict]) -> dict[str, list[str]]:
    """Per table, the index creations and deletions that take it from ``deployed``
    to ``declared`` (an index changed under the same name is deleted and created)."""
    updates = {}
    for table in deployed.keys() | declared.keys():
        before, after = deployed.get(table, {}), declared.get(table, {})
        updates[table] = sorted(
            [f"delete {name}" for name in before if after.get(name) != before[name]]
            + [f"create {name}" for name in after if before.get(name) != after[name]])
    return updates


def test_a_deploy_creates_or_deletes_at_most_one_index_per_table():
    updates = index_updates(json.loads(DEPLOYED_INDEXES.read_text()), declared_indexes(TEMPLATE))
    too_many = {table: changes for table, changes in updates.items() if len(changes) > 1}
    assert not too_many, (f"one index created or deleted per table per deploy, not {too_many}: deploy them "
                          f"one release at a time, and record each in {DEPLOYED_INDEXES.name} once deployed")


@pytest.mark.parametrize(("change", "updates"), [
    ({}, []),
    ({"ByRefundReason": ("GSI9PK", "GSI9SK")}, ["create ByRefundReason"]),
    ({"ByRefundReason": ("GSI9PK", "GSI9SK"), "ByCarrier": ("GSI10PK", "GSI10SK")},
     ["create ByCarrier", "create ByRefundReason"]),
    ({"ByStatus": None}, ["delete ByStatus"]),
    ({"ByStatus": None, "ByRefundReason": ("GSI9PK", "GSI9SK")}, ["create ByRefundReason", "delete ByStatus"]),
    ({"ByStatus": ("GSI6PK", "GSI6SORT")}, ["create ByStatus", "delete ByStatus"]),   # a changed key
])
def test_the_guard_counts_each_index_created_or_deleted(change, updates):
    template = json.loads(json.dumps(TEMPLATE))
    indexes = template["Resources"]["RefundsTable"]["Properties"]["GlobalSecondaryIndexes"]
    for name, attributes in change.items():
        indexes[:] = [index for index in indexes if index["IndexName"] != name]
        if attributes is not None:
            indexes.append({"IndexName": name, "KeySchema": [{"AttributeName": attributes[0], "KeyType": "HASH"},
                                                             {"AttributeName": attributes[1], "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "ALL"}})
    deployed = json.loads(DEPLOYED_INDEXES.read_text())
    assert index_updates(deployed, declared_indexes(template))["RefundsTable"] == updates


def test_no_scan_anywhere_in_the_code():
    for path in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        assert not re.search(r"\.scan\(|\"Scan\"", path.read_text()), path


def test_the_layer_ships_the_same_pins_as_the_dev_environment():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [line.strip() for line in (ROOT / "shared/requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert sorted(layer) == sorted(project)


def test_runtime_is_python_3_13_on_arm64():
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    # The layer is built by shared/Makefile (pip for manylinux aarch64, then the prune list).
    assert RESOURCES["SharedLayer"]["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert "build-SharedLayer:" in (ROOT / "shared/Makefile").read_text()


def test_gateway_responses_use_codes_and_messages_of_the_catalogue():
    from refunds_core.errors import CATALOGUE

    messages = {entry.code: entry.message for entry in CATALOGUE}
    responses = RESOURCES["RefundsApi"]["Properties"]["GatewayResponses"]
    for name, response in responses.items():
        template = response["ResponseTemplates"]["application/json"]
        (entry,) = json.loads(re.sub(r"\$context\.error\.messageString", '"x"', template))["errors"]
        assert entry["error"] in messages, name
        # API Gateway's own refusals (106) carry its message; every other text is the catalogue's.
        assert entry["message"] in (messages[entry["error"]], "x"), name


def test_no_secret_in_the_template():
    text = (ROOT / "template.yaml").read_text()
    assert not re.search(r"^\s*SecretString:", text, re.MULTILINE)  # GenerateSecretString is fine
    assert not re.search(r"(?i)password\s*:", text)



# ------------------------------------------------ refund events and webhooks

def _event_source(function: str) -> dict:
    (source,) = RESOURCES[function]["Properties"]["Events"].values()
    return source


def test_the_table_stream_feeds_the_publisher_with_partial_failures_and_no_loss():
    assert RESOURCES["RefundsTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    source = _event_source("PublishRefundEventsFunction")
    props = source["Properties"]
    assert source["Type"] == "DynamoDB" and props["Stream"] == {"Fn::GetAtt": ["RefundsTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and props["BisectBatchOnFunctionError"]
    assert props["MaximumRetryAttempts"] == -1  # a failed publish is retried, never dropped
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["RefundEventsFailedQueue", "Arn"]}

    from localrun.event_sources.filter_patterns import matches_any, parse_pattern

    patterns = [parse_pattern(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]

    def passes(event_name: str, **image) -> bool:
        new = {name: {"S": value} for name, value in image.items()}
        return matches_any(patterns, {"eventName": event_name, "dynamodb": {"NewImage": new}})

    # A refund event kept with its change: published when it is written, once.
    assert passes("INSERT", type="Event", eventType="refund.issued")
    assert not passes("MODIFY", type="Event", eventType="refund.issued")
    assert not passes("INSERT", type="Event", eventType="webhook_endpoint.disabled")  # listed, never delivered
    # A refund change may be the publisher's when no event was kept with it (written by a version before
    # that was so): a creation that names none, and any change (an old version may have moved a refund a
    # new one created, leaving its eventId stale: the publisher compares eventVersion with version).
    assert passes("INSERT", type="Refund") and not passes("INSERT", type="Refund", eventId="evt_1")
    assert passes("MODIFY", type="Refund") and passes("MODIFY", type="Refund", eventId="evt_1")
    assert not passes("REMOVE", type="Refund")
    assert not passes("INSERT", type="Order") and not passes("INSERT", type="WebhookAttempt")


def test_the_topic_feeds_the_dispatcher_through_a_queue_with_a_dead_letter_queue():
    subscription = RESOURCES["WebhookEventsSubscription"]["Properties"]
    assert subscription["TopicArn"] == {"Ref": "RefundEventsTopic"} and subscription["RawMessageDelivery"]
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["WebhookEventsQueue", "Arn"]}
    policy = RESOURCES["WebhookEventsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert policy["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "RefundEventsTopic"}}}
    for queue, dead_letters, function in (
            ("WebhookEventsQueue", "WebhookEventsDeadLetterQueue", "DispatchWebhookEventsFunction"),
            ("WebhookDeliveriesQueue", "WebhookDeliveriesDeadLetterQueue", "DeliverWebhooksFunction")):
        redrive = RESOURCES[queue]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letters, "Arn"]}
        source = _event_source(function)
        assert source["Type"] == "SQS" and source["Properties"]["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        # SQS's rule: a queue's visibility timeout is at least its consumer's timeout.
        assert RESOURCES[queue]["Properties"]["VisibilityTimeout"] >= 6 * RESOURCES[function]["Properties"]["Timeout"]


def test_the_event_functions_may_only_publish_queue_and_read_what_they_need():
    def actions(function):
        return {(action, json.dumps(s["Resource"])) for s in _statements(function)
                for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}

    assert actions("PublishRefundEventsFunction") == {
        ("sns:Publish", '{"Ref": "RefundEventsTopic"}'),
        ("sqs:SendMessage", '{"Fn::GetAtt": ["RefundEventsFailedQueue", "Arn"]}'),
        ("dynamodb:PutItem", '{"Fn::GetAtt": ["RefundsTable", "Arn"]}')}  # the event of an earlier change
    assert {a for a, _ in actions("DispatchWebhookEventsFunction")} == {"dynamodb:Query", "sqs:SendMessage"}
    deliveries, dead_letters = ({"Fn::GetAtt": [queue, "Arn"]} for queue in (
        "WebhookDeliveriesQueue", "WebhookDeliveriesDeadLetterQueue"))
    assert {pair for pair in actions("DeliverWebhooksFunction") if pair[0].startswith("sqs:")} == {
        ("sqs:ChangeMessageVisibility", json.dumps(deliveries)),  # schedules a retry
        ("sqs:SendMessage", json.dumps(dead_letters))}  # dead-letters a task after its last retry
    assert {a for a, _ in actions("DeliverWebhooksFunction")} == {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",  # notes each outcome on the endpoint
        "sqs:ChangeMessageVisibility", "sqs:SendMessage"}
    assert RESOURCES["DeliverWebhooksFunction"]["Properties"]["Environment"]["Variables"] == {
        "WEBHOOK_DELIVERIES_QUEUE_URL": {"Ref": "WebhookDeliveriesQueue"},
        "WEBHOOK_DEAD_LETTER_QUEUE_URL": {"Ref": "WebhookDeliveriesDeadLetterQueue"}}
    # No API function touches SNS: the handlers never publish (the outbox does).
    for function in FUNCTIONS:
        if function != "PublishRefundEventsFunction":
            assert not any(a.startswith("sns:") for a, _ in actions(function)), function


def test_only_the_local_runtime_allows_loopback_webhooks():
    assert "WEBHOOK_ALLOW_LOOPBACK" not in (ROOT / "template.yaml").read_text()


def test_the_retry_schedule_ends_before_the_redrive_backstop_and_within_retention():
    from refunds_core.settings import Settings

    delays = Settings(TABLE_NAME="t-1", TOKEN_SIGNING_SECRET_ID="s").retry_delays
    queue = RESOURCES["WebhookDeliveriesQueue"]["Properties"]
    # The function dead-letters a task after its last attempt (attempts = 1 + retries); SQS's
    # redrive, counting receives, must not move it there earlier.
    assert len(delays) + 1 < queue["RedrivePolicy"]["maxReceiveCount"]
    assert sum(delays) < queue["MessageRetentionPeriod"]
    assert max(delays) <= 12 * 3600  # SQS's longest visibility timeout


# ------------------------------------------------------------ idempotency

# They change nothing (the token routes answer with a credential, preview with
# figures that change with the order): the key is checked, nothing is stored.
NOTHING_STORED = {("POST", "/v1/auth/token"), ("POST", "/v1/auth/customer-token"),
                  ("POST", "/v1/order/{orderId}/refund/preview")}
IDEMPOTENCY_TABLE_ARN = {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}


def test_the_idempotency_table_is_powertools_layout_with_ttl():
    table = RESOURCES["IdempotencyTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_post_patch_and_delete_route_and_only_those_may_keep_idempotency_records(route):
    variables = RESOURCES[route.function]["Properties"].get("Environment", {}).get("Variables", {})
    grants = [s for s in _statements(route.function) if s["Resource"] == IDEMPOTENCY_TABLE_ARN]
    if route.method in ("POST", "PATCH", "DELETE") and (route.method, route.path) not in NOTHING_STORED:
        assert variables.get("IDEMPOTENCY_TABLE_NAME") == {"Ref": "IdempotencyTable"}
        (grant,) = grants
        assert sorted(grant["Action"]) == ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
                                           "dynamodb:UpdateItem"]
        assert grant["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["idempotency#*"]}}
    else:
        assert "IDEMPOTENCY_TABLE_NAME" not in variables and not grants


def test_no_other_function_touches_the_idempotency_table():
    api_functions = {route.function for route in ROUTES}
    for function in set(FUNCTIONS) - api_functions:
        assert "IdempotencyTable" not in json.dumps(RESOURCES[function]["Properties"]), function


# ------------------------------------------------------------ operations
# docs/operations.md says what each alarm watches and why each choice.

PARAMETERS = TEMPLATE["Parameters"]
ALARM_TOPIC = {"Ref": "AlarmTopic"}


def _alarms() -> dict[str, dict]:
    return {logical_id: r["Properties"] for logical_id, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _watched() -> dict[tuple, dict]:
    """{(namespace, metric, dimensions as a sorted tuple): alarm properties}."""
    return {(a["Namespace"], a["MetricName"], tuple(sorted((d["Name"], json.dumps(d["Value"]))
                                                           for d in a["Dimensions"]))): a
            for a in _alarms().values()}


def _dimension(name: str, value) -> tuple:
    return ((name, json.dumps(value)),)


def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears():
    assert len(_alarms()) >= 2 * len(FUNCTIONS)
    for logical_id, alarm in _alarms().items():
        assert alarm["AlarmActions"] == [ALARM_TOPIC] and alarm["OKActions"] == [ALARM_TOPIC], logical_id
        # No data is no trouble: an idle function or an empty queue sends none.
        assert alarm["TreatMissingData"] == "notBreaching", logical_id
    assert RESOURCES["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


def test_the_alarm_email_is_a_parameter_and_empty_subscribes_nobody():
    assert PARAMETERS["AlarmEmail"]["Default"] == ""
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": ALARM_TOPIC, "Protocol": "email",
                                          "Endpoint": {"Ref": "AlarmEmail"}}
    resolver = cfn.Resolver(TEMPLATE, {})
    assert resolver.condition("HasAlarmEmail") is False
    assert cfn.Resolver(TEMPLATE, {}, parameters={"AlarmEmail": "ops@example.com"}).condition("HasAlarmEmail")


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_alarms_on_any_error_and_any_throttle(function):
    for metric in ("Errors", "Throttles"):
        alarm = _watched()[("AWS/Lambda", metric, _dimension("FunctionName", {"Ref": function}))]
        assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
            "Sum", 300, 1, "GreaterThanOrEqualToThreshold")


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_logs_to_a_log_group_of_its_own_kept_log_retention_days(function):
    log_group = RESOURCES[function]["Properties"]["LoggingConfig"]["LogGroup"]
    group = RESOURCES[log_group["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # Its own: no two functions' logs in one group.
    assert [f for f in FUNCTIONS if RESOURCES[f]["Properties"]["LoggingConfig"]["LogGroup"] == log_group] == [function]


def test_logs_are_kept_thirty_days_unless_the_operator_says_otherwise():
    assert PARAMETERS["LogRetentionDays"]["Default"] == 30
    assert 30 in PARAMETERS["LogRetentionDays"]["AllowedValues"]


def test_every_queue_of_given_up_work_alarms_as_soon_as_it_holds_a_message():
    """The dead-letter queues (redrive targets, and where the deliverer puts a
    task after its last retry) and the stream's on-failure destination."""
    given_up = {r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                for r in RESOURCES.values() if "RedrivePolicy" in r.get("Properties", {})}
    given_up.add(_event_source("PublishRefundEventsFunction")["Properties"]["DestinationConfig"]["OnFailure"][
        "Destination"]["Fn::GetAtt"][0])
    given_up.add(RESOURCES["DeliverWebhooksFunction"]["Properties"]["Environment"]["Variables"][
        "WEBHOOK_DEAD_LETTER_QUEUE_URL"]["Ref"])
    assert given_up == {"WebhookEventsDeadLetterQueue", "WebhookDeliveriesDeadLetterQueue", "RefundEventsFailedQueue"}
    for queue in given_up:
        alarm = _watched()[("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                            _dimension("QueueName", {"Fn::GetAtt": [queue, "QueueName"]}))]
        assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
            "Maximum", 0, "GreaterThanThreshold"), queue


def test_the_api_alarms_on_its_5xx_rate_for_its_stage():
    api = RESOURCES["RefundsApi"]["Properties"]
    alarm = _watched()[("AWS/ApiGateway", "5XXError", tuple(sorted(
        [("ApiName", json.dumps(api["Name"])), ("Stage", json.dumps(api["StageName"]))])))]
    # 5XXError is 0 or 1 per request: its Average is the share of 5xx answers.
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Average", 0.01, "GreaterThanThreshold")


def test_the_stream_publisher_alarms_when_refund_changes_wait_in_the_stream():
    streamed = [f for f in FUNCTIONS
                for event in (RESOURCES[f]["Properties"].get("Events") or {}).values() if event["Type"] == "DynamoDB"]
    assert streamed == ["PublishRefundEventsFunction"]
    alarm = _watched()[("AWS/Lambda", "IteratorAge", _dimension("FunctionName", {"Ref": streamed[0]}))]
    assert alarm["Statistic"] == "Maximum" and alarm["Threshold"] == 60_000  # ms, far below the stream's 24 h


def test_the_api_writes_a_json_access_log_of_who_called_what_and_how_it_went():
    setting = RESOURCES["RefundsApi"]["Properties"]["AccessLogSetting"]
    assert "${ApiAccessLogGroup}" in setting["DestinationArn"]["Fn::Sub"]
    assert RESOURCES["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    line = json.loads(setting["Format"])  # one JSON object per request
    assert {line[field] for field in ("requestId", "ip", "method", "resourcePath", "status", "responseLatencyMs")} == {
        "$context.requestId", "$context.identity.sourceIp", "$context.httpMethod", "$context.resourcePath",
        "$context.status", "$context.responseLatency"}
    # Nothing a caller sends in headers, body or query string: credentials and personal data stay out.
    assert not re.search(r"\$(input|method\.request|context\.authorizer)", setting["Format"])


def test_outbound_fan_out_is_capped_so_it_cannot_take_the_apis_concurrency():
    for function in ("DispatchWebhookEventsFunction", "DeliverWebhooksFunction"):
        source = _event_source(function)
        parameter = PARAMETERS[source["Properties"]["ScalingConfig"]["MaximumConcurrency"]["Ref"]]
        assert 2 <= parameter["Default"] <= 50, function  # Lambda's least is 2; far below an account's 1000
        # Reserving for them would take from the pool the API shares: docs/operations.md.
        assert RESOURCES[function]["Properties"]["ReservedConcurrentExecutions"] == {"Ref": "AWS::NoValue"}
    # The API functions reserve only when the operator asks (0: none).
    assert TEMPLATE["Globals"]["Function"]["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveApiConcurrency", {"Ref": "ApiReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}
    assert PARAMETERS["ApiReservedConcurrency"]["Default"] == 0
    assert cfn.Resolver(TEMPLATE, {}).condition("ReserveApiConcurrency") is False
    for route in ROUTES:
        assert "ReservedConcurrentExecutions" not in RESOURCES[route.function]["Properties"], route.function


# What holds data says what becomes of it when the stack is deleted or the
# resource replaced (cfn-lint's I3011 in `make template-check` asks that it be
# said); Retain unless losing it loses nothing.
STATEFUL_TYPES = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::SecretsManager::Secret",
                  "AWS::S3::Bucket"}
# Idempotency records only replay answers for 24 h, and the signing key is
# regenerated on a new deploy (callers ask for a new token): a retained copy is
# never read again. The console's bucket holds build output `make
# deploy-console` uploads again: a retained one would serve nothing.
DISPOSABLE = {"IdempotencyTable", "TokenSigningSecret", "ConsoleBucket"}


def test_every_resource_that_holds_data_is_retained_unless_it_is_disposable():
    stateful = {logical_id for logical_id, r in RESOURCES.items() if r["Type"] in STATEFUL_TYPES}
    assert stateful > DISPOSABLE | {"RefundsTable", "WebhookDeliveriesDeadLetterQueue"}
    for logical_id in stateful:
        policy = "Delete" if logical_id in DISPOSABLE else "Retain"
        resource = RESOURCES[logical_id]
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == (policy, policy), logical_id


def test_data_at_rest_is_encrypted():
    """What .checkov.yaml's skips of the customer-managed-key checks rely on."""
    for logical_id, resource in RESOURCES.items():
        if resource["Type"] == "AWS::SQS::Queue":
            assert resource["Properties"]["SqsManagedSseEnabled"] is True, logical_id
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert resource["Properties"]["SSESpecification"] == {"SSEEnabled": True}, logical_id


def test_snapstart_is_one_parameter_for_the_api_functions_and_off_for_the_event_functions():
    """ApiSnapStart=PublishedVersions snapshots every API function's published
    version (the API invokes the alias `live`); no event function's."""
    api = {route.function for route in ROUTES}
    assert TEMPLATE["Parameters"]["ApiSnapStart"]["Default"] == "None"
    assert TEMPLATE["Globals"]["Function"]["AutoPublishAlias"] == "live"
    assert {name: spec.snap_start for name, spec in FUNCTIONS.items()} == {
        name: {"Ref": "ApiSnapStart"} if name in api else "None" for name in FUNCTIONS}


def test_a_deploy_that_changes_only_the_layer_publishes_a_version_of_every_function():
    """The API and the event sources invoke the alias `live`. SAM publishes a
    version when the hash of what it looks at changes: by default a function's
    code, environment and memory, which a change to refunds_core (the layer)
    leaves as they were, so the alias would keep the old layer. All properties
    and the layer's PublishLambdaVersion put the layer into that hash
    (samtranslator's _construct_version)."""
    functions = {name: spec["Properties"] for name, spec in RESOURCES.items()
                 if spec["Type"] == "AWS::Serverless::Function"}
    assert TEMPLATE["Globals"]["Function"]["AutoPublishAlias"] == "live"
    # Each function's own (cfn-lint's schema refuses it in Globals, where SAM takes it).
    assert {name: props.get("AutoPublishAliasAllProperties") for name, props in functions.items()} == dict.fromkeys(
        functions, True)
    layers = {layer["Ref"] for props in functions.values() for layer in props.get("Layers", [])}
    layers |= {layer["Ref"] for layer in TEMPLATE["Globals"]["Function"].get("Layers", [])}
    assert layers == {"SharedLayer"}
    assert RESOURCES["SharedLayer"]["Properties"]["PublishLambdaVersion"] is True


# ---------------------------------------------------------------- console
# docs/deploying.md, "Deploying the console".

def _resolved(value, **parameters):
    """A template value with its intrinsics resolved, as a deployed stack would (placeholder physical ids)."""
    ids = {"RefundsApi": "abc123", "ConsoleBucket": "console-bucket", "ConsoleDistribution": "E1DIST"}
    return cfn.Resolver(TEMPLATE, ids, region="eu-west-1", account_id="111122223333", parameters=parameters,
                        attributes={"ConsoleBucket": {"Arn": "arn:aws:s3:::console-bucket"}}).resolve(value)


def test_the_console_bucket_is_private_encrypted_and_read_by_its_distribution_only():
    bucket = RESOURCES["ConsoleBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True)
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}  # no ACLs
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    allow, deny = _resolved(RESOURCES["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"])["Statement"]
    assert (allow["Effect"], allow["Principal"], allow["Action"]) == (
        "Allow", {"Service": "cloudfront.amazonaws.com"}, "s3:GetObject")
    assert allow["Condition"] == {"StringEquals": {
        "AWS:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1DIST"}}
    assert allow["Resource"] == "arn:aws:s3:::console-bucket/*"
    assert (deny["Effect"], deny["Principal"], deny["Condition"]) == (
        "Deny", "*", {"Bool": {"aws:SecureTransport": "false"}})


def test_the_distribution_reads_the_bucket_through_origin_access_control_over_https():
    oac = RESOURCES["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3", "always", "sigv4")
    config = RESOURCES["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy identity beside it
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeadersPolicy"}
    assert config["DefaultRootObject"] == "console/index.html"


CSP = ("default-src 'self'; connect-src 'self' https://abc123.execute-api.eu-west-1.amazonaws.com; "
       "img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")


def test_every_console_answer_carries_the_security_headers():
    headers = _resolved(RESOURCES["ConsoleHeadersPolicy"]["Properties"])["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    assert headers["ContentSecurityPolicy"] == {"Override": True, "ContentSecurityPolicy": CSP}
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert headers["StrictTransportSecurity"] == {"Override": True, "AccessControlMaxAgeSec": 63072000,
                                                  "IncludeSubdomains": True, "Preload": False}
    assert headers["FrameOptions"] == {"Override": True, "FrameOption": "DENY"}
    assert headers["ReferrerPolicy"] == {"Override": True, "ReferrerPolicy": "no-referrer"}
    assert headers["ContentTypeOptions"] == {"Override": True}


def test_the_csp_lets_the_console_call_exactly_the_api_the_stack_outputs():
    csp = dict(part.split(" ", 1) for part in CSP.split("; "))
    api_url = _resolved(TEMPLATE["Outputs"]["ApiUrl"]["Value"], StageName="prod")
    assert api_url.startswith(csp["connect-src"].split(" ")[1] + "/")


def test_the_console_is_served_under_console_as_make_run_serves_it():
    function = RESOURCES["ConsoleRoutingFunction"]["Properties"]
    assert function["AutoPublish"] is True and function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert '"/console/index.html"' in function["FunctionCode"]
    (association,) = RESOURCES["ConsoleDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"][
        "FunctionAssociations"]
    assert association == {"EventType": "viewer-request", "FunctionARN": {
        "Fn::GetAtt": ["ConsoleRoutingFunction", "FunctionMetadata.FunctionARN"]}}
    outputs = TEMPLATE["Outputs"]
    assert outputs["ConsoleUrl"]["Value"] == {"Fn::Sub": "https://${ConsoleDistribution.DomainName}/console/"}
    assert outputs["ConsoleBucketName"]["Value"] == {"Ref": "ConsoleBucket"}
    assert outputs["ConsoleDistributionId"]["Value"] == {"Ref": "ConsoleDistribution"}


def test_the_apis_allowed_origin_is_a_parameter_any_by_default_for_every_cors_answer():
    parameter = PARAMETERS["ApiAllowedOrigin"]
    assert parameter["Default"] == "*"
    for value, allowed in (("*", True), ("https://d1234abcd.cloudfront.net", True), ("https://c.example:8443", True),
                           ("http://c.example", False), ("https://c.example/console/", False), ("", False)):
        assert bool(re.fullmatch(parameter["AllowedPattern"], value)) is allowed, value
    console = "https://d1234abcd.cloudfront.net"
    api = RESOURCES["RefundsApi"]["Properties"]
    # The preflights, API Gateway's own answers and the functions' answers: the same origin.
    assert _resolved(api["Cors"]["AllowOrigin"], ApiAllowedOrigin=console) == f"'{console}'"
    assert {_resolved(r["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"], ApiAllowedOrigin=console)
            for r in api["GatewayResponses"].values()} == {f"'{console}'"}
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["CORS_ALLOW_ORIGIN"] == {
        "Ref": "ApiAllowedOrigin"}
