"""Webhook delivery tasks: one SQS message per (event, endpoint).

The dispatcher queues one for each endpoint subscribed to an event; a replay
queues them again. The deliverer POSTs ``body`` to the endpoint, so it never
needs to read the event back.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict

from refunds_core import modes
from refunds_core.aws import sqs
from refunds_core.errors import RetryableError
from refunds_core.modes import Mode
from refunds_core.settings import settings

_BATCH = 10  # SendMessageBatch's limits: 10 messages, 256 KiB in all
_MAX_BATCH_BYTES = 200 * 1024


class DeliveryTask(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    webhookId: str
    merchantId: str
    eventId: str
    eventType: str
    body: str          # the event, exactly the bytes that are signed and sent
    replay: bool = False
    # The mode of the event and its endpoint (modes): a task queued before test mode existed is live.
    livemode: bool = True

    @property
    def mode(self) -> Mode:
        return modes.of_livemode(self.livemode)

    @property
    def refund_id(self) -> str | None:
        """The refund the event is about (its body's ``data.id``); None when the
        body does not say (its attempts are then recorded under the endpoint only)."""
        try:
            data = json.loads(self.body).get("data")
        except (ValueError, AttributeError):
            return None
        refund_id = data.get("id") if isinstance(data, dict) else None
        return refund_id if isinstance(refund_id, str) and refund_id else None


def queue(tasks: list[DeliveryTask]) -> None:
    """Send the tasks (SendMessageBatch, 10 at a time); RetryableError when any is refused,
    so the caller's message is retried (a task sent twice is one delivery twice, with the
    same webhook-id: receivers de-duplicate on it)."""
    queue_url = settings().WEBHOOK_DELIVERIES_QUEUE_URL
    if queue_url is None:
        raise RuntimeError("WEBHOOK_DELIVERIES_QUEUE_URL is not set")
    for chunk in _batches([json.dumps(task.model_dump()) for task in tasks]):
        response = sqs().send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)])
        if response.get("Failed"):
            raise RetryableError(f"{len(response['Failed'])} delivery tasks were not queued")


def _batches(bodies: list[str]) -> list[list[str]]:
    """At most 10 messages and _MAX_BATCH_BYTES per SendMessageBatch (a refund with a
    long history makes a task of tens of KB)."""
    batches: list[list[str]] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if not batches or len(batches[-1]) == _BATCH or size + length > _MAX_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(body)
        size += length
    return batches
