"""GET /api/v2/refunds/{id} (seed 002): one refund, by its integer id."""

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for, query_parameters
from refunds_core.callers import Role
from refunds_core.dialects import seed002
from refunds_core.logic import lifecycle
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/api/v2/refunds/{id}", dialect=seed002.DIALECT, summary="One refund",
       roles=(Role.MERCHANT, Role.CUSTOMER), answer=seed002.Seed002Refund, errors=(errors.REFUND_NOT_FOUND,),
       description="Any query parameter is 15010.")
def get_refund(id: str):  # the template's path parameter name
    seed002.no_query(query_parameters(app))
    return seed002.present(lifecycle.get(caller(app), seed002.refund_id(id), {}))


lambda_handler = lambda_handler_for(app)
