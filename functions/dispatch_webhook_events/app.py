"""Refund events (SQS, fed by the SNS topic) -> one delivery task per subscribed webhook endpoint."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from refunds_core.batch import batch_handler_for
from refunds_core.logic.dispatch import Dispatcher

processor = BatchProcessor(event_type=EventType.SQS)


def handle(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=Dispatcher().handle, processor=processor,
                                    context=context)


lambda_handler = batch_handler_for(handle)
