"""POST /v1/order/{orderId}/refund: open a refund/return request (the primary contract)."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, path_id, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import refunds

app = build_app()


@app.post("/v1/order/<orderId>/refund", middlewares=[allow(Role.MERCHANT, Role.CUSTOMER), idempotent])
def create_refund(orderId: str):  # noqa: N803 - the template's path parameter name
    return ok({"data": refunds.create(caller(app), path_id(orderId), request_body(app))})


lambda_handler = lambda_handler_for(app)
