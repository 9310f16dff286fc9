"""GET /v1/webhooks: the merchant's webhook endpoints (never their secrets)."""

from refunds_core import shapes
from refunds_core.api import build_app, caller, lambda_handler_for
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhooks
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/webhooks", summary="The merchant's webhook endpoints, oldest first", tag="webhooks",
       roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS, answer=shapes.Webhook, envelope="list")
def list_webhooks():
    return webhooks.list_endpoints(caller(app))


lambda_handler = lambda_handler_for(app)
