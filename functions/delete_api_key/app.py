"""DELETE /v1/api-keys/{keyId}: the merchant revokes one of its API keys."""

from refunds_core.api import allow, build_app, caller, lambda_handler_for, no_content, path_id
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import api_keys

app = build_app()


@app.delete("/v1/api-keys/<keyId>", middlewares=[allow(Role.MERCHANT, api_keys=False), idempotent])
def delete_api_key(keyId: str):  # noqa: N803 - the template's path parameter name
    api_keys.revoke(caller(app), path_id(keyId))
    return no_content()


lambda_handler = lambda_handler_for(app)
