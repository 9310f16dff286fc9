"""PATCH /api/v2/refunds/{id} (seed 002): the customer sends the return shipment (SHIP_INIT)."""

from refunds_core import errors
from refunds_core.api import build_app, caller, lambda_handler_for, request_body
from refunds_core.callers import Role
from refunds_core.dialects import seed002
from refunds_core.logic import lifecycle
from refunds_core.routes import route

app = build_app()


@route(app, "PATCH", "/api/v2/refunds/{id}", dialect=seed002.DIALECT, summary="Provide the return shipment",
       roles=(Role.CUSTOMER,), body=seed002.Seed002ShipInit, answer=seed002.Seed002Refund,
       errors=(errors.REFUND_NOT_FOUND, errors.TRANSITION_NOT_ALLOWED, errors.CONFLICT, errors.REFUND_HISTORY_FULL),
       description="Only on a refund whose `refundOnly` is false, in REQUESTED (stays REQUESTED) or WAITING "
                   "(becomes PROCESSING); otherwise 409, 15080.")
def ship_refund(id: str):  # the template's path parameter name
    return seed002.present(lifecycle.act(caller(app), seed002.refund_id(id), seed002.shipment(request_body(app))))


lambda_handler = lambda_handler_for(app)
