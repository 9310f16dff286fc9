"""POST /v1/api-keys: a merchant login creates an API key; the key is shown only here."""

from http import HTTPStatus

from refunds_core.api import allow, build_app, caller, lambda_handler_for, ok, request_body
from refunds_core.callers import Role
from refunds_core.idempotency import idempotent
from refunds_core.logic import api_keys

app = build_app()


@app.post("/v1/api-keys", middlewares=[allow(Role.MERCHANT, api_keys=False), idempotent])
def create_api_key():
    return ok({"data": api_keys.create(caller(app), request_body(app))}, HTTPStatus.CREATED)


lambda_handler = lambda_handler_for(app)
