"""POST /api/v2/refunds (seed 002): open a refund request for an amount of an order."""

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for, request_body
from refunds_core.callers import Role
from refunds_core.dialects import seed002
from refunds_core.logic import refunds
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/api/v2/refunds", dialect=seed002.DIALECT, summary="Open a refund request",
       roles=(Role.MERCHANT, Role.CUSTOMER), body=seed002.Seed002CreateRefund, answer=seed002.Seed002Refund,
       errors=(errors.ORDER_NOT_FOUND, errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO, errors.REFUND_ALREADY_OPEN,
               errors.AMOUNT_EXCEEDS_REMAINING),
       description="The rules of `POST /v1/order/{orderId}/refund` for an amount. The request's email is the "
                   "merchant's contact email on file. Checks stop at the first of 401, 403, 110, 111, 15010 "
                   "(the body's fields), 15000, 15060, 15030, 15040, 15050; then 15010 (`amount` finer than "
                   "the currency, `email` when none is on file), then 15100.")
def create_refund():
    order_id, request = seed002.creation(request_body(app))
    return seed002.present(refunds.create(caller(app), order_id, request, email_on_file=True))


lambda_handler = lambda_handler_for(app)
