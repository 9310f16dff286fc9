"""GET /v1/refunds: a page of refunds, newest (or oldest) first, filtered by the query string."""

from refunds_core import shapes
from refunds_core.api import build_app, caller, lambda_handler_for, query_parameters
from refunds_core.callers import Role
from refunds_core.listing_query import ListQuery
from refunds_core.logic import listing
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/refunds", summary="A page of refunds, newest first (or oldest first)", tag="refunds",
       roles=(Role.MERCHANT, Role.CUSTOMER, Role.SUPPORT), query=ListQuery, answer=shapes.Refund, envelope="page",
       description="Filters combine. To read the next page, send the same parameters with "
                   "`cursor=<nextCursor>`; a page may hold fewer than `limit` refunds and still have a "
                   "`nextCursor`. Support must name a `merchantId`, an `orderId` or a `status`.")
def list_refunds():
    return listing.page(caller(app), query_parameters(app))


lambda_handler = lambda_handler_for(app)
