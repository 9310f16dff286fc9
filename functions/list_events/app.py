"""GET /v1/events: the merchant's events of the last 30 days, newest first, as their webhooks carried them."""

from refunds_core import shapes
from refunds_core.api import build_app, caller, lambda_handler_for, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import event_log
from refunds_core.logic.event_log import EventsQuery
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/events", summary="A page of events of the last 30 days, newest first", tag="events",
       roles=(Role.MERCHANT, Role.SUPPORT), query=EventsQuery, answer=shapes.Event, envelope="page",
       description="Each event as its webhooks carried it (a refund event's `data` is the refund after the change). "
                   "Filters combine; `createdFrom` is inclusive, `createdTo` exclusive (ISO 8601 with an offset). "
                   "To read the next page, send the same parameters with `cursor=<nextCursor>`. Support must name "
                   "a `merchantId`; merchants may not.")
def list_events():
    return event_log.page(caller(app), query_parameters(app))


lambda_handler = lambda_handler_for(app)
