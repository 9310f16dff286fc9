"""POST /v1/webhooks/{webhookId}/rotate-secret: a new signing secret; the previous ones keep signing
for ``previousSecretExpiresIn`` seconds (an optional body; 24 h without one, 0: not at all)."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import webhooks

app = build_app()


@app.post("/v1/webhooks/<webhookId>/rotate-secret", middlewares=[allow(Role.MERCHANT), idempotent])
def rotate_webhook_secret(webhookId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": webhooks.rotate_secret(caller(app), path_id(webhookId), request_body(app, optional=True))})


lambda_handler = lambda_handler_for(app)
