"""Dialects: other vendors' refund APIs, spoken at the edge around the one core.

A dialect is how one API document (a seed) is spoken: its routes' request
parsers and presenters (a module of this package per dialect: ``seed002.py``)
and this value, which says what its routes share:

- ``envelope``: how its answers are wrapped by default (``routes.respond``);
- ``error_body``: its errors body (ours: ``{"errors": [{"error", "message"}]}``),
  and ``error_shape``, that body's shape for the OpenAPI document;
- ``statuses``: the HTTP status of an error code, where its document gives
  another than our catalogue's (a 422 for what we answer 400); ``messages``:
  the message of an error code, where its document words it (``Order not
  found``); a body of its own carries our code beside them (``code``);
- ``tag``, ``description``: its routes' tag in the document;
- ``path_parameters``: the formats of its path parameters, for the document.

A route speaks one dialect (``@route(..., dialect=...)``), and so does the
function serving it: the resolver's exception handlers answer every error of
the function, from its middlewares (401, 403, 413, idempotency) to its logic,
in the function's dialect (``api.Api.error_response``). The core (``logic/``,
``dal/``) never knows which dialect called it. docs/dialects.md says what each
dialect is for and how it maps onto ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response

from refunds_core import jsontext, shapes
from refunds_core.errors import ApiError

# How an answer is wrapped: {"data": answer}; {"data": [...]} of a list;
# {"data": [...], "nextCursor": ...} of a Page; or the answer itself (None).
Envelope = Literal["data", "list", "page"] | None


def our_error_body(error: ApiError) -> dict:
    return error.body()


@dataclass(frozen=True)
class Dialect:
    name: str
    tag: str | None = None                     # None: each route names its own (ours)
    description: str = ""
    envelope: Envelope = "data"
    error_body: Callable[[ApiError], dict] = our_error_body
    error_shape: Any = shapes.ErrorBody
    statuses: Mapping[int, HTTPStatus] = field(default_factory=dict)   # error code -> status
    messages: Mapping[int, str] = field(default_factory=dict)          # error code -> its document's message
    path_parameters: Mapping[str, Any] = field(default_factory=dict)  # name -> its format (an annotation)

    def status_of(self, code: int, catalogued: HTTPStatus) -> HTTPStatus:
        """The status an error code is answered with in this dialect."""
        return self.statuses.get(code, catalogued)

    def message_of(self, code: int, catalogued: str) -> str:
        """The message an error code is answered with in this dialect (its error_body writes it)."""
        return self.messages.get(code, catalogued)

    def error_response(self, error: ApiError) -> Response:
        """An error as this dialect answers it: its status, its body, the error's headers."""
        status = self.status_of(error.entries[0][0], error.status)
        return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON,
                        body=jsontext.dumps(self.error_body(error)), headers=error.headers)


# Our own API (/v1): the catalogue's statuses, our errors body, each route's own tag.
NATIVE = Dialect(name="native")
