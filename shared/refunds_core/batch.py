"""The entry point of the functions that drain a stream or a queue: Powertools'
batch processing (partial failures), with the same logging, tracing and metrics
as the API's functions."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from refunds_core.observability import logger, metrics, tracer


class SkippedAfterFailure(Exception):  # noqa: N818 - the record's outcome
    """Not handled: an earlier record of its stream batch failed."""


class InOrderStreamProcessor(BatchProcessor):
    """A stream batch, in order, up to its first failure: the records after it
    are reported failed without being handled. Lambda retries the batch from
    the first failed record, so a later record handled now would be handled
    again then (its event published twice) and would have overtaken the one
    that failed. Powertools' own stream processor handles every record."""

    _SKIPPED = (SkippedAfterFailure, SkippedAfterFailure("an earlier record of the batch failed"), None)

    def __init__(self, event_type: EventType = EventType.DynamoDBStreams):
        super().__init__(event_type)

    def _process_record(self, record: dict):
        if self.fail_messages:
            return self.failure_handler(record=self._to_batch_type(record, event_type=self.event_type,
                                                                   model=self.model), exception=self._SKIPPED)
        return super()._process_record(record)


def batch_handler_for(handle: Callable[[dict, object], dict]) -> Callable:
    """``handle(event, context)`` returns Lambda's ``{"batchItemFailures": [...]}``."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        return handle(event, context)

    return lambda_handler
