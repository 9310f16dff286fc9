"""POST /v1/order/{orderId}/refund/preview: what a refund request would return, writing nothing."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import key_checked
from refunds_core.logic import refunds

app = build_app()


@app.post("/v1/order/<orderId>/refund/preview", middlewares=[allow(Role.MERCHANT, Role.CUSTOMER), key_checked])
def preview_refund(orderId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": refunds.preview(caller(app), path_id(orderId), request_body(app))})


lambda_handler = lambda_handler_for(app)
