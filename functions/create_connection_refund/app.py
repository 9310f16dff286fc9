"""POST /v1/connections/{connectionId}/orders/{orderId}/refunds (seed 003): refund items of an order, or all of it."""

from http import HTTPStatus

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role
from refunds_core.dialects import seed003
from refunds_core.logic import connections, refunds
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/connections/{connectionId}/orders/{orderId}/refunds", dialect=seed003.DIALECT,
       summary="Refund items of an order, or all that remains of it", roles=(Role.MERCHANT,),
       body=seed003.Seed003CreateRefund, body_required=False, answer=seed003.Seed003Refund,
       status=HTTPStatus.CREATED,
       errors=(errors.CONNECTION_NOT_FOUND, errors.ORDER_NOT_FOUND, errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO,
               errors.REFUND_ALREADY_OPEN, errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING),
       description="The rules of `POST /v1/order/{orderId}/refund` for items, or for everything that remains "
                   "(no `items`, or none): prices and taxes computed from the order, discounts included; one "
                   "open request per order. The request's email is the merchant's contact email on file. "
                   "Checks stop at the first of 401, 403, 110, 111, 15010 (the body's fields), 15000, 15240, "
                   "15060, 15030, 15040, 15050; then 15010 (`items`, `email` when none is on file), 15090, "
                   "15100.")
def create_refund(connectionId: str, orderId: str):  # noqa: N803 - the template's path parameter names
    request, returned_date = seed003.creation(request_body(app, optional=True))
    connection = connections.visible(caller(app), path_id(connectionId))
    refund = refunds.create(caller(app), path_id(orderId), request, email_on_file=True)
    return seed003.present(refund, connection["id"], returned_date)


lambda_handler = lambda_handler_for(app)
