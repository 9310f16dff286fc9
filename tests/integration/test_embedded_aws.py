"""The embedded moto's upkeep (localrun/embedded_aws.py lighten_moto): a
transaction copies only the items it writes, and a failed one still leaves
the table and its stream exactly as they were; moto keeps no copy of every
model instance. On a table of this module's own, on the runtime's moto."""

from __future__ import annotations

import uuid
from functools import partial

import pytest

from localrun.provision import local_client

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def aws(runtime):
    """A client of the runtime's embedded AWS, per service: aws("dynamodb")."""
    return partial(local_client, endpoints={"default": runtime.aws_endpoint})


@pytest.fixture(scope="module")
def table(aws):
    name = f"lighten-{uuid.uuid4().hex[:8]}"
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                              {"AttributeName": "SK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    yield name
    dynamodb.delete_table(TableName=name)


class Stream:
    """The test table's stream, read from an iterator taken once."""

    def __init__(self, aws, table: str):
        self.client = aws("dynamodbstreams")
        arn = aws("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = self.client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.client.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                                       ShardIteratorType="LATEST")["ShardIterator"]

    def new_records(self) -> list[dict]:
        answer = self.client.get_records(ShardIterator=self.iterator)
        self.iterator = answer["NextShardIterator"]
        return answer["Records"]


def key(pk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": "x"}}


def test_a_failed_transaction_leaves_items_and_stream_as_they_were(aws, table):
    dynamodb, run = aws("dynamodb"), uuid.uuid4().hex
    kept, removed, new, missing = (key(f"{name}-{run}") for name in ("kept", "removed", "new", "missing"))
    dynamodb.put_item(TableName=table, Item={**kept, "n": {"N": "1"}, "tags": {"SS": ["a"]}})
    dynamodb.put_item(TableName=table, Item={**removed, "n": {"N": "1"}})
    stream = Stream(aws, table)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": kept, "UpdateExpression": "SET n = :n ADD tags :t",
                        "ExpressionAttributeValues": {":n": {"N": "2"}, ":t": {"SS": ["b"]}}}},
            {"Delete": {"TableName": table, "Key": removed}},
            {"Put": {"TableName": table, "Item": {**new, "n": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": table, "Key": missing, "ConditionExpression": "attribute_exists(PK)"}},
        ])
    assert dynamodb.get_item(TableName=table, Key=kept)["Item"] == {**kept, "n": {"N": "1"}, "tags": {"SS": ["a"]}}
    assert dynamodb.get_item(TableName=table, Key=removed)["Item"] == {**removed, "n": {"N": "1"}}
    assert "Item" not in dynamodb.get_item(TableName=table, Key=new)
    assert stream.new_records() == []
    # The stream goes on where it was, for a reader that was already reading.
    dynamodb.put_item(TableName=table, Item={**new, "n": {"N": "3"}})
    (record,) = stream.new_records()
    assert (record["eventName"], record["dynamodb"]["NewImage"]["n"]) == ("INSERT", {"N": "3"})


def test_a_transaction_that_succeeds_writes_and_streams_everything(aws, table):
    dynamodb, run = aws("dynamodb"), uuid.uuid4().hex
    first, second = key(f"a-{run}"), key(f"b-{run}")
    dynamodb.put_item(TableName=table, Item={**first, "n": {"N": "1"}})
    stream = Stream(aws, table)
    dynamodb.transact_write_items(TransactItems=[
        {"Update": {"TableName": table, "Key": first, "UpdateExpression": "SET n = :n",
                    "ConditionExpression": "n = :one",
                    "ExpressionAttributeValues": {":n": {"N": "2"}, ":one": {"N": "1"}}}},
        {"Put": {"TableName": table, "Item": {**second, "n": {"N": "1"}}, "ConditionExpression":
                 "attribute_not_exists(PK)"}},
    ])
    assert dynamodb.get_item(TableName=table, Key=first)["Item"]["n"] == {"N": "2"}
    assert dynamodb.get_item(TableName=table, Key=second)["Item"]["n"] == {"N": "1"}
    records = stream.new_records()
    assert [(r["eventName"], r["dynamodb"]["Keys"]["PK"]["S"]) for r in records] == [
        ("MODIFY", first["PK"]["S"]), ("INSERT", second["PK"]["S"])]
    assert records[0]["dynamodb"]["OldImage"]["n"] == {"N": "1"}


def test_two_operations_on_one_item_are_refused_and_undone(aws, table):
    dynamodb, item = aws("dynamodb"), key(f"twice-{uuid.uuid4().hex}")
    with pytest.raises(dynamodb.exceptions.ClientError):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {**item, "n": {"N": "1"}}}},
            {"Delete": {"TableName": table, "Key": item}},
        ])
    assert "Item" not in dynamodb.get_item(TableName=table, Key=item)


def test_moto_keeps_no_copy_of_every_item(aws, table):
    from moto.dynamodb.models.dynamo_type import Item

    aws("dynamodb").put_item(TableName=table, Item={**key(f"untracked-{uuid.uuid4().hex}")})
    assert len(Item.instances_tracked) == 0


def test_a_runtime_started_beside_another_gets_resources_of_its_own(runtime):
    """moto's backends are one per process: a test's own runtime (the fault
    and load tests start one) must not share the session runtime's table,
    queues or topic, or each runtime's event sources would drain the other's."""
    from localrun.runtime import LocalRuntime
    from tests.conftest import ROOT

    with LocalRuntime(ROOT, port=None, seed=False, events=False) as beside:
        assert beside.physical_ids["RefundsTable"] != runtime.physical_ids["RefundsTable"]
        assert beside.physical_ids["WebhookDeliveriesQueue"] != runtime.physical_ids["WebhookDeliveriesQueue"]
        assert beside.physical_ids["RefundEventsTopic"] != runtime.physical_ids["RefundEventsTopic"]
        assert beside.attributes["RefundsTable"]["StreamArn"] != runtime.attributes["RefundsTable"]["StreamArn"]


def test_a_table_kept_from_an_older_template_gets_the_indexes_added_since(runtime, aws):
    """Provisioning against a long-running endpoint keeps its tables: an index
    the template declared since (DeliveriesByRefund) is added to the kept table,
    as a deploy adds it, and the table's items stay."""
    from localrun import template as cfn
    from localrun.provision import provision
    from tests.conftest import ROOT

    template = cfn.load_template(ROOT / "template.yaml")
    table = template["Resources"]["RefundsTable"]
    kept_indexes = table["Properties"]["GlobalSecondaryIndexes"][:-1]
    used = {"PK", "SK"} | {key["AttributeName"] for index in kept_indexes for key in index["KeySchema"]}
    attributes = [a for a in table["Properties"]["AttributeDefinitions"] if a["AttributeName"] in used]
    older = {"Resources": {"RefundsTable": {**table, "Properties": {
        **table["Properties"], "GlobalSecondaryIndexes": kept_indexes, "AttributeDefinitions": attributes}}}}
    prefix = f"kept-{uuid.uuid4().hex[:6]}-"
    name = provision(older, runtime.aws_endpoint, name_prefix=prefix).physical_ids["RefundsTable"]
    dynamodb = aws("dynamodb")
    try:
        dynamodb.put_item(TableName=name, Item=key("kept"))
        assert provision({"Resources": {"RefundsTable": table}}, runtime.aws_endpoint,
                         name_prefix=prefix).physical_ids["RefundsTable"] == name
        described = dynamodb.describe_table(TableName=name)["Table"]
        assert [index["IndexName"] for index in described["GlobalSecondaryIndexes"]] == [
            index["IndexName"] for index in table["Properties"]["GlobalSecondaryIndexes"]]
        assert dynamodb.get_item(TableName=name, Key=key("kept"))["Item"] == key("kept")
        dynamodb.query(TableName=name, IndexName="DeliveriesByRefund", KeyConditionExpression="GSI8PK = :pk",
                       ExpressionAttributeValues={":pk": {"S": "REFUND#rf_1"}})
    finally:
        dynamodb.delete_table(TableName=name)
