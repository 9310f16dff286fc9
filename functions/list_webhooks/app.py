"""GET /v1/webhooks: the merchant's webhook endpoints (never their secrets)."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok
from refunds_core.callers import Role
from refunds_core.logic import webhooks

app = build_app()


@app.get("/v1/webhooks", middlewares=[allow(Role.MERCHANT)])
def list_webhooks():
    return ok(webhooks.list_endpoints(caller(app)))


lambda_handler = lambda_handler_for(app)
