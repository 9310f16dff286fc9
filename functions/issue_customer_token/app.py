"""POST /v1/auth/customer-token: a merchant mints a short-lived token for one of its customers."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import key_checked
from refunds_core.logic import tokens

app = build_app()


@app.post("/v1/auth/customer-token", middlewares=[allow(Role.MERCHANT), key_checked])
def issue_customer_token():
    return ok(tokens.customer_token(caller(app), request_body(app)))


lambda_handler = lambda_handler_for(app)
