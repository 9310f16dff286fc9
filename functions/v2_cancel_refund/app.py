"""DELETE /api/v2/refunds/{id} (seed 002): the merchant or its customer cancels a request."""

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for
from refunds_core.callers import Role
from refunds_core.dialects import seed002
from refunds_core.logic import lifecycle
from refunds_core.routes import route

app = build_app()


@route(app, "DELETE", "/api/v2/refunds/{id}", dialect=seed002.DIALECT, summary="Cancel a refund request",
       roles=(Role.MERCHANT, Role.CUSTOMER), answer=seed002.Seed002Refund,
       errors=(errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT),
       description="In REQUESTED or WAITING (PENDING, which the document also names, is no status of its "
                   "list nor ours); otherwise 409, 15080. Answers the cancelled refund.")
def cancel_refund(id: str):  # the template's path parameter name
    return seed002.present(lifecycle.cancel(caller(app), seed002.refund_id(id)))


lambda_handler = lambda_handler_for(app)
