"""GET /v1/connections: the merchant's store connections (seed 003 names one in its paths)."""

from refunds_core import shapes
from refunds_core.api import build_app, caller, lambda_handler_for, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import connections
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/connections", summary="The merchant's store connections, in id order", tag="connections",
       roles=(Role.MERCHANT,), query=connections.ConnectionsQuery, answer=shapes.Connection, envelope="page",
       description="A connection's `id` is seed 003's `connectionId`. Its administrator creates them (`make "
                   "admin ARGS=\"create-connection <merchantId>\"`). To read the next page, send "
                   "`cursor=<nextCursor>` with the same `limit`.")
def list_connections():
    return connections.page(caller(app), query_parameters(app))


lambda_handler = lambda_handler_for(app)
