"""GET /api/v2/refunds (seed 002): the caller's refunds by page and size, newest first."""

from refunds_core.api import build_app, caller, lambda_handler_for, query_parameters
from refunds_core.callers import Role
from refunds_core.dialects import seed002
from refunds_core.logic import listing
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/api/v2/refunds", dialect=seed002.DIALECT, summary="Refunds, page by page",
       roles=(Role.MERCHANT, Role.CUSTOMER), query=seed002.Seed002ListQuery, answer=seed002.Seed002Refund,
       envelope="list",
       description="Newest first. Filters combine; another merchant's `orderId` lists like an order without "
                   "refunds (`{\"data\": []}`). A page costs reads in proportion to (page + 1) x size, at most "
                   "10 000 (deeper: 15010 `page`); `GET /v1/refunds` pages with a cursor at any depth.")
def list_refunds():
    filters, page, size = seed002.list_request(query_parameters(app))
    return seed002.present_all(listing.window(caller(app), filters, page=page, size=size))


lambda_handler = lambda_handler_for(app)
