"""POST /v1/auth/token: exchange a login and password for a Bearer token."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, lambda_handler_for, request_body
from refunds_core.logic import tokens
from refunds_core.models import TokenRequest
from refunds_core.routes import route

app = build_app()


# The answer is a credential: an Idempotency-Key is checked, never stored.
@route(app, "POST", "/v1/auth/token", summary="Exchange a login and password for a Bearer token", tag="auth",
       roles=None, body=TokenRequest, answer=shapes.TokenResponse, envelope=None, idempotency="checked",
       errors=(errors.INVALID_CREDENTIALS,))
def issue_token():
    return tokens.exchange(request_body(app))


lambda_handler = lambda_handler_for(app)
