"""Table stream -> SNS: one refund event per refund change (the outbox's publisher)."""

from refunds_core.batch import batch_handler_for, process_in_order
from refunds_core.logic.publishing import publish_all


def handle(event: dict, context) -> dict:
    # The batch's events in PublishBatch calls of up to 10, in order; it stops at the first record
    # not published: Lambda retries from it, and nothing after it is published out of turn.
    return process_in_order(event, publish_all)


lambda_handler = batch_handler_for(handle)
