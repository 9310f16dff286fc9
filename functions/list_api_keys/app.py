"""GET /v1/api-keys: the merchant's API keys (never a key, nor its hash)."""

from refunds_core import shapes
from refunds_core.api import build_app, caller, lambda_handler_for
from refunds_core.callers import Role
from refunds_core.logic import api_keys
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/api-keys", summary="The merchant's API keys (never the keys themselves)",
       tag="api-keys", roles=(Role.MERCHANT,), api_keys=False, answer=shapes.ApiKey, envelope="list")
def list_api_keys():
    return api_keys.list_keys(caller(app))


lambda_handler = lambda_handler_for(app)
