"""PATCH /v1/refunds/{refundId}: an action on a refund (APPROVE, SHIP_INIT, ISSUE, DENY, FAIL)."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import lifecycle

app = build_app()


@app.patch("/v1/refunds/<refundId>", middlewares=[allow(Role.MERCHANT, Role.CUSTOMER, Role.SUPPORT), idempotent])
def update_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": lifecycle.act(caller(app), path_id(refundId), request_body(app))})


lambda_handler = lambda_handler_for(app)
