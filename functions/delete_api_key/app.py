"""DELETE /v1/api-keys/{keyId}: the merchant revokes one of its API keys."""

from http import HTTPStatus

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for, path_id
from refunds_core.callers import Role
from refunds_core.logic import api_keys
from refunds_core.routes import route

app = build_app()


@route(app, "DELETE", "/v1/api-keys/{keyId}", summary="Revoke an API key", tag="api-keys",
       roles=(Role.MERCHANT,), api_keys=False, status=HTTPStatus.NO_CONTENT, errors=(errors.API_KEY_NOT_FOUND,))
def delete_api_key(keyId: str):  # noqa: N803 - the template's path parameter name
    api_keys.revoke(caller(app), path_id(keyId))


lambda_handler = lambda_handler_for(app)
