"""DELETE /v1/refunds/{refundId}: the merchant or its customer cancels a request."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import lifecycle

app = build_app()


@app.delete("/v1/refunds/<refundId>", middlewares=[allow(Role.MERCHANT, Role.CUSTOMER), idempotent])
def cancel_refund(refundId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": lifecycle.cancel(caller(app), path_id(refundId))})


lambda_handler = lambda_handler_for(app)
