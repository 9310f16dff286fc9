"""GET /v1/webhooks/{webhookId}: one of the merchant's webhook endpoints (never its secret)."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhooks
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/webhooks/{webhookId}", summary="One webhook endpoint", tag="webhooks",
       roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS, answer=shapes.Webhook, errors=(errors.WEBHOOK_NOT_FOUND,))
def get_webhook(webhookId: str):  # noqa: N803 - the template's path parameter name
    return webhooks.get(caller(app), path_id(webhookId))


lambda_handler = lambda_handler_for(app)
