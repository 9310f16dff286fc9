"""POST /v1/webhooks: a merchant registers a webhook endpoint; its secret is shown only here."""

from http import HTTPStatus

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import webhooks

app = build_app()


@app.post("/v1/webhooks", middlewares=[allow(Role.MERCHANT), idempotent])
def create_webhook():
    return ok({"data": webhooks.create(caller(app), request_body(app))}, HTTPStatus.CREATED)


lambda_handler = lambda_handler_for(app)
