"""Which template route serves a request, the way API Gateway REST picks it.

`{param}` matches one non-empty path segment, `{proxy+}` one or more. When
several resources match, the most specific wins: a literal segment beats a
parameter, a parameter beats a greedy one (API Gateway's precedence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from localrun.template import Route


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class NoSuchPath:
    """No resource has this path: API Gateway's MISSING_AUTHENTICATION_TOKEN."""


@dataclass(frozen=True)
class MethodNotAllowed:
    """The resource exists, but not with this method."""

    resource_path: str
    methods: tuple[str, ...]


_PARAMETER = re.compile(r"^\{([^}+]+)(\+?)\}$")


def _segment_pattern(segment: str) -> tuple[str, int]:
    """A regex for one template segment and its rank (lower is more specific)."""
    parameter = _PARAMETER.match(segment)
    if parameter is None:
        return re.escape(segment), 0
    name, greedy = parameter.groups()
    if greedy:
        return f"(?P<{_group(name)}>.+)", 2
    return f"(?P<{_group(name)}>[^/]+)", 1


def _group(name: str) -> str:
    # Regex group names must be identifiers; template names may not be (e.g. order-id).
    return "p_" + "".join(c if c.isalnum() else f"_{ord(c)}_" for c in name)


@dataclass(frozen=True)
class CompiledPath:
    template_path: str
    pattern: re.Pattern
    names: tuple[str, ...]
    rank: tuple[int, ...]

    @classmethod
    def of(cls, template_path: str) -> CompiledPath:
        segments = [s for s in template_path.strip("/").split("/") if s]
        parts = [_segment_pattern(s) for s in segments]
        names = tuple(m.group(1) for m in (_PARAMETER.match(s) for s in segments) if m)
        regex = "^/" + "/".join(p for p, _ in parts) + "/?$" if parts else "^/$"
        return cls(template_path, re.compile(regex), names, tuple(r for _, r in parts))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        if found is None:
            return None
        return {name: unquote(found.group(_group(name))) for name in self.names}


class Router:
    def __init__(self, routes: list[Route]):
        self.routes = routes
        self._paths = sorted({CompiledPath.of(r.path) for r in routes}, key=lambda c: c.rank)

    def resolve(self, method: str, path: str) -> Match | NoSuchPath | MethodNotAllowed:
        for compiled in self._paths:  # most specific first
            parameters = compiled.match(path)
            if parameters is None:
                continue
            candidates = [r for r in self.routes if r.path == compiled.template_path]
            for route in candidates:
                if route.method in (method.upper(), "ANY"):
                    return Match(route, parameters)
            return MethodNotAllowed(compiled.template_path, tuple(sorted(r.method for r in candidates)))
        return NoSuchPath()
