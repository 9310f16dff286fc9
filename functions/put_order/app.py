"""PUT /v1/orders/{orderId}: the order system creates or replaces an order (in test mode, a merchant its own)."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role
from refunds_core.logic import orders
from refunds_core.models import OrderRequest
from refunds_core.routes import route

app = build_app()


@route(app, "PUT", "/v1/orders/{orderId}", summary="Create or replace an order (the order system)", tag="orders",
       roles=(Role.SERVICE, Role.MERCHANT), body=OrderRequest, answer=shapes.Order,
       errors=(errors.CONFLICT, errors.ORDER_MONEY_FIXED, errors.ORDER_CUSTOMER_FIXED),
       description="The server computes `totals`. An order we refunded is no longer the order system's to "
                   "change (409, 109), nor, while a request is open or once a refund was issued, its currency, "
                   "lines and shipping (409, 15210), nor its customer once it has refunds (409, 15220). A "
                   "merchant writes its own orders in test mode only (docs/test-mode.md): `merchantId` must be "
                   "its own (else 15010); in live mode a merchant gets 403, 15120. Order ids are one namespace "
                   "for every merchant, as the order system's: an id another merchant's order holds is 409, 109.")
def put_order(orderId: str):  # noqa: N803 - the template's path parameter name
    return orders.put(caller(app), path_id(orderId), request_body(app))


lambda_handler = lambda_handler_for(app)
