"""PATCH /v1/refunds/{refundId}: an action on a refund (APPROVE, SHIP_INIT, ISSUE, DENY, FAIL)."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role
from refunds_core.logic import lifecycle
from refunds_core.logic.transitions import ACTION_BODY
from refunds_core.routes import route

app = build_app()


@route(app, "PATCH", "/v1/refunds/{refundId}", summary="An action on a refund: APPROVE, SHIP_INIT, ISSUE, DENY, FAIL",
       tag="refunds", roles=(Role.MERCHANT, Role.CUSTOMER, Role.SUPPORT), body=ACTION_BODY, answer=shapes.Refund,
       errors=(errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT, errors.ORDER_NOT_PAID,
               errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING, errors.REFUND_HISTORY_FULL),
       description="Who may take which action from which status: the lifecycle table (docs/lifecycle.md).")
def update_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    return lifecycle.act(caller(app), path_id(refundId), request_body(app))


lambda_handler = lambda_handler_for(app)
