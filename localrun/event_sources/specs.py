"""The template's DynamoDB stream and SQS events: which there are, and their
properties resolved with Lambda's defaults; and which queues each topic feeds."""

from __future__ import annotations

from dataclasses import dataclass

from localrun.event_sources.filter_patterns import parse_pattern
from localrun.template import Resolver, UnresolvableError

DEFAULT_QUEUE_CONCURRENCY = 5  # Lambda's first pollers of a standard queue


@dataclass(frozen=True)
class EventSourceSpec:
    function: str      # logical id of the function
    name: str          # the event's name under the function's Events
    type: str          # "DynamoDB" or "SQS"
    properties: dict   # as the template writes them (intrinsics unresolved)


POLLED_EVENT_TYPES = ("DynamoDB", "SQS")


def event_source_specs(template: dict) -> list[EventSourceSpec]:
    """Every DynamoDB and SQS event of the template's functions (Enabled:
    false left out), in template order."""
    specs = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for name, event in (resource.get("Properties", {}).get("Events") or {}).items():
            properties = event.get("Properties", {}) or {}
            if event.get("Type") in POLLED_EVENT_TYPES and properties.get("Enabled", True) not in (False, "false"):
                specs.append(EventSourceSpec(logical_id, name, event["Type"], properties))
    return specs


@dataclass(frozen=True)
class StreamSettings:
    function: str
    name: str
    stream_arn: str
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = 100
    filters: tuple[dict, ...] = ()
    report_batch_item_failures: bool = False
    maximum_retry_attempts: int = -1
    bisect_on_error: bool = False
    on_failure_arn: str | None = None


@dataclass(frozen=True)
class QueueSettings:
    function: str
    name: str
    queue_arn: str
    batch_size: int = 10
    filters: tuple[dict, ...] = ()
    report_batch_item_failures: bool = False
    maximum_concurrency: int = DEFAULT_QUEUE_CONCURRENCY


def settings_of(spec: EventSourceSpec, resolver: Resolver) -> StreamSettings | QueueSettings:
    """The event's properties resolved, with Lambda's defaults."""
    props = resolver.resolve(spec.properties)
    filters = tuple(parse_pattern(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", []))
    report = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
    if spec.type == "DynamoDB":
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        return StreamSettings(
            spec.function, spec.name, stream_arn=props["Stream"],
            starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
            batch_size=int(props.get("BatchSize", 100)), filters=filters, report_batch_item_failures=report,
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
            bisect_on_error=props.get("BisectBatchOnFunctionError") in (True, "true"),
            on_failure_arn=destination)
    return QueueSettings(
        spec.function, spec.name, queue_arn=props["Queue"], batch_size=int(props.get("BatchSize", 10)),
        filters=filters, report_batch_item_failures=report,
        maximum_concurrency=int((props.get("ScalingConfig") or {}).get("MaximumConcurrency",
                                                                        DEFAULT_QUEUE_CONCURRENCY)))


def queue_subscriptions(template: dict, resolver: Resolver) -> dict[str, set[str]]:
    """{topic ARN: ARNs of the queues subscribed to it} from the template's AWS::SNS::Subscription."""
    subscriptions: dict[str, set[str]] = {}
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::SNS::Subscription" and props.get("Protocol") == "sqs":
            try:
                topic, queue = resolver.resolve(props.get("TopicArn")), resolver.resolve(props.get("Endpoint"))
            except UnresolvableError:
                continue
            subscriptions.setdefault(topic, set()).add(queue)
    return subscriptions
