"""POST /v1/webhooks/{webhookId}/replay: deliver one past event, or those since a time, again."""

from http import HTTPStatus

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import webhooks

app = build_app()


@app.post("/v1/webhooks/<webhookId>/replay", middlewares=[allow(Role.MERCHANT), idempotent])
def replay_webhook(webhookId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": webhooks.replay(caller(app), path_id(webhookId), request_body(app))}, HTTPStatus.ACCEPTED)


lambda_handler = lambda_handler_for(app)
