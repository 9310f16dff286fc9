"""Endpoints that keep failing are disabled: once every delivery to an endpoint
has failed for 5 days, the next failure disables it (``enabled: false``,
``disabledReason: failing``) and keeps a ``webhook_endpoint.disabled`` event
for the events API, in one transaction. Its deliveries stop (the dispatcher
queues none, the deliverer drops those already queued); the events it misses
stay in ``GET /v1/events`` for 30 days and ``replay`` delivers them once the
merchant enables it again, which starts a new count.

Each delivery's outcome is noted after its attempt is recorded:

- a success ends the streak (``stop_failing``: whatever a concurrent failure
  wrote meanwhile, a success after it means the endpoint works);
- a failure starts one where none is on (``start_failing``: the first
  failure's time stays);
- a failure of a streak already on, as old as 5 days, disables the endpoint,
  conditioned on the streak being that old still and the endpoint enabled: a
  success that ended the streak meanwhile wins, and of two failures racing
  only one disables it and keeps the event.

Every decision is a condition DynamoDB checks; what the delivery read of the
endpoint before its POST only spares the disabling transaction where the
streak it saw was younger than 5 days. That costs one conditional write per
delivery (1 WRU, whether its condition holds or not). Noting is best effort: a
failed write is logged, and the next delivery notes again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from refunds_core import clock, events, modes, shapes
from refunds_core.dal import events as kept_events
from refunds_core.dal import webhooks
from refunds_core.dal.transactions import transact_write
from refunds_core.observability import logger

FAILING_FOR = timedelta(days=5)


class StillDelivering(Exception):  # noqa: N818 - an outcome: the endpoint is not to be disabled
    """The endpoint is no longer as the failure read it: a success ended its streak,
    another failure disabled it, the merchant did, or it was deleted."""


def note(endpoint: dict, delivered: bool, now: datetime) -> None:
    """Note a delivery's outcome on its endpoint (as read before the POST)."""
    try:
        if delivered:
            webhooks.stop_failing(endpoint["merchantId"], endpoint["id"])
        elif (not webhooks.start_failing(endpoint["merchantId"], endpoint["id"], clock.iso(now))
              and endpoint.get("failingSince") is not None and endpoint.get("enabled", True)
              and datetime.fromisoformat(endpoint["failingSince"]) <= now - FAILING_FOR):
            disable(endpoint, now)
    except Exception as exc:  # noqa: BLE001 - the delivery is recorded; the next one notes again
        logger.warning("endpoint health not noted", extra={"webhook_id": endpoint["id"], "error": repr(exc)})


def disable(endpoint: dict, now: datetime) -> bool:
    """Disable a failing endpoint and keep its event, in one transaction; False when
    it was not to be (``StillDelivering``)."""
    at = clock.iso(now)
    try:
        transact_write([webhooks.disable_failing(endpoint, clock.iso(now - FAILING_FOR), at,
                                                 lambda _stored: StillDelivering()),
                        kept_events.keep(disabled_event(endpoint, at))], idempotency_token=str(uuid.uuid4()))
    except StillDelivering:
        return False
    logger.warning("webhook endpoint disabled: every delivery failed for 5 days",
                   extra={"webhook_id": endpoint["id"], "failing_since": endpoint["failingSince"]})
    return True


def disabled_event(endpoint: dict, at: str) -> dict:
    """The ``webhook_endpoint.disabled`` event of a failing endpoint disabled at ``at``: its
    id and why, never its URL or description (``shapes.DisabledEndpoint``)."""
    event_id = events.new_event_id(at)
    data = shapes.DisabledEndpoint(id=endpoint["id"], enabled=False, disabledReason="failing",
                                   failingSince=endpoint["failingSince"])
    return {"eventId": event_id, "eventType": events.ENDPOINT_DISABLED, "merchantId": endpoint["merchantId"],
            "createdAt": at, "body": events.body({"id": event_id, "type": events.ENDPOINT_DISABLED, "createdAt": at,
                                                  "merchantId": endpoint["merchantId"],
                                                  "livemode": modes.livemode(), "data": data})}
