"""The request's body: 110 and 111 first, then 15010 per bad field.

Numbers with a fraction or an exponent are read as ``Decimal``, never as a
float (which would already have rounded them): money is exact wherever it is
sent as a number (seed 002's ``amount``), and everywhere else a number where a
string belongs is the same 15010 it always was.

Beyond what ``json`` accepts, a body must be I-JSON (RFC 7493), which parsers
agree on: no repeated member name (``{"a": 1, "a": 2}`` means one thing to one
parser and another to the next) and no lone surrogate (``"\\ud800"``, which no
UTF-8 can carry); otherwise it is 110. A string holding a NUL character is a
bad value of its field (15010).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from refunds_core import errors
from refunds_core.errors import ApiError, FieldErrors

Model = TypeVar("Model", bound=BaseModel)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _int_or_decimal(digits: str) -> int | Decimal:
    # Python refuses to build ints of over 4300 digits (a ValueError that would
    # read as 110). Such a number is valid JSON, just a bad value: as a Decimal
    # it fails the strict model and becomes the field's 15010.
    return int(digits) if len(digits) <= 40 else Decimal(digits)


def _unique_members(pairs: list[tuple[str, object]]) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("a member name is repeated")
    return value


def json_object(body: str | None, content_type: str | None) -> dict:
    """The body as a JSON object. 110 when it is not one, else 111 when the
    Content-Type is not application/json (the contract's order)."""
    try:
        value = json.loads(body or "", parse_constant=_reject_constant, parse_int=_int_or_decimal,
                           parse_float=Decimal, object_pairs_hook=_unique_members)
        # A lone surrogate (an escape such as \ud800, in a name or a value) cannot be encoded.
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ApiError(errors.INVALID_JSON) from None
    if not isinstance(value, dict):
        raise ApiError(errors.INVALID_JSON)
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(errors.INVALID_CONTENT_TYPE)
    return value


def field_name(location: tuple) -> str:
    """pydantic's error location as the client wrote it: ``lineItems[0].unitPrice``.
    A bad key of an object (pydantic's ``[key]``) names the object: the key is
    what is wrong, and is not echoed back (``metadata``, not ``metadata.<key>``)."""
    if location and location[-1] == "[key]":
        location = location[:-2]
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def field_errors(exc: ValidationError) -> list[str]:
    names: list[str] = []
    for error in exc.errors():
        name = field_name(error["loc"]) or "body"
        if name not in names:
            names.append(name)
    return names


def nul_fields(data: object) -> list[str]:
    """The fields whose string value holds a NUL character, as field_name names them."""
    found, pending = [], [((), data)]
    while pending:  # no recursion: the body may be nested as deep as the parser allowed
        location, value = pending.pop()
        if isinstance(value, str) and "\0" in value:
            found.append(field_name(location) or "body")
        elif isinstance(value, dict):
            pending += [((*location, name), item) for name, item in reversed(value.items())]
        elif isinstance(value, list):
            pending += [((*location, index), item) for index, item in reversed(list(enumerate(value)))]
    return found


def parse(model: type[Model], data: dict) -> Model:
    nul = nul_fields(data)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        names = field_errors(exc)
        raise FieldErrors(names + [name for name in nul if name not in names]) from None
    if nul:
        raise FieldErrors(nul)
    return parsed
