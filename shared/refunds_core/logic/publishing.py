"""The outbox's publisher: table stream records -> the refund events topic."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from refunds_core import events
from refunds_core.aws import sns
from refunds_core.observability import logger, metrics
from refunds_core.settings import settings


def publish(record: DynamoDBRecord) -> None:
    """Publish the record's event, if it is one. Raising marks the record failed:
    Lambda retries it (and everything after it in the shard) until it is published."""
    stream = record.dynamodb
    event = events.from_change(stream.old_image if stream else None, stream.new_image if stream else None)
    if event is None:
        return
    sns().publish(
        TopicArn=settings().EVENTS_TOPIC_ARN, Message=event.model_dump_json(),
        # Subscribers filter on these without reading the body.
        MessageAttributes={"eventType": {"DataType": "String", "StringValue": event.type},
                           "merchantId": {"DataType": "String", "StringValue": event.merchantId}})
    logger.info("refund event published", extra={"event_id": event.id, "event_type": event.type})
    metrics.add_metric(name="RefundEventPublished", unit=MetricUnit.Count, value=1)
