"""Table stream -> SNS: one refund event per refund change (the outbox's publisher)."""

from aws_lambda_powertools.utilities.batch import process_partial_response

from refunds_core.batch import InOrderStreamBatchProcessor, batch_handler_for
from refunds_core.logic.publishing import publish_all

# The batch's events in PublishBatch calls of up to 10, in order; it stops at the first record
# not published: Lambda retries from it, and nothing after it is published out of turn.
processor = InOrderStreamBatchProcessor()


def handle(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=publish_all, processor=processor, context=context)


lambda_handler = batch_handler_for(handle)
