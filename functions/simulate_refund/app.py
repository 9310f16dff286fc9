"""POST /v1/test/refunds/{refundId}/simulate: in test mode, support's decision on a test refund, without an operator."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, path_id, request_body
from refunds_core.logic import lifecycle
from refunds_core.logic.transitions import SIMULATE_BODY
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/test/refunds/{refundId}/simulate", summary="Test mode: APPROVE, DENY, ISSUE or FAIL a "
       "test refund as support would", tag="test mode", roles=tuple(lifecycle.SIMULATING), body=SIMULATE_BODY,
       answer=shapes.Refund,
       errors=(errors.ROUTE_NOT_FOUND, errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT,
               errors.ORDER_NOT_PAID, errors.QUANTITY_EXCEEDS_REMAINING, errors.AMOUNT_EXCEEDS_REMAINING,
               errors.REFUND_HISTORY_FULL),
       description="A test-mode token or API key only (docs/test-mode.md): the same transition support's "
                   "`PATCH /v1/refunds/{refundId}` makes, through the same state machine, conditional writes, "
                   "events and webhooks. The body is that PATCH's for APPROVE, DENY (with `responseReason` and "
                   "`declineReason`), ISSUE or FAIL (with `responseReason`). In live mode the route does not "
                   "exist (404, 104).")
def simulate_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    return lifecycle.simulate(caller(app), path_id(refundId), request_body(app))


lambda_handler = lambda_handler_for(app)
