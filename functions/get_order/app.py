"""GET /v1/orders/{orderId}: an order with its totals (its merchant, or support)."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id
from refunds_core.callers import Role
from refunds_core.logic import orders

app = build_app()


@app.get("/v1/orders/<orderId>", middlewares=[allow(Role.MERCHANT, Role.SUPPORT)])
def get_order(orderId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": orders.get(caller(app), path_id(orderId))})


lambda_handler = lambda_handler_for(app)
