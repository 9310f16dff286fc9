"""POST /v1/webhooks: a merchant registers a webhook endpoint; its secret is shown only here."""

from http import HTTPStatus

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, request_body
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhooks
from refunds_core.models import CreateWebhookRequest
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/webhooks", summary="Register a webhook endpoint (its secret is shown only here)",
       tag="webhooks", roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS,
       body=CreateWebhookRequest, answer=shapes.WebhookCreated,
       status=HTTPStatus.CREATED, errors=(errors.TOO_MANY_WEBHOOKS,))
def create_webhook():
    return webhooks.create(caller(app), request_body(app))


lambda_handler = lambda_handler_for(app)
