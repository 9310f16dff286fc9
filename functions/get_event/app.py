"""GET /v1/events/{eventId}: one of the merchant's events of the last 30 days, as its webhooks carried it."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import event_log
from refunds_core.logic.event_log import EventQuery
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/events/{eventId}", summary="One event of the last 30 days", tag="events",
       roles=(Role.MERCHANT, Role.SUPPORT), query=EventQuery, answer=shapes.Event,
       errors=(errors.EVENT_NOT_FOUND,),
       description="The body its webhooks carried (the `webhook-id` of its deliveries is its `id`). Support must "
                   "name the event's `merchantId`; merchants may not.")
def get_event(eventId: str):  # noqa: N803 - the template's path parameter name
    return event_log.get(caller(app), path_id(eventId), query_parameters(app))


lambda_handler = lambda_handler_for(app)
