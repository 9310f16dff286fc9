"""PATCH /v1/refunds/{refundId}: an action on a refund (APPROVE, SHIP_INIT, ISSUE, DENY, FAIL), or a
change of its metadata (``{"metadata": {...}}``, no action)."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.callers import Role
from refunds_core.logic import lifecycle, metadata
from refunds_core.logic.transitions import UPDATE_BODY
from refunds_core.routes import route

app = build_app()


@route(app, "PATCH", "/v1/refunds/{refundId}", summary="An action on a refund: APPROVE, SHIP_INIT, ISSUE, DENY, FAIL; "
       "or a change of its metadata", tag="refunds", roles=(Role.MERCHANT, Role.CUSTOMER, Role.SUPPORT),
       body=UPDATE_BODY, answer=shapes.Refund,
       errors=(errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT, errors.ORDER_NOT_PAID,
               errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING, errors.REFUND_HISTORY_FULL),
       description="Who may take which action from which status: the lifecycle table (docs/lifecycle.md). A body "
                   "with `metadata` and no `action` changes the refund's metadata instead (the refund's merchant "
                   "only): a key with a string is set, a key with null removed, the others kept; at most 20 keys "
                   "after the change (else 15010 `metadata`). Its status and version stay, and no event is sent.")
def update_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    body = request_body(app)
    if metadata.is_change(body):
        return metadata.change(caller(app), path_id(refundId), body)
    return lifecycle.act(caller(app), path_id(refundId), body)


lambda_handler = lambda_handler_for(app)
