"""POST /v1/orders/{orderId}/full-refund (seed 004): refund everything that remains of an order."""

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role
from refunds_core.dialects import seed004
from refunds_core.logic import refunds
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/orders/{orderId}/full-refund", dialect=seed004.DIALECT,
       summary="Refund everything that remains of an order (items, shipping, tax)",
       roles=(Role.MERCHANT,), body=seed004.Seed004FullRefund, body_required=False,
       answer=seed004.Seed004RefundOrder,
       errors=(errors.INVALID_ID, errors.ORDER_NOT_FOUND, errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO,
               errors.REFUND_ALREADY_OPEN, errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING),
       description="A full refund request with every rule of `POST /v1/order/{orderId}/refund`; the body is "
                   "optional (none, `{}` or `{\"note\": \"...\"}`) and the request's email is the merchant's "
                   "contact email on file. 406 when the order cannot be refunded: not paid, nothing left, or a "
                   "request already open. Checks stop at the first of 401, 403, 422, 110, 111, 15010 (the "
                   "body), 15000, 404, 406; then 15010 `email` when none is on file.")
def create_full_refund(orderId: str):  # noqa: N803 - the template's path parameter name
    order_id = seed004.order_id(path_id(orderId))
    request = seed004.full_refund(request_body(app, optional=True))
    return seed004.present(refunds.create_with_order(caller(app), order_id, request, email_on_file=True))


lambda_handler = lambda_handler_for(app)
