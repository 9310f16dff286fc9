"""The template's data resources, created through boto3 against an AWS endpoint
(moto's server, DynamoDB Local...), or read from a deployed stack.

Either way the result is the physical-id map the template resolver uses:
{logical id: what `Ref` returns} - a table's name, a topic's ARN, a queue's
URL, a secret's ARN, a subscription's ARN - plus, for what provisioning
creates, the attributes a physical id does not tell (a table's StreamArn).
Creation is idempotent: what exists is kept, so a restart against a
long-running endpoint keeps its data.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3
from botocore.exceptions import ClientError

from localrun.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, Resolver, UnresolvableError, references

LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


Endpoints = dict[str, str]  # {"default": url, "<service>": url for a service elsewhere}
# What a creator returns: the physical id, or it and the attributes GetAtt may
# ask for; None when the resource has no local copy.
Created = str | tuple[str, dict[str, str]] | None


@dataclass
class Provisioned:
    physical_ids: dict[str, str] = field(default_factory=dict)      # {logical id: what Ref returns}
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # {logical id: {attribute: value}}


def local_client(service: str, endpoints: Endpoints):
    endpoint = endpoints.get(service, endpoints["default"])
    return boto3.client(service, endpoint_url=endpoint, region_name=LOCAL_REGION, **LOCAL_CREDENTIALS)


# ------------------------------------------------------------ per type

def _create_table(logical_id: str, props: dict, endpoints: Endpoints) -> Created:
    client = local_client("dynamodb", endpoints)
    name = props.get("TableName", logical_id)
    request = {key: props[key] for key in ("AttributeDefinitions", "KeySchema", "LocalSecondaryIndexes")
               if key in props}
    billing = props.get("BillingMode", "PROVISIONED")
    request["BillingMode"] = billing
    indexes = [dict(index) for index in props.get("GlobalSecondaryIndexes", [])]
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = props.get(
            "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
        for index in indexes:
            index.setdefault("ProvisionedThroughput", request["ProvisionedThroughput"])
    else:  # indexes of an on-demand table carry no throughput settings
        for index in indexes:
            index.pop("ProvisionedThroughput", None)
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    stream = {"StreamEnabled": True, **props["StreamSpecification"]} if "StreamSpecification" in props else None
    if stream:
        request["StreamSpecification"] = stream
    try:
        client.create_table(TableName=name, **request)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    table = client.describe_table(TableName=name)["Table"]
    _add_missing_indexes(client, name, table, request.get("AttributeDefinitions", []), indexes)
    if stream and not table.get("StreamSpecification", {}).get("StreamEnabled"):
        # A table kept from before the template had a stream: the stream is added.
        table = client.update_table(TableName=name, StreamSpecification=stream)["TableDescription"]
    if stream and table.get("LatestStreamArn"):
        return name, {"StreamArn": table["LatestStreamArn"]}
    return name


def _add_missing_indexes(client, name: str, table: dict, attributes: list[dict], indexes: list[dict]) -> None:
    """A table kept from before the template declared an index gets the index
    (one UpdateTable each, as DynamoDB allows), as a deploy would add it. Items
    written before are not indexed here (DynamoDB would backfill them)."""
    existing = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    for index in indexes:
        if index["IndexName"] in existing:
            continue
        used = {key["AttributeName"] for key in index["KeySchema"]}
        client.update_table(TableName=name, AttributeDefinitions=[a for a in attributes if a["AttributeName"] in used],
                            GlobalSecondaryIndexUpdates=[{"Create": index}])


def _create_topic(logical_id: str, props: dict, endpoints: Endpoints) -> str:
    attributes = {key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
                  for key in ("DisplayName", "FifoTopic", "ContentBasedDeduplication") if key in props}
    # CreateTopic answers with the existing topic's ARN when it already exists.
    return local_client("sns", endpoints).create_topic(
        Name=props.get("TopicName", logical_id), Attributes=attributes)["TopicArn"]


_QUEUE_ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                     "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "FifoQueue",
                     "ContentBasedDeduplication", "RedrivePolicy", "RedriveAllowPolicy")


def _create_queue(logical_id: str, props: dict, endpoints: Endpoints) -> str:
    attributes = {}
    for key in _QUEUE_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = (json.dumps(value) if isinstance(value, dict)
                               else str(value).lower() if isinstance(value, bool) else str(value))
    name = props.get("QueueName", logical_id)
    client = local_client("sqs", endpoints)
    try:
        return client.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as error:
        if "NonExistentQueue" not in error.response["Error"]["Code"]:
            raise
    return client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def _subscribe(_logical_id: str, props: dict, endpoints: Endpoints) -> str | None:
    """An AWS::SNS::Subscription of a queue to a topic (moto delivers to the
    queue on Publish). Subscribe is idempotent: the same topic, protocol and
    endpoint answer with the existing subscription's ARN. Other protocols
    (lambda, http...) are not run locally."""
    if props.get("Protocol") != "sqs" or not {"TopicArn", "Endpoint"} <= props.keys():
        return None
    attributes = {}
    for key in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy"):
        value = props.get(key)
        if value is None:
            continue
        if isinstance(value, dict | list):
            attributes[key] = json.dumps(value)
        elif isinstance(value, bool) or str(value).lower() in ("true", "false"):
            # moto reads any RawMessageDelivery string as true: "false" is left out (the default).
            if str(value).lower() == "true":
                attributes[key] = "true"
        else:
            attributes[key] = str(value)
    client = local_client("sns", endpoints)
    return client.subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"],
                            Attributes=attributes, ReturnSubscriptionArn=True)["SubscriptionArn"]


def generate_secret_string(spec: dict) -> str:
    """A random secret as GenerateSecretString describes it (the defaults are
    Secrets Manager's: 32 characters of letters, digits and punctuation)."""
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += string.punctuation
    if spec.get("IncludeSpace"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "GenerateStringKey" in spec:  # a JSON secret: the template plus the generated key
        document = json.loads(spec.get("SecretStringTemplate", "{}"))
        return json.dumps({**document, spec["GenerateStringKey"]: value})
    return value


def _create_secret(logical_id: str, props: dict, endpoints: Endpoints) -> str:
    client = local_client("secretsmanager", endpoints)
    name = props.get("Name", logical_id)
    try:
        return client.describe_secret(SecretId=name)["ARN"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    value = props["SecretString"] if "SecretString" in props else generate_secret_string(
        props.get("GenerateSecretString", {}))
    return client.create_secret(Name=name, SecretString=value)["ARN"]


# AWS::SQS::QueuePolicy and the functions' IAM are not created: moto does not
# enforce them (tests/integration/test_iam_coverage.py checks the policies).
CREATORS: dict[str, Callable[[str, dict, Endpoints], Created]] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::SNS::Topic": _create_topic,
    "AWS::SQS::Queue": _create_queue,
    "AWS::SNS::Subscription": _subscribe,
    "AWS::SecretsManager::Secret": _create_secret,
}


# ---------------------------------------------------------- the template

def creation_order(template: dict) -> list[str]:
    """The resources we create, each after the ones its properties refer to
    (a queue after its dead-letter queue)."""
    resources = {logical_id: resource for logical_id, resource in template.get("Resources", {}).items()
                 if resource.get("Type") in CREATORS}
    ordered: list[str] = []

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if logical_id in ordered:
            return
        if logical_id in path:
            raise ValueError(f"circular reference between {' -> '.join((*path, logical_id))}")
        for dependency in sorted(references(resources[logical_id].get("Properties", {})) & resources.keys()):
            visit(dependency, (*path, logical_id))
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id, ())
    return ordered


def provision(template: dict, endpoints: Endpoints | str, name_prefix: str = "") -> Provisioned:
    """Create the template's tables, topics, queues, subscriptions and secrets
    on the endpoint (kept when they exist); other resource types are not the
    runtime's business. Each is named after its logical id, after
    ``name_prefix`` (a second runtime on the same moto backends)."""
    if isinstance(endpoints, str):
        endpoints = {"default": endpoints}
    result = Provisioned()
    resolver = Resolver(template, result.physical_ids, attributes=result.attributes)
    for logical_id in creation_order(template):
        resource = template["Resources"][logical_id]
        properties = _resolvable_properties(resolver, resource.get("Properties", {}))
        created = CREATORS[resource["Type"]](name_prefix + logical_id, properties, endpoints)
        if created is None:
            continue
        physical_id, attributes = created if isinstance(created, tuple) else (created, {})
        result.physical_ids[logical_id] = physical_id
        if attributes:
            result.attributes[logical_id] = attributes
    return result


def _resolvable_properties(resolver: Resolver, properties: dict) -> dict:
    """The properties whose intrinsics resolve locally. A property naming
    something the runtime does not create (a KMS key, the API...) is left out:
    the creators only read what matters to a local copy."""
    resolved = {}
    for key, value in properties.items():
        try:
            resolved[key] = resolver.resolve(value)
        except UnresolvableError:
            continue
    return resolved


# ------------------------------------------------------- a deployed stack

def stack_physical_ids(stack_name: str, session: boto3.Session | None = None
                       ) -> tuple[dict[str, str], str, str]:
    """(physical ids, region, account id) of a deployed stack's resources."""
    session = session or boto3.Session()
    cloudformation = session.client("cloudformation")
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    stack_arn = resources[0]["StackId"] if resources else ""
    # arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>
    _, _, _, region, account_id, _ = (stack_arn.split(":", 5) + [""] * 6)[:6]
    ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
           if r.get("LogicalResourceId") and r.get("PhysicalResourceId")}
    return ids, region or session.region_name, account_id or LOCAL_ACCOUNT_ID
