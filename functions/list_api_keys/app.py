"""GET /v1/api-keys: the merchant's API keys (never a key, nor its hash)."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok
from refunds_core.callers import Role
from refunds_core.logic import api_keys

app = build_app()


@app.get("/v1/api-keys", middlewares=[allow(Role.MERCHANT, api_keys=False)])
def list_api_keys():
    return ok(api_keys.list_keys(caller(app)))


lambda_handler = lambda_handler_for(app)
