"""GET /v1/webhooks/{webhookId}/deliveries: the endpoint's delivery attempts, newest first."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import webhooks

app = build_app()


@app.get("/v1/webhooks/<webhookId>/deliveries", middlewares=[allow(Role.MERCHANT)])
def list_webhook_deliveries(webhookId: str):  # noqa: N803 - the template's path parameter name
    return ok(webhooks.deliveries(caller(app), path_id(webhookId), query_parameters(app)))


lambda_handler = lambda_handler_for(app)
