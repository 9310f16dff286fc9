"""PUT /v1/orders/{orderId}: the order system creates or replaces an order."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, request_body
from refunds_core.callers import Role
from refunds_core.logic import orders

app = build_app()


@app.put("/v1/orders/<orderId>", middlewares=[allow(Role.SERVICE)])
def put_order(orderId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": orders.put(caller(app), path_id(orderId), request_body(app))})


lambda_handler = lambda_handler_for(app)
