"""GET /v1/refunds/{refundId}/deliveries: the webhook delivery attempts the refund's events caused, newest first."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, query_parameters
from refunds_core.callers import Role
from refunds_core.logic import refund_deliveries
from refunds_core.logic.webhooks import DeliveriesQuery
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/refunds/{refundId}/deliveries",
       summary="The webhook delivery attempts the refund's events caused, newest first", tag="refunds",
       roles=(Role.MERCHANT, Role.SUPPORT), query=DeliveriesQuery, answer=shapes.RefundDelivery, envelope="page",
       errors=(errors.REFUND_NOT_FOUND,),
       description="Every attempt on every endpoint of the refund's merchant, with the endpoint's `webhookId`. "
                   "Attempts recorded before this route existed are not listed (they do not name their refund): "
                   "`GET /v1/webhooks/{webhookId}/deliveries` still lists them.")
def list_refund_deliveries(refundId: str):  # noqa: N803 - the template's path parameter name
    return refund_deliveries.page(caller(app), path_id(refundId), query_parameters(app))


lambda_handler = lambda_handler_for(app)
