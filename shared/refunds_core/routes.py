"""Each route declared once: ``@route(app, METHOD, PATH, ...)`` on its handler.

The declaration is the route's contract: who may call it (``roles``), what it
reads (``body``, ``query``), what it answers (``answer``: a shape of
``shapes.py``, wrapped as ``envelope`` says, with ``status``) and the error
codes of its own. Everything else is derived from it, so it is written
nowhere else:

- the middlewares: ``allow(*roles, scope=...)`` (none without roles), then the
  Idempotency-Key's (stored on POST, PATCH and DELETE; ``idempotency="checked"``
  for the writes whose answers must not be kept, such as credentials);
- the scope a caller needs (``required_scope``): ``read_order`` to read
  (GET), ``write_order`` for anything else, unless the route declares
  another (``scope=``); so a new route that opens, changes or cancels a
  refund needs ``write_order`` without its author saying so;
- the answer: the handler returns what logic returned (or its dialect's
  presenter made of it), and ``respond`` wraps it (``{"data": ...}``, a page
  with ``nextCursor``, or the shape itself) and writes it (``jsontext``: a
  ``Decimal`` is a JSON number literal); a route whose ``media_type`` is not
  JSON (a CSV export) answers the text logic made (``shapes.Attachment``: with
  a file name, ``Content-Disposition: attachment``) in that media type;
- the dialect it speaks (``dialect=``, ours by default: refunds_core/dialects),
  in which the function answers every error, and which gives the route's
  default envelope and tag;
- the OpenAPI document (scripts/openapi.py reads ``app.contracts`` of every
  function the template names) and the fuzz tests' roles.

Adding a route: docs/adding-a-route.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response

from refunds_core import jsontext, snapstart
from refunds_core.api import Api, allow
from refunds_core.callers import Role, Scope
from refunds_core.dialects import NATIVE, Dialect, Envelope
from refunds_core.errors import ErrorCode
from refunds_core.idempotency import idempotent, key_checked

__all__ = ["Contract", "Envelope", "Idempotency", "respond", "route"]
# Idempotency-Key on a write: its first answer "stored" and replayed; or the
# key only "checked" (its answer is a credential, or it writes nothing).
Idempotency = Literal["stored", "checked"] | None
_KEYED_METHODS = frozenset({"POST", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Contract:
    method: str
    path: str                                   # as the template writes it: /v1/refunds/{refundId}
    summary: str
    tag: str
    roles: tuple[Role, ...] | None              # None: no authentication
    answer: Any = None                          # a shape; None: no body (204), or the handler's own Response
    envelope: Envelope = "data"
    status: HTTPStatus = HTTPStatus.OK
    body: type | str | None = None              # the request model the route reads (a name: built elsewhere)
    body_required: bool = True
    query: type | None = None
    errors: tuple[ErrorCode, ...] = ()          # the route's own codes, beside those every route of its kind has
    description: str = ""
    api_keys: bool = True                       # False: an API key may not call it (403, 15120)
    idempotency: Idempotency = "stored"         # on POST, PATCH and DELETE; ignored on GET and PUT
    dialect: Dialect = NATIVE                   # the API document it speaks (refunds_core/dialects)
    scope: Scope | None = None                  # None: by its method (required_scope)
    # The success answer's media type; other than JSON, ``answer`` describes its text (envelope None).
    media_type: str = content_types.APPLICATION_JSON
    handler: str = field(default="", compare=False)  # the function's name: the operation's id

    @property
    def keyed(self) -> Idempotency:
        """What this route does with an Idempotency-Key (None: it takes none)."""
        return self.idempotency if self.method in _KEYED_METHODS else None

    @property
    def required_scope(self) -> Scope | None:
        """The scope its caller needs (an API key's; a login's token has all):
        the declared one, else ``read_order`` on GET and ``write_order`` on any
        other method, the safe side for a route that opens, changes or cancels
        a refund. None for a route without authentication."""
        if self.roles is None:
            return None
        if self.scope is not None:
            return self.scope
        return Scope.READ_ORDER if self.method == "GET" else Scope.WRITE_ORDER

    @property
    def rule(self) -> str:
        """The path as Powertools' resolver matches it (``<name>`` for ``{name}``)."""
        return re.sub(r"\{([^}]+)\}", r"<\1>", self.path)

    def middlewares(self) -> list[Callable]:
        chain = [] if self.roles is None else [allow(*self.roles, api_keys=self.api_keys, scope=self.required_scope)]
        if self.keyed == "stored":
            chain.append(idempotent)
        elif self.keyed == "checked":
            chain.append(key_checked)
        return chain


def route(app: Api, method: str, path: str, *, dialect: Dialect = NATIVE, **declared) -> Callable:
    """Declare a route and register its handler (see the module)."""
    declared.setdefault("envelope", dialect.envelope)
    if dialect.tag is not None:
        declared.setdefault("tag", dialect.tag)

    def register(handler: Callable) -> Callable:
        contract = Contract(method, path, handler=handler.__name__, dialect=dialect, **declared)
        app.speak(dialect)
        for model in (contract.body, contract.query):
            if isinstance(model, type):
                snapstart.prepare_model(model)

        def answered(**path_parameters):
            return respond(handler(**path_parameters), contract)

        app.route(contract.rule, method, middlewares=contract.middlewares())(answered)
        app.contracts.append(contract)
        return handler

    return register


def respond(result, contract: Contract) -> Response:
    """The handler's result as the route answers it: wrapped as declared, in its status."""
    if isinstance(result, Response):
        return result
    if contract.answer is None:
        return Response(status_code=int(contract.status), body=None)
    if contract.media_type != content_types.APPLICATION_JSON:
        return _document(result, contract)
    if contract.envelope == "page":
        body = {"data": result.items, "nextCursor": result.next_cursor}
    elif contract.envelope in ("data", "list"):
        body = {"data": result}
    else:
        body = result
    return Response(status_code=int(contract.status), content_type=content_types.APPLICATION_JSON,
                    body=jsontext.dumps(body))



def _document(result, contract: Contract) -> Response:
    """An answer in the route's own media type: the text as it is, or a
    ``shapes.Attachment`` (text, file name: a download). Unpacked, not
    imported: shapes brings pydantic, which a function such as the
    OpenAPI document's never loads."""
    body, filename = (result, None) if isinstance(result, str) else result
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else None
    return Response(status_code=int(contract.status), content_type=contract.media_type, body=body, headers=headers)
