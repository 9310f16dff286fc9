"""Table stream -> SNS: one refund event per refund change (the outbox's publisher)."""

from aws_lambda_powertools.utilities.batch import process_partial_response

from refunds_core.batch import InOrderStreamProcessor, batch_handler_for
from refunds_core.logic.publishing import publish

# Stops at the first record that fails: Lambda retries from it, and nothing after it is published twice.
processor = InOrderStreamProcessor()


def handle(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=publish, processor=processor, context=context)


lambda_handler = batch_handler_for(handle)
