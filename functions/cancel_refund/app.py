"""DELETE /v1/refunds/{refundId}: the merchant or its customer cancels a request."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id
from refunds_core.callers import Role
from refunds_core.logic import lifecycle
from refunds_core.routes import route

app = build_app()


@route(app, "DELETE", "/v1/refunds/{refundId}", summary="Cancel a refund request", tag="refunds",
       roles=(Role.MERCHANT, Role.CUSTOMER), answer=shapes.Refund,
       errors=(errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT))
def cancel_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    return lifecycle.cancel(caller(app), path_id(refundId))


lambda_handler = lambda_handler_for(app)
