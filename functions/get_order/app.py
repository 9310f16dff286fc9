"""GET /v1/orders/{orderId}: an order with its totals (its merchant, or support)."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id
from refunds_core.callers import Role
from refunds_core.logic import orders
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/orders/{orderId}", summary="An order, with its refunds", tag="orders",
       roles=(Role.MERCHANT, Role.SUPPORT), answer=shapes.OrderWithRefunds, errors=(errors.ORDER_NOT_FOUND,))
def get_order(orderId: str):  # noqa: N803 - the template's path parameter name
    return orders.get(caller(app), path_id(orderId))


lambda_handler = lambda_handler_for(app)
