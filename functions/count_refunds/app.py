"""GET /v1/refunds/counts: how many refunds wait in each open status (at most 1000 counted each)."""

from refunds_core import shapes
from refunds_core.api import build_app, caller, lambda_handler_for, query_parameters
from refunds_core.callers import Role
from refunds_core.listing_query import CountsQuery
from refunds_core.logic import counts
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/refunds/counts", summary="How many refunds wait in each open status", tag="refunds",
       roles=(Role.MERCHANT, Role.SUPPORT), query=CountsQuery, answer=shapes.OpenCounts,
       description="`REQUESTED`, `WAITING` and `PROCESSING`, each counted up to 1000: past that, `count` is 1000 "
                   "and `capped` is true. A merchant counts its own refunds; support counts every merchant's, "
                   "or one merchant's with `merchantId`.")
def count_refunds():
    return counts.open_counts(caller(app), query_parameters(app))


lambda_handler = lambda_handler_for(app)
