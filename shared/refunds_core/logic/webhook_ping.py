"""POST /v1/webhooks/{id}/test: a ``webhook.test`` event sent to the endpoint at
once, signed and POSTed exactly as every delivery is (``delivery.send``: the
URL vetted again, the vetted address connected to, no redirect followed, 15
seconds at most), and the outcome answered: the endpoint's status, how long
it took, or why there was no answer, in words that name nothing of our
network. A disabled endpoint is tested too (to check it before enabling it
again). The test event is not kept, not retried, not listed among the
endpoint's deliveries, and counts for nothing towards disabling it.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from refunds_core import clock, events, modes, shapes
from refunds_core.auth import require_active_account
from refunds_core.callers import Caller
from refunds_core.logic.delivery import send
from refunds_core.logic.webhooks import visible_endpoint
from refunds_core.observability import metrics


def ping(caller: Caller, webhook_id: str) -> shapes.WebhookTestResult:
    # Read strongly: the POST is a side effect no transaction can guard.
    require_active_account(caller, fresh=True)
    endpoint = visible_endpoint(caller, webhook_id)
    now = clock.now_iso()
    event_id = events.new_event_id(now)
    body = events.body({"id": event_id, "type": events.TEST, "createdAt": now, "merchantId": caller.merchant_id,
                        "livemode": modes.livemode(caller.mode), "data": {"webhookId": endpoint["id"]}})
    outcome = send(endpoint, event_id, body, webhook_id=endpoint["id"])
    metrics.add_metric(name="WebhookTestDelivered" if outcome.delivered else "WebhookTestFailed",
                       unit=MetricUnit.Count, value=1)
    return shapes.WebhookTestResult(eventId=event_id, delivered=outcome.delivered, statusCode=outcome.status,
                                    latencyMs=outcome.latency_ms, error=outcome.problem)
