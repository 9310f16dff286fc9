"""Webhook delivery tasks: one SQS message per (event, endpoint).

The dispatcher queues one for each endpoint subscribed to an event; a replay
queues them again. The deliverer POSTs ``body`` to the endpoint, so it never
needs to read the event back.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict

from refunds_core.aws import sqs
from refunds_core.errors import RetryableError
from refunds_core.settings import settings

_BATCH = 10  # SendMessageBatch's limit


class DeliveryTask(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    webhookId: str
    merchantId: str
    eventId: str
    eventType: str
    body: str          # the event, exactly the bytes that are signed and sent
    replay: bool = False


def queue(tasks: list[DeliveryTask]) -> None:
    """Send the tasks (SendMessageBatch, 10 at a time); RetryableError when any is refused,
    so the caller's message is retried (a task sent twice is one delivery twice, with the
    same webhook-id: receivers de-duplicate on it)."""
    queue_url = settings().WEBHOOK_DELIVERIES_QUEUE_URL
    if queue_url is None:
        raise RuntimeError("WEBHOOK_DELIVERIES_QUEUE_URL is not set")
    for start in range(0, len(tasks), _BATCH):
        chunk = tasks[start:start + _BATCH]
        response = sqs().send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(task.model_dump())} for i, task in enumerate(chunk)])
        if response.get("Failed"):
            raise RetryableError(f"{len(response['Failed'])} delivery tasks were not queued")
