"""GET /v1/orders/{orderId}/full-refund/{refundId} (seed 004): a refund of the order, as its POST answered it."""

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for, path_id
from refunds_core.callers import Role
from refunds_core.dialects import seed004
from refunds_core.logic import lifecycle
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/orders/{orderId}/full-refund/{refundId}", dialect=seed004.DIALECT,
       summary="A refund of the order, with the order as it is now",
       roles=(Role.MERCHANT,), answer=seed004.Seed004RefundOrder,
       errors=(errors.INVALID_ID, errors.REFUND_NOT_FOUND),
       description="Any refund of the order (`Refund.Kind` says which kind); a refund of another order, or "
                   "another merchant's, is 404 (15070).")
def get_full_refund(orderId: str, refundId: str):  # noqa: N803 - the template's path parameter names
    order_id, refund_id = seed004.order_id(path_id(orderId)), seed004.refund_id(path_id(refundId))
    return seed004.present(lifecycle.get_with_order(caller(app), order_id, refund_id))


lambda_handler = lambda_handler_for(app)
