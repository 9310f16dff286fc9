"""POST /v1/webhooks/{webhookId}/rotate-secret: a new signing secret; the previous one signs for 24 h more."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id
from refunds_core.auth import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import webhooks

app = build_app()


@app.post("/v1/webhooks/<webhookId>/rotate-secret", middlewares=[allow(Role.MERCHANT), idempotent])
def rotate_webhook_secret(webhookId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": webhooks.rotate_secret(caller(app), path_id(webhookId))})


lambda_handler = lambda_handler_for(app)
