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


class StoppedAt(Exception):  # noqa: N818 - where a batch handler stopped
    """Raised by a whole-batch handler (:class:`InOrderStreamBatchProcessor`): the
    records before ``index`` were handled, the one at ``index`` failed (``cause``)."""

    def __init__(self, index: int, cause: BaseException):
        super().__init__(f"record {index} failed: {cause!r}")
        self.index, self.cause = index, cause


class InOrderStreamBatchProcessor(InOrderStreamProcessor):
    """The same outcome as :class:`InOrderStreamProcessor`, for a handler that needs
    the records together (to send them in batch calls): ``handler(records)`` gets
    the whole batch, typed and in order, and raises :class:`StoppedAt` at the first
    record it could not handle (any other exception: the first record failed).
    The records before it succeed; it and all after it are reported failed."""

    def process(self) -> list[tuple]:
        records = [self._to_batch_type(record, event_type=self.event_type, model=self.model)
                   for record in self.records]
        try:
            self.handler(records)
            handled, error = len(records), None
        except StoppedAt as stop:
            handled, error = stop.index, stop.cause
        except Exception as exc:  # noqa: BLE001 - reported as the first record's failure
            handled, error = 0, exc
        outcome = [self.success_handler(record=record, result=None) for record in self.records[:handled]]
        if error is not None:
            outcome.append(self.failure_handler(record=records[handled],
                                                exception=(type(error), error, error.__traceback__)))
            outcome += [self.failure_handler(record=record, exception=self._SKIPPED)
                        for record in records[handled + 1:]]
        return outcome


def batch_handler_for(handle: Callable[[dict, object], dict]) -> Callable:
    """``handle(event, context)`` returns Lambda's ``{"batchItemFailures": [...]}``."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        return handle(event, context)

    return lambda_handler
