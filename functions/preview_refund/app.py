"""POST /v1/order/{orderId}/refund/preview: what a refund request would return, writing nothing."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role, Scope
from refunds_core.logic import refunds
from refunds_core.models import CreateRefundRequest
from refunds_core.routes import route

app = build_app()


# Writes nothing, so nothing of it is stored (an Idempotency-Key is only checked), and reading is enough.
@route(app, "POST", "/v1/order/{orderId}/refund/preview", summary="What a refund request would return; writes nothing",
       tag="refunds", roles=(Role.MERCHANT, Role.CUSTOMER), body=CreateRefundRequest, answer=shapes.RefundPreview,
       idempotency="checked", scope=Scope.READ_ORDER,
       errors=(errors.ORDER_NOT_FOUND, errors.ORDER_NOT_PAID, errors.ORDER_AMOUNT_ZERO,
               errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING))
def preview_refund(orderId: str):  # noqa: N803 - the template's path parameter name
    return refunds.preview(caller(app), path_id(orderId), request_body(app))


lambda_handler = lambda_handler_for(app)
