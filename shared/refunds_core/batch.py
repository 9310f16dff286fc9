"""The entry point of the functions that drain a stream or a queue, with the
same logging, tracing and metrics as the API's functions.

The queue functions use Powertools' batch processing as documented
(``process_partial_response`` with a ``BatchProcessor``: each record on its
own). A stream batch the publisher sends in ``PublishBatch`` calls is handled
whole and in order by :func:`process_in_order`, which needs no processor: it
types the records with Powertools' public data class and answers Lambda's
``ReportBatchItemFailures`` response itself."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from refunds_core.errors import StoppedAt
from refunds_core.observability import logger, metrics, tracer


def process_in_order(event: dict, handler: Callable[[list[DynamoDBRecord]], None]) -> dict:
    """A DynamoDB stream batch handled whole, in order, up to its first failure:
    ``handler(records)`` gets every record, typed, and raises :class:`StoppedAt`
    at the first one it could not handle (any other exception fails the first).
    The records before it succeed; it and every record after it are reported
    failed, unhandled: Lambda retries the batch from the first failed record, so
    a later record handled now would be handled again then, and would have
    overtaken the one that failed. When the first record fails, the invocation
    fails with its cause: Lambda retries all of it and counts an error."""
    records = [DynamoDBRecord(record) for record in event["Records"]]
    try:
        handler(records)
        return {"batchItemFailures": []}
    except StoppedAt as stop:
        failed, cause = stop.index, stop.cause
    if failed == 0:
        raise cause  # raised here, not in the except clause: its traceback is its own
    logger.warning("stream batch stopped at a record: it and the ones after it are retried",
                   extra={"handled": failed, "failed": len(records) - failed, "reason": repr(cause)})
    return {"batchItemFailures": [{"itemIdentifier": record.dynamodb.sequence_number}
                                  for record in records[failed:]]}


def batch_handler_for(handle: Callable[[dict, object], dict]) -> Callable:
    """``handle(event, context)`` returns Lambda's ``{"batchItemFailures": [...]}``."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        return handle(event, context)

    return lambda_handler
