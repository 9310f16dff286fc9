"""POST /v1/auth/token: exchange a login and password for a Bearer token."""

from refunds_core.api import build_app, lambda_handler_for, ok, request_body
from refunds_core.idempotency import key_checked
from refunds_core.logic import tokens

app = build_app()


@app.post("/v1/auth/token", middlewares=[key_checked])
def issue_token():
    return ok(tokens.exchange(request_body(app)))


lambda_handler = lambda_handler_for(app)
