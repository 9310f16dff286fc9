"""POST /v1/webhooks/{webhookId}/test: send a signed webhook.test event to the endpoint now; answer what it did."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhook_ping
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/webhooks/{webhookId}/test", summary="Send a signed webhook.test event to the endpoint now",
       tag="webhooks", roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS, answer=shapes.WebhookTestResult,
       errors=(errors.WEBHOOK_NOT_FOUND,),
       description="Signed and sent as every delivery is (Standard Webhooks headers; 15 seconds at most; no "
                   "redirect followed), to a disabled endpoint too; answered with what the endpoint did. The test "
                   "event (`{\"id\", \"type\": \"webhook.test\", \"createdAt\", \"merchantId\", \"data\": "
                   "{\"webhookId\"}}`) is not kept, retried or listed among the deliveries. At most one test per "
                   "endpoint every 5 seconds and 10 per merchant a minute: 429 (15150, `Retry-After`) beyond, "
                   "nothing sent.")
def test_webhook(webhookId: str):  # noqa: N803 - the template's path parameter name
    return webhook_ping.ping(caller(app), path_id(webhookId))


lambda_handler = lambda_handler_for(app)
