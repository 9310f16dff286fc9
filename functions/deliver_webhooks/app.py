"""Webhook delivery tasks (SQS) -> signed POSTs, up to 10 at once so one slow endpoint delays no other."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType, async_process_partial_response

from refunds_core.batch import batch_handler_for
from refunds_core.logic.delivery import deliver, ready_for_threads

# A failed delivery is an expected outcome (its retry is already scheduled), even
# when every delivery of the batch failed: report them, do not fail the invocation.
processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


# One thread per record of a batch (the event source's BatchSize is 10):
# asyncio's default pool would be min(32, CPUs + 4), 6 on a 2-vCPU function.
deliveries = ThreadPoolExecutor(max_workers=10)
ready_for_threads()


async def deliver_in_thread(record) -> None:
    await asyncio.get_running_loop().run_in_executor(deliveries, deliver, record)


def handle(event: dict, context) -> dict:
    return async_process_partial_response(event=event, record_handler=deliver_in_thread, processor=processor,
                                          context=context)


lambda_handler = batch_handler_for(handle)
