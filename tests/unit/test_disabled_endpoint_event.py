"""The event a failing endpoint's disabling keeps (refunds_core/logic/endpoint_health.py):
what the events API, read with ``read_order``, may show of an endpoint."""

from __future__ import annotations

import json

from refunds_core.logic import endpoint_health

AT = "2026-11-22T10:00:00.000Z"
ENDPOINT = {"id": "whk_1", "merchantId": "demo", "url": "https://erp.example/hooks?token=s3cret",
            "description": "ERP production", "events": ["refund.issued"], "enabled": True,
            "failingSince": "2026-11-17T09:00:00.000Z", "secrets": [{"secret": "whsec_x"}],
            "createdAt": "2026-11-01T00:00:00.000Z", "updatedAt": "2026-11-01T00:00:00.000Z"}


def test_a_disabled_event_names_the_endpoint_and_why_not_its_url_or_description():
    kept = endpoint_health.disabled_event(ENDPOINT, AT)
    event = json.loads(kept["body"])
    assert (kept["eventId"], kept["eventType"], kept["merchantId"], kept["createdAt"]) == (
        event["id"], "webhook_endpoint.disabled", "demo", AT)
    assert event == {"id": event["id"], "type": "webhook_endpoint.disabled", "createdAt": AT, "merchantId": "demo",
                     "livemode": True, "data": {"id": "whk_1", "enabled": False, "disabledReason": "failing",
                              "failingSince": "2026-11-17T09:00:00.000Z"}}
