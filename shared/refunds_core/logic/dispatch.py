"""Refund events -> webhook delivery tasks, one per endpoint subscribed to the event."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from refunds_core.dal import webhooks
from refunds_core.events import RefundEvent
from refunds_core.observability import logger
from refunds_core.webhook_tasks import DeliveryTask, queue


class Dispatcher:
    """One per batch: a merchant's endpoints are read once per batch, however
    many of its events the batch holds."""

    def __init__(self) -> None:
        self._endpoints: dict[str, list[dict]] = {}

    def handle(self, record: SQSRecord) -> None:
        """Keep the event (for replay), then queue its deliveries. Raising leaves the
        message in the queue: it is handled again (both steps are idempotent)."""
        body = record.body
        event = RefundEvent.model_validate_json(body)
        webhooks.put_event({"merchantId": event.merchantId, "eventId": event.id, "eventType": event.type,
                            "body": body, "createdAt": event.createdAt})
        tasks = [DeliveryTask(webhookId=endpoint["id"], merchantId=event.merchantId, eventId=event.id,
                              eventType=event.type, body=body)
                 for endpoint in self.endpoints_of(event.merchantId) if event.type in endpoint["events"]]
        queue(tasks)
        logger.info("event dispatched", extra={"event_id": event.id, "deliveries": len(tasks)})

    def endpoints_of(self, merchant_id: str) -> list[dict]:
        if merchant_id not in self._endpoints:
            self._endpoints[merchant_id] = webhooks.endpoints_of(merchant_id)
        return self._endpoints[merchant_id]
