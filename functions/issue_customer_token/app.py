"""POST /v1/auth/customer-token: a merchant mints a short-lived token for one of its customers."""

from refunds_core import shapes
from refunds_core.api import build_app, caller, lambda_handler_for, request_body
from refunds_core.callers import Role, Scope
from refunds_core.logic import tokens
from refunds_core.models import CustomerTokenRequest
from refunds_core.routes import route

app = build_app()


# The answer is a credential: an Idempotency-Key is checked, never stored. The token
# minted has the minter's scopes, so minting needs no more than reading.
@route(app, "POST", "/v1/auth/customer-token", summary="Mint a 15-minute token for one of the merchant's customers",
       tag="auth", roles=(Role.MERCHANT,), body=CustomerTokenRequest, answer=shapes.TokenResponse, envelope=None,
       idempotency="checked", scope=Scope.READ_ORDER)
def issue_customer_token():
    return tokens.customer_token(caller(app), request_body(app))


lambda_handler = lambda_handler_for(app)
