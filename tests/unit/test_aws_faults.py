"""The embedded AWS's fault injection (localrun/faults.py): an injected fault
answers matching calls with the AWS error in the service's own wire format,
so boto3 parses (and retries) it as it would a real one, and the call never
reaches moto; unmatched calls, and calls after the fault is spent or
cleared, go through."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localrun.embedded_aws import EmbeddedAws
from refunds_core.aws import CONFIG as FUNCTION_RETRIES  # what the functions use: three attempts in all

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def aws():
    with EmbeddedAws() as embedded:
        yield embedded


@pytest.fixture(autouse=True)
def no_faults_left(aws):
    yield
    aws.faults.clear()


def client(aws, service: str, config: Config = NO_RETRIES):
    return boto3.client(service, endpoint_url=aws.endpoint, region_name="us-east-1", config=config,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def table(aws):
    name = f"faults-{uuid.uuid4().hex[:8]}"
    client(aws, "dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}])
    return name


def item(pk: str) -> dict:
    return {"PK": {"S": pk}}


def error_of(call) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def test_throttling_within_botocores_retries_succeeds_and_beyond_them_fails_without_writing(aws, table):
    dynamodb = client(aws, "dynamodb", FUNCTION_RETRIES)
    first, second = f"a-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"
    fault = aws.faults.inject("dynamodb", "PutItem", "ProvisionedThroughputExceededException", times=2, match=first)
    dynamodb.put_item(TableName=table, Item=item(first))  # attempts 1 and 2 throttled, the third applied
    assert fault.hits == 2 and "Item" in dynamodb.get_item(TableName=table, Key=item(first))

    fault = aws.faults.inject("dynamodb", "PutItem", "ProvisionedThroughputExceededException", times=3,
                              match=second)
    error = error_of(lambda: dynamodb.put_item(TableName=table, Item=item(second)))
    assert error.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 2 and fault.hits == 3
    assert "Item" not in dynamodb.get_item(TableName=table, Key=item(second))  # moto never saw the write
    dynamodb.put_item(TableName=table, Item=item(second))  # the fault is spent
    assert "Item" in dynamodb.get_item(TableName=table, Key=item(second))


def test_internal_server_error_is_a_500_of_that_operation_only(aws, table):
    dynamodb = client(aws, "dynamodb")
    key = f"c-{uuid.uuid4().hex}"
    dynamodb.put_item(TableName=table, Item=item(key))
    aws.faults.inject("dynamodb", "GetItem", "InternalServerError", times=None)
    error = error_of(lambda: dynamodb.get_item(TableName=table, Key=item(key)))
    assert error.response["Error"]["Code"] == "InternalServerError"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert dynamodb.query(TableName=table, KeyConditionExpression="PK = :k",
                          ExpressionAttributeValues={":k": {"S": key}})["Count"] == 1  # another operation
    error_of(lambda: dynamodb.get_item(TableName=table, Key=item(key)))  # times=None: until cleared
    aws.faults.clear()
    assert "Item" in dynamodb.get_item(TableName=table, Key=item(key))


def test_a_fault_matches_only_calls_whose_body_contains_its_match(aws, table):
    dynamodb = client(aws, "dynamodb")
    mine, other = f"m-{uuid.uuid4().hex}", f"o-{uuid.uuid4().hex}"
    fault = aws.faults.inject("dynamodb", None, "InternalServerError", match=mine)
    dynamodb.put_item(TableName=table, Item=item(other))
    assert fault.hits == 0
    error_of(lambda: dynamodb.put_item(TableName=table, Item=item(mine)))
    assert fault.hits == 1 and aws.faults.active == []


def test_transaction_conflict_comes_as_a_cancellation_with_one_reason_per_item(aws, table):
    dynamodb = client(aws, "dynamodb")
    keys = [f"t-{uuid.uuid4().hex}" for _ in range(2)]
    aws.faults.inject("dynamodb", "TransactWriteItems", "TransactionCanceledException",
                      reasons=["None", "TransactionConflict"])
    error = error_of(lambda: dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": item(key)}} for key in keys]))
    assert error.response["Error"]["Code"] == "TransactionCanceledException"
    assert error.response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
    assert all("Item" not in dynamodb.get_item(TableName=table, Key=item(key)) for key in keys)


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("ServiceUnavailable", 503),
                                              ("Throttling", 400)])
def test_sns_publish_errors_come_in_the_query_protocols_xml(aws, code, status):
    sns, sqs = client(aws, "sns"), client(aws, "sqs")
    topic = sns.create_topic(Name=f"faults-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"faults-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    aws.faults.inject("sns", "Publish", code)
    error = error_of(lambda: sns.publish(TopicArn=topic, Message="lost?"))
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []  # nothing was published
    sns.publish(TopicArn=topic, Message="once")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["once"]


def test_sqs_errors_carry_the_query_compatible_code(aws):
    sqs = client(aws, "sqs")
    queue = sqs.create_queue(QueueName=f"faults-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    aws.faults.inject("sqs", "SendMessage", "InternalError")
    error = error_of(lambda: sqs.send_message(QueueUrl=queue, MessageBody="x"))
    assert error.response["Error"]["Code"] == "InternalError"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_times_must_be_positive(aws):
    with pytest.raises(ValueError, match="times"):
        aws.faults.inject("dynamodb", "GetItem", "InternalServerError", times=0)
