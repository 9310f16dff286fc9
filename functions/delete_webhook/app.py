"""DELETE /v1/webhooks/{webhookId}: the merchant removes one of its webhook endpoints."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import webhooks

app = build_app()


@app.delete("/v1/webhooks/<webhookId>", middlewares=[allow(Role.MERCHANT), idempotent])
def delete_webhook(webhookId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": webhooks.delete(caller(app), path_id(webhookId))})


lambda_handler = lambda_handler_for(app)
