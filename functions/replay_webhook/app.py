"""POST /v1/webhooks/{webhookId}/replay: deliver one past event, or those since a time, again."""

from http import HTTPStatus

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role, Scope
from refunds_core.logic import webhooks
from refunds_core.models import ReplayRequest
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/webhooks/{webhookId}/replay", summary="Deliver one past event, or those since a time, again",
       tag="webhooks", roles=(Role.MERCHANT,), scope=Scope.MANAGE_WEBHOOKS,
       body=ReplayRequest, answer=shapes.ReplayQueued,
       status=HTTPStatus.ACCEPTED, errors=(errors.WEBHOOK_NOT_FOUND, errors.WEBHOOK_DISABLED, errors.EVENT_NOT_FOUND),
       description="Exactly one of `eventId` and `since` (both or neither: 15010 for both).")
def replay_webhook(webhookId: str):  # noqa: N803 - the template's path parameter name
    return webhooks.replay(caller(app), path_id(webhookId), request_body(app))


lambda_handler = lambda_handler_for(app)
