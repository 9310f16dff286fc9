"""The entry point of the functions that drain a stream or a queue: Powertools'
batch processing (partial failures), with the same logging, tracing and metrics
as the API's functions."""

from __future__ import annotations

from collections.abc import Callable

from refunds_core.observability import logger, metrics, tracer


def batch_handler_for(handle: Callable[[dict, object], dict]) -> Callable:
    """``handle(event, context)`` returns Lambda's ``{"batchItemFailures": [...]}``."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        return handle(event, context)

    return lambda_handler
