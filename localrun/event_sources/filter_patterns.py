"""Lambda's FilterCriteria use EventBridge's pattern language: a pattern is an
object whose leaves are lists of what the event's value may be; all keys
must match, any value of a list. Supported: exact values (strings,
numbers, booleans, null), prefix, suffix, equals-ignore-case,
anything-but, numeric, exists."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists"}
_MISSING = object()


def parse_pattern(pattern: str | dict) -> dict:
    """A filter's Pattern (JSON text or already an object), checked: leaves
    must be lists, operators known."""
    value = json.loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(value, dict):
        raise ValueError(f"a filter pattern is a JSON object, not {value!r}")
    _check_pattern(value, "")
    return value


def _check_pattern(pattern: dict, path: str) -> None:
    for key, expected in pattern.items():
        where = f"{path}.{key}" if path else key
        if isinstance(expected, dict):
            _check_pattern(expected, where)
        elif not isinstance(expected, list):
            raise ValueError(f"filter pattern {where}: a leaf is a list of values, not {expected!r}")
        else:
            for matcher in expected:
                if isinstance(matcher, dict):
                    unknown = set(matcher) - _OPERATORS
                    if len(matcher) != 1 or unknown:
                        raise ValueError(f"filter pattern {where}: unsupported matcher {matcher!r}")


def matches(pattern: dict, event: Any) -> bool:
    """Whether an event (a record, as the function would get it) matches a pattern."""
    if not isinstance(event, dict):
        return False
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, dict):
            if not matches(expected, value):
                return False
        elif not any(_leaf_matches(matcher, value) for matcher in expected):
            return False
    return True


def matches_any(patterns: Iterable[dict], event: Any) -> bool:
    """No patterns: everything passes; else any one of them (filters are OR-ed)."""
    patterns = list(patterns)
    return not patterns or any(matches(pattern, event) for pattern in patterns)


def _leaf_matches(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, dict) and "exists" in matcher:
        present = value is not _MISSING and not (isinstance(value, dict | list) and not value)
        return present == bool(matcher["exists"])
    if value is _MISSING:
        return False
    if isinstance(value, list):  # an array in the event matches when one element does
        return any(_leaf_matches(matcher, item) for item in value)
    if not isinstance(matcher, dict):
        return _same(matcher, value)
    (operator, argument), = matcher.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(argument).lower()
    if operator == "anything-but":
        if isinstance(argument, dict):  # {"anything-but": {"prefix": "x"}}
            return not _leaf_matches(argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_same(item, value) for item in excluded)
    if operator == "numeric":
        return _numeric(argument, value)
    raise ValueError(f"unsupported filter operator {operator}")


def _same(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None or value is None:
        return expected is value or (expected == value and type(expected) is type(value))
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and expected == value


def _numeric(conditions: list, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    checks = {"=": float.__eq__, "<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
    for operator, bound in zip(conditions[::2], conditions[1::2], strict=True):
        if not checks[operator](float(value), float(bound)):
            return False
    return True
