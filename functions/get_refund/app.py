"""GET /v1/refunds/{refundId}[?expand=order]: one refund, as its merchant, customer or support sees it."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import lifecycle
from refunds_core.models import RefundQuery
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/refunds/{refundId}", summary="One refund (with `expand=order`, its order beside it)",
       tag="refunds", roles=(Role.MERCHANT, Role.CUSTOMER, Role.SUPPORT), query=RefundQuery,
       answer=shapes.RefundOrExpanded, errors=(errors.REFUND_NOT_FOUND,))
def get_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    return lifecycle.get(caller(app), path_id(refundId), query_parameters(app))


lambda_handler = lambda_handler_for(app)
