"""GET /v1/webhooks/{webhookId}/deliveries: the endpoint's delivery attempts, newest first."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, query_parameters
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhooks
from refunds_core.logic.webhooks import DeliveriesQuery
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/webhooks/{webhookId}/deliveries", summary="The endpoint's delivery attempts, newest first",
       tag="webhooks", roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS,
       query=DeliveriesQuery, answer=shapes.Delivery, envelope="page",
       errors=(errors.WEBHOOK_NOT_FOUND,))
def list_webhook_deliveries(webhookId: str):  # noqa: N803 - the template's path parameter name
    return webhooks.deliveries(caller(app), path_id(webhookId), query_parameters(app))


lambda_handler = lambda_handler_for(app)
