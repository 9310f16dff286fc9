"""Refund events -> webhook delivery tasks, one per enabled endpoint subscribed
to the event. The event itself was kept with the change it tells of
(``logic/refunds.event_of``): a disabled endpoint's merchant replays it, or
reads it from the events API, once the endpoint is enabled again."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from refunds_core import modes
from refunds_core.dal import webhooks
from refunds_core.events import RefundEvent
from refunds_core.modes import Mode
from refunds_core.observability import logger
from refunds_core.webhook_tasks import DeliveryTask, queue


class Dispatcher:
    """One per batch: a merchant's endpoints are read once per batch, however
    many of its events the batch holds."""

    def __init__(self) -> None:
        self._endpoints: dict[tuple[str, Mode], list[dict]] = {}

    def handle(self, record: SQSRecord) -> None:
        """Queue the event's deliveries. Raising leaves the message in the queue: it
        is handled again (a task queued twice is one delivery twice, same webhook-id)."""
        body = record.body
        event = RefundEvent.model_validate_json(body)
        # A test event goes to the merchant's test endpoints only, a live one to its live ones.
        with modes.acting_in(modes.of_livemode(event.livemode)):
            tasks = [DeliveryTask(webhookId=endpoint["id"], merchantId=event.merchantId, eventId=event.id,
                                  eventType=event.type, body=body, livemode=event.livemode)
                     for endpoint in self.endpoints_of(event.merchantId)
                     if event.type in endpoint["events"] and endpoint.get("enabled", True)]
        queue(tasks)
        logger.info("event dispatched", extra={"event_id": event.id, "deliveries": len(tasks)})

    def endpoints_of(self, merchant_id: str) -> list[dict]:
        """The merchant's endpoints in the mode being handled."""
        cached = (merchant_id, modes.current())
        if cached not in self._endpoints:
            self._endpoints[cached] = webhooks.endpoints_of(merchant_id)
        return self._endpoints[cached]
