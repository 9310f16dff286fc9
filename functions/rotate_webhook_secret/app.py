"""POST /v1/webhooks/{webhookId}/rotate-secret: a new signing secret; the previous ones keep signing
for ``previousSecretExpiresIn`` seconds (an optional body; 24 h without one, 0: not at all)."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhooks
from refunds_core.models import RotateSecretRequest
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/webhooks/{webhookId}/rotate-secret",
       summary="A new signing secret; the previous ones keep signing for 24 hours, or as long as the body says",
       tag="webhooks", roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS,
       body=RotateSecretRequest, body_required=False,
       answer=shapes.RotatedSecret, errors=(errors.WEBHOOK_NOT_FOUND,),
       description="The body is optional. `previousSecretExpiresIn`: how many seconds the previous secrets keep "
                   "signing beside the new one (0 to 604800, default 86400); 0 stops them now, as after a leak.")
def rotate_webhook_secret(webhookId: str):  # noqa: N803 - the template's path parameter name
    return webhooks.rotate_secret(caller(app), path_id(webhookId), request_body(app, optional=True))


lambda_handler = lambda_handler_for(app)
