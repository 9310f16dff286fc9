"""POST /v1/order/{orderId}/refund: open a refund/return request (the primary contract)."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role
from refunds_core.logic import refunds
from refunds_core.models import CreateRefundRequest
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/order/{orderId}/refund", summary="Open a refund or return request", tag="refunds",
       roles=(Role.MERCHANT, Role.CUSTOMER), body=CreateRefundRequest, answer=shapes.Refund,
       errors=(errors.ORDER_NOT_FOUND, errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO, errors.REFUND_ALREADY_OPEN,
               errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING),
       description="Without `items` or `amount`, a full refund of everything that remains. Checks stop at the "
                   "first of 401, 403, 110, 111, 15000, 15060, 15030, 15040, 15050; then the fields (15010). "
                   "With an Idempotency-Key, 15000 comes before 110 and 111 (the key's owner is checked first).")
def create_refund(orderId: str):  # noqa: N803 - the template's path parameter name
    return refunds.create(caller(app), path_id(orderId), request_body(app))


lambda_handler = lambda_handler_for(app)
