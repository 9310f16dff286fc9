"""GET /v1/refunds/{refundId}[?expand=order]: one refund, as its merchant, customer or support sees it."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import lifecycle

app = build_app()


@app.get("/v1/refunds/<refundId>", middlewares=[allow(Role.MERCHANT, Role.CUSTOMER, Role.SUPPORT)])
def get_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": lifecycle.get(caller(app), path_id(refundId), query_parameters(app))})


lambda_handler = lambda_handler_for(app)
