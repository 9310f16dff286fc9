"""Each function's IAM policy allows every DynamoDB call it really makes (and
the webhook functions' SQS calls).

The handlers run in this process with their template environment against the
local runtime's AWS; a botocore hook records each call, transactions and
batches are split into the per-item actions IAM authorises, and each must be
allowed by one of the function's statements, LeadingKeys included. A policy
that is too narrow fails here instead of in a deployed stack."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from fnmatch import fnmatch

import pytest

from localrun import template as cfn
from refunds_core import auth, aws
from refunds_core.callers import Caller, Role
from refunds_core.dal import keys
from refunds_core.settings import settings
from tests.conftest import BATCH_SAMPLE_EVENTS, ROOT, SAMPLE_EVENTS, LambdaContext, configure_as, load_handler

pytestmark = pytest.mark.server

TEMPLATE = cfn.load_template(ROOT / "template.yaml")
_TRANSACTION_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                        "ConditionCheck": "ConditionCheckItem"}


def sample_event_as(runtime, monkeypatch, function: str, event_file: str) -> dict:
    """This process set up as ``function`` is on the runtime (its environment,
    the layer), and the sample event ``event_file`` as `make invoke` sends it."""
    from localrun.__main__ import prepare_event
    from refunds_core.logic import webhook_ping

    configure_as(monkeypatch, runtime, function)
    monkeypatch.syspath_prepend(str(ROOT / "shared"))
    # Its sample pings demo's one endpoint in test after test here, more often than the
    # limit allows (429, nothing written): the limit's own tests are test_webhook_ping.py's.
    monkeypatch.setattr(webhook_ping, "TEST_INTERVAL", timedelta(0))
    monkeypatch.setattr(webhook_ping, "TESTS_PER_MINUTE", 1000)
    return prepare_event(runtime, json.loads((ROOT / "events" / event_file).read_text()))


def _run_recording(function: str, event: dict, service: str, target: str):
    """``_run``, and each (operation, ``target`` parameter) the function's
    ``service`` client (refunds_core.aws, made afresh for it) was asked for."""
    client_of = getattr(aws, service)
    client_of.cache_clear()
    recorded: list[tuple[str, str]] = []
    client_of().meta.events.register(f"provide-client-params.{service}.*",
                                     lambda params, model, **_: recorded.append((model.name, params[target])))
    try:
        response, calls = _run(function, event)
    finally:
        client_of.cache_clear()
    return response, calls, recorded


def _allowed_on(function: str) -> set[tuple[str, str]]:
    """(action, resource as JSON) pairs the function's policy allows."""
    return {(action, json.dumps(s["Resource"])) for s in _statements(function) if s.get("Effect") == "Allow"
            for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}


def _authorised_calls(operation: str, params: dict) -> list[tuple[str, str]]:
    """(IAM action, partition key) pairs one API call needs."""
    if operation == "TransactWriteItems":
        pairs = []
        for item in params["TransactItems"]:
            (kind, body), = item.items()
            key = body.get("Key") or body["Item"]
            pairs.append((f"dynamodb:{_TRANSACTION_ACTIONS[kind]}", key["PK"]["S"]))
        return pairs
    if operation == "BatchGetItem":
        return [("dynamodb:BatchGetItem", key["PK"]["S"])
                for request in params["RequestItems"].values() for key in request["Keys"]]
    if operation == "Query" and params.get("IndexName"):  # IAM authorises it on the index's ARN
        return [("dynamodb:Query", f"index/{params['IndexName']}")]
    if operation == "Query":  # on the table: LeadingKeys is the partition its key condition names
        names = {"PK": "PK", **{alias: name for alias, name in params.get("ExpressionAttributeNames", {}).items()}}
        bound = re.findall(r"(#?\w+)\s*=\s*(:\w+)", params["KeyConditionExpression"])
        partitions = [params["ExpressionAttributeValues"][value]["S"] for name, value in bound
                      if names.get(name) == "PK"]
        return [("dynamodb:Query", partitions[0] if len(partitions) == 1 else "")]
    key = params.get("Key") or params.get("Item")
    return [(f"dynamodb:{operation}", key["PK"]["S"] if key else "")]


def _allows(statement: dict, action: str, partition_key: str) -> bool:
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    if action not in actions or statement.get("Effect") != "Allow":
        return False
    if partition_key.startswith("index/"):
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        return {"Fn::Sub": "${RefundsTable.Arn}/" + partition_key} in resources
    if statement["Resource"] != {"Fn::GetAtt": ["RefundsTable", "Arn"]}:
        return False
    patterns = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    return patterns is None or any(fnmatch(partition_key, pattern) for pattern in patterns)


def _statements(function: str) -> list[dict]:
    policies = TEMPLATE["Resources"][function]["Properties"].get("Policies", [])
    return [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]


def _run(function: str, event: dict) -> tuple[dict, list[tuple[str, dict]]]:
    """The function's handler run here on ``event`` as a cold environment
    would (the template's environment already set): its answer and every
    DynamoDB call it made."""
    settings.cache_clear()
    aws.dynamodb.cache_clear()
    auth._active_until.clear()  # a cold environment: the caller's account is read
    auth._api_key_callers.clear()  # and so is an API key
    auth._verified_tokens.clear()  # and the token is checked
    calls: list[tuple[str, dict]] = []
    aws.dynamodb().meta.events.register(
        "provide-client-params.dynamodb.*", lambda params, model, **_: calls.append((model.name, dict(params))))
    try:
        response = load_handler(function)(event, LambdaContext())
    finally:
        aws.dynamodb.cache_clear()
        settings.cache_clear()
    return response, calls


def _assert_allowed(function: str, calls: list[tuple[str, dict]]) -> None:
    needed = [pair for operation, params in calls for pair in _authorised_calls(operation, params)]
    assert needed, "the function made no DynamoDB call at all"
    statements = _statements(function)
    denied = [pair for pair in needed if not any(_allows(s, *pair) for s in statements)]
    assert not denied, f"{function} would be denied {denied}"


@pytest.mark.parametrize(("event_file", "function"), [(name, fn) for name, (fn, _) in sorted(SAMPLE_EVENTS.items())])
def test_every_dynamodb_call_is_allowed_by_the_function_policy(runtime, api, monkeypatch, event_file, function):
    event = sample_event_as(runtime, monkeypatch, function, event_file)
    if function == "CreateRefundFunction":  # a fresh paid order, so the whole success path runs
        order_id = api.paid_order()
        event["path"], event["pathParameters"] = f"/v1/order/{order_id}/refund", {"orderId": order_id}

    response, calls = _run(function, event)
    assert response["statusCode"] == SAMPLE_EVENTS[event_file][1], response["body"]
    if not _statements(function):  # a function with no policy (OpenApiFunction) must call nothing
        assert calls == []
        return
    _assert_allowed(function, calls)


# Every sample event a merchant token sends, sent with an API key instead:
# each function reads the key's lookup item (APIKEY#...) in its ResolveCaller.
KEY_ROUTES = {"CreateApiKeyFunction", "ListApiKeysFunction", "DeleteApiKeyFunction"}  # refuse keys: 403


@pytest.fixture(scope="module")
def demo_api_key(api):
    created = api.request("POST", "/v1/api-keys", json_body={"name": "iam coverage"}, login="demo")
    assert created.status == 201, created
    yield created.body["data"]["key"]
    api.request("DELETE", f"/v1/api-keys/{created.body['data']['id']}", login="demo")


@pytest.mark.parametrize(("event_file", "function"), [
    (name, fn) for name, (fn, _) in sorted(SAMPLE_EVENTS.items())
    if "{{token:demo}}" in (ROOT / "events" / name).read_text()])
def test_an_api_key_is_resolved_within_every_function_policy(runtime, api, monkeypatch, demo_api_key, event_file,
                                                             function):
    event = sample_event_as(runtime, monkeypatch, function, event_file)
    for section in ("headers", "multiValueHeaders"):
        sent = event[section].pop("Authorization")
        event[section]["X-API-KEY"] = [demo_api_key] if isinstance(sent, list) else demo_api_key
    if function == "CreateRefundFunction":
        order_id = api.paid_order()
        event["path"], event["pathParameters"] = f"/v1/order/{order_id}/refund", {"orderId": order_id}

    response, calls = _run(function, event)
    assert response["statusCode"] == (403 if function in KEY_ROUTES else SAMPLE_EVENTS[event_file][1]), response
    needed = [pair for operation, params in calls for pair in _authorised_calls(operation, params)]
    assert any(action == "dynamodb:BatchGetItem" and key.startswith("APIKEY#") for action, key in needed)
    _assert_allowed(function, calls)


@pytest.mark.parametrize("event_file", sorted(name for name, function in BATCH_SAMPLE_EVENTS.items()
                                               if function != "PublishRefundEventsFunction"))  # no table call
def test_every_dynamodb_and_sqs_call_of_the_webhook_functions_is_allowed(runtime, monkeypatch, event_file):
    function = BATCH_SAMPLE_EVENTS[event_file]
    event = sample_event_as(runtime, monkeypatch, function, event_file)
    response, calls, queue_calls = _run_recording(function, event, "sqs", "QueueUrl")
    assert response == {"batchItemFailures": []}
    _assert_allowed(function, calls)
    # Each queue call is allowed on that queue's ARN (IAM authorises SendMessageBatch as SendMessage).
    queues = {url: logical_id for logical_id, url in runtime.physical_ids.items()}
    needed = {(f"sqs:{operation.removesuffix('Batch')}", queues[url]) for operation, url in queue_calls}
    allowed = _allowed_on(function)
    denied = {(action, queue) for action, queue in needed
              if (action, json.dumps({"Fn::GetAtt": [queue, "Arn"]})) not in allowed}
    assert not denied, f"{function} would be denied {denied}"
    if function == "DeliverWebhooksFunction":  # the sample is a last attempt that fails: it is dead-lettered
        assert needed == {("sqs:SendMessage", "WebhookDeliveriesDeadLetterQueue")}


def test_disabling_an_endpoint_failing_for_5_days_is_allowed_by_the_deliverers_policy(runtime, api, monkeypatch,
                                                                                        dynamodb, table_name):
    """The deliverer's failed attempt on an endpoint whose streak is 6 days old disables it
    and keeps its event in one transaction (not a sample event: it needs that streak)."""
    created = api.request("POST", "/v1/webhooks", login="demo",
                          json_body={"url": "http://127.0.0.1:9/iam-disable", "events": ["refund.created"]})
    webhook_id = created.body["data"]["id"]
    try:
        key = {"PK": {"S": "MERCHANT#demo"}, "SK": {"S": f"WEBHOOK#{webhook_id}"}}
        dynamodb.update_item(TableName=table_name, Key=key, UpdateExpression="SET failingSince = :at",
                             ExpressionAttributeValues={":at": {"S": "2026-01-01T00:00:00.000Z"}})
        function = "DeliverWebhooksFunction"
        event = sample_event_as(runtime, monkeypatch, function, "deliver_webhooks.json")
        for record in event["Records"]:
            task = json.loads(record["body"])
            record["body"] = json.dumps({**task, "webhookId": webhook_id})
        response, calls = _run(function, event)
        assert response == {"batchItemFailures": []}
        written = [pair for operation, params in calls if operation == "TransactWriteItems"
                   for pair in _authorised_calls(operation, params)]
        assert written == [("dynamodb:UpdateItem", "MERCHANT#demo"), ("dynamodb:PutItem", "EVENTS#demo")]
        _assert_allowed(function, calls)
    finally:
        api.request("DELETE", f"/v1/webhooks/{webhook_id}", login="demo")


def test_the_publishers_sns_calls_are_allowed_by_its_policy(runtime, monkeypatch):
    """The publisher calls PublishBatch, which IAM authorises as sns:Publish
    (SNS has no sns:PublishBatch action), on the events topic only."""
    function = "PublishRefundEventsFunction"
    event = sample_event_as(runtime, monkeypatch, function, "publish_refund_events.json")
    settings.cache_clear()
    response, calls, topic_calls = _run_recording(function, event, "sns", "TopicArn")
    assert response == {"batchItemFailures": []} and calls == []  # no table call
    assert [operation for operation, _ in topic_calls] == ["PublishBatch"]
    topics = {arn: logical_id for logical_id, arn in runtime.physical_ids.items()}
    needed = {("sns:Publish", topics[arn]) for _, arn in topic_calls}
    allowed = _allowed_on(function)
    assert {(action, json.dumps({"Ref": topic})) for action, topic in needed} <= allowed


def test_issue_reads_and_writes_the_order_within_update_refunds_policy(runtime, api, monkeypatch):
    """ISSUE (not a sample event: it needs an approved refund) reads the order and
    writes its counters in the transaction."""
    order_id = api.paid_order()
    refund = api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com"}, login="demo")
    refund_id = refund.body["data"]["id"]
    approve = api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": "APPROVE"}, login="support")
    assert approve.status == 200
    function = "UpdateRefundFunction"
    event = sample_event_as(runtime, monkeypatch, function, "update_refund.json")
    event["path"] = event["requestContext"]["path"] = f"/v1/refunds/{refund_id}"
    event["pathParameters"] = {"refundId": refund_id}
    event["body"] = json.dumps({"action": "ISSUE"})
    response, calls = _run(function, event)
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["data"]["status"] == "ISSUED"
    assert ("dynamodb:GetItem", f"ORDER#{order_id}") in [
        pair for operation, params in calls for pair in _authorised_calls(operation, params)]
    _assert_allowed(function, calls)


# GET /v1/refunds reads the index its filters call for (logic/listing.py): one
# request per index, by a caller who gets that index, so each index ARN of
# ListRefundsFunction's policy is checked against a real Query.
LIST_QUERIES = {
    "ByMerchant": ("demo", {}),
    "ByMerchantStatus": ("demo", {"status": "REQUESTED"}),
    "ByOrder": ("demo", {"orderId": "1001"}),
    "ByMerchantValidity": ("demo", {"valid": "false"}),
    "ByCustomer": ("customer", {"status": "REQUESTED"}),
    "ByStatus": ("support", {"status": "REQUESTED"}),
    "ByMerchantBatch": ("demo", {"batchId": "batch-iam"}),
}


def test_the_list_queries_cover_every_index():
    assert set(LIST_QUERIES) == set(keys.INDEXES)


@pytest.mark.parametrize("index", sorted(LIST_QUERIES))
def test_every_index_the_list_function_reads_is_allowed_by_its_policy(runtime, monkeypatch, index):
    function = "ListRefundsFunction"
    login, params = LIST_QUERIES[index]
    event = sample_event_as(runtime, monkeypatch, function, "list_refunds.json")
    if login == "customer":  # demo's customer cust-1, as POST /v1/auth/customer-token would mint
        settings.cache_clear()
        token = auth.issue_token(Caller("customer:cust-1", Role.CUSTOMER, "demo", "cust-1", minted_by="demo"),
                                 ttl=300)[0]
    else:
        token = runtime.token(login)
    event["headers"]["Authorization"] = event["multiValueHeaders"]["Authorization"][0] = f"Bearer {token}"
    event["queryStringParameters"] = params or None
    event["multiValueQueryStringParameters"] = {name: [value] for name, value in params.items()} or None

    response, calls = _run(function, event)
    assert response["statusCode"] == 200, response["body"]
    assert [params["IndexName"] for operation, params in calls if operation == "Query"] == [index]
    _assert_allowed(function, calls)


# GET /v1/events reads the merchant's partition, or the index partition of its
# filter (dal/events.py): each of them checked against a real Query.
EVENT_QUERIES = {"EVENTS#demo": {}, "index/DeliveriesByRefund": {"type": "refund.created"},
                 "index/ByOrder": {"refundId": "{{refund:demo}}"}}


@pytest.mark.parametrize("read", sorted(EVENT_QUERIES))
def test_every_partition_the_events_list_reads_is_allowed_by_its_policy(runtime, monkeypatch, read):
    function = "ListEventsFunction"
    event = sample_event_as(runtime, monkeypatch, function, "list_events.json")
    params = {name: value.replace("{{refund:demo}}", runtime.demo_refund_id())
              for name, value in EVENT_QUERIES[read].items()}
    event["queryStringParameters"] = params or None
    event["multiValueQueryStringParameters"] = {name: [value] for name, value in params.items()} or None

    response, calls = _run(function, event)
    assert response["statusCode"] == 200, response["body"]
    queries = [pair for operation, params in calls if operation == "Query"
               for pair in _authorised_calls(operation, params)]
    assert queries == [("dynamodb:Query", read)]
    _assert_allowed(function, calls)


# Every POST, PATCH and DELETE sample event again, with an Idempotency-Key: the
# function writes its record through Powertools' persistence layer to the
# IdempotencyTable (the token routes and preview write none), within its policy.
MUTATING_EVENTS = [(name, function) for name, (function, _) in sorted(SAMPLE_EVENTS.items())
                   if json.loads((ROOT / "events" / name).read_text())["httpMethod"] in ("POST", "PATCH", "DELETE")]
NOTHING_STORED = {"IssueTokenFunction", "IssueCustomerTokenFunction", "PreviewRefundFunction"}


def _idempotency_allowed(statements: list[dict], action: str, record_id: str) -> bool:
    return any(action in s["Action"] and s["Resource"] == {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}
               and any(fnmatch(record_id, pattern)
                       for pattern in s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
               for s in statements)


@pytest.mark.parametrize(("event_file", "function"), MUTATING_EVENTS)
def test_idempotency_records_are_written_within_the_function_policy(runtime, api, monkeypatch, event_file, function):
    event = sample_event_as(runtime, monkeypatch, function, event_file)
    if function == "CreateRefundFunction":
        order_id = api.paid_order()
        event["path"], event["pathParameters"] = f"/v1/order/{order_id}/refund", {"orderId": order_id}
    key = f"iam-{event_file}-{uuid.uuid4()}"
    event["headers"]["Idempotency-Key"] = key
    event.setdefault("multiValueHeaders", {})["Idempotency-Key"] = [key]

    response, calls = _run(function, event)
    assert response["statusCode"] == SAMPLE_EVENTS[event_file][1], response["body"]
    table = runtime.physical_ids["IdempotencyTable"]
    records = [(operation, params) for operation, params in calls if params.get("TableName") == table]
    _assert_allowed(function, [call for call in calls if call not in records])
    if function in NOTHING_STORED:
        assert records == []
        return
    assert [operation for operation, _ in records] == ["PutItem", "UpdateItem"]  # INPROGRESS, then COMPLETED
    statements = _statements(function)
    needed = [(f"dynamodb:{operation}", (params.get("Key") or params["Item"])["id"]["S"])
              for operation, params in records]
    denied = [pair for pair in needed if not _idempotency_allowed(statements, *pair)]
    assert not denied, f"{function} would be denied {denied}"
