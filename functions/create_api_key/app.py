"""POST /v1/api-keys: a merchant login creates an API key; the key is shown only here."""

from http import HTTPStatus

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, request_body
from refunds_core.callers import Role
from refunds_core.logic import api_keys
from refunds_core.models import CreateApiKeyRequest
from refunds_core.routes import route

app = build_app()


@route(app, "POST", "/v1/api-keys", summary="Create an API key (shown once, stored hashed)", tag="api-keys",
       roles=(Role.MERCHANT,), api_keys=False, body=CreateApiKeyRequest, answer=shapes.ApiKeyCreated,
       status=HTTPStatus.CREATED, errors=(errors.TOO_MANY_API_KEYS,),
       description="With a merchant login's Bearer token only: an API key is 403 (15120) on the key routes.")
def create_api_key():
    return api_keys.create(caller(app), request_body(app))


lambda_handler = lambda_handler_for(app)
