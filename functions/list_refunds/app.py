"""GET /v1/refunds: a page of refunds, newest first, filtered by the query string."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import listing

app = build_app()


@app.get("/v1/refunds", middlewares=[allow(Role.MERCHANT, Role.CUSTOMER, Role.SUPPORT)])
def list_refunds():
    return ok(listing.page(caller(app), query_parameters(app)))


lambda_handler = lambda_handler_for(app)
