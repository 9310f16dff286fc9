"""PATCH /v1/webhooks/{webhookId}: the merchant changes an endpoint's URL, event types, description, or enables it."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhooks
from refunds_core.models import UpdateWebhookRequest
from refunds_core.routes import route

app = build_app()


@route(app, "PATCH", "/v1/webhooks/{webhookId}", summary="Change a webhook endpoint, or enable or disable it",
       tag="webhooks", roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS, body=UpdateWebhookRequest,
       answer=shapes.Webhook,
       errors=(errors.WEBHOOK_NOT_FOUND,),
       description="Only the fields sent change, each checked as at registration; `description: null` removes it. "
                   "`enabled: true` starts deliveries again (the 5 days of failures that disable an endpoint "
                   "count afresh); events it missed are in `GET /v1/events`, and `POST .../replay` with "
                   "`since` delivers them. `enabled: false` stops its deliveries.")
def update_webhook(webhookId: str):  # noqa: N803 - the template's path parameter name
    return webhooks.update(caller(app), path_id(webhookId), request_body(app))


lambda_handler = lambda_handler_for(app)
