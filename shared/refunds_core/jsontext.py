"""JSON text of an answer, with ``Decimal`` values written as exact number literals.

Python's ``json`` writes no ``Decimal``; a float would lose what the Decimal
holds (``22.50`` would become ``22.5``, and other amounts worse). An answer
that holds no Decimal is ``json.dumps``'s own text, byte for byte (the C
encoder, as fast as ever); one that does is written by ``_chunks``, which
writes each Decimal as its plain literal (``22.50``, ``1500``, ``0.125``: its
digits as they are, never an exponent) and everything else as ``json.dumps``
would, separators included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal


class _HoldsDecimal(Exception):  # noqa: N818 - a signal out of json.dumps, not a failure
    pass


def _not_plain(_value: object) -> object:
    raise _HoldsDecimal


def dumps(value: object) -> str:
    """``value`` as JSON text (``ensure_ascii=False``), its Decimals as number literals."""
    try:
        return json.dumps(value, ensure_ascii=False, default=_not_plain)
    except _HoldsDecimal:
        return "".join(_chunks(value))


def _chunks(value: object) -> Iterator[str]:
    if isinstance(value, Decimal):
        yield number(value)
    elif isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"keys must be str, not {type(key).__name__}")
            yield (", " if index else "") + json.dumps(key, ensure_ascii=False) + ": "
            yield from _chunks(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ", "
            yield from _chunks(item)
        yield "]"
    else:
        yield json.dumps(value, ensure_ascii=False)


def number(value: Decimal) -> str:
    """A finite Decimal's JSON number literal, its digits as held: ``Decimal("22.50") -> 22.50``."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f")
