"""The core is layered strictly: edge -> logic -> dal -> vocabulary, read from the
code's own imports (``ast``: function-level imports count too, so none can
dodge a cycle), with no module importing one that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "shared" / "refunds_core"

# The words every layer may use: no AWS call of their own beyond making clients.
# webhook_urls is one: it says which URLs we may POST to (resolving a host is
# part of that answer), and calls no AWS.
VOCABULARY = {"errors", "models", "money", "statuses", "events", "shapes", "callers", "clock", "validation",
              "settings", "aws", "observability", "webhook_urls", "refund_ids", "jsontext", "reasons", "modes"}
# The HTTP edge: what only handlers (and each other) import; the dialects (dialects/) are edge too.
EDGE = {"api", "routes", "idempotency", "idempotency_store", "batch", "lean_imports", "snapstart"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(part for part in parts if part != "__init__") or "__init__"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path.name}: a relative import, which this check would not read")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("refunds_core"):
            module = node.module.removeprefix("refunds_core").lstrip(".")
            if module in ("", "dal", "logic"):  # from refunds_core.dal import orders: the module orders
                found |= {f"{module}.{alias.name}".lstrip(".") for alias in node.names}
            elif module == "dialects":  # a dialect's module, or a name of the package's own
                found |= {f"dialects.{alias.name}" if (PACKAGE / "dialects" / f"{alias.name}.py").exists()
                          else "dialects" for alias in node.names}
            else:
                found.add(module)
        elif isinstance(node, ast.Import):
            found |= {alias.name.removeprefix("refunds_core.") for alias in node.names
                      if alias.name.startswith("refunds_core.")}
    return found


GRAPH = {_module_name(path): _imports(path) - {_module_name(path)} for path in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    if module.startswith("dal.") or module == "dal":
        return "dal"
    if module in VOCABULARY:
        return "vocabulary"
    if module in EDGE or module == "__init__" or module == "dialects" or module.startswith("dialects."):
        return "edge"
    return "logic"  # logic/*, auth (it reads accounts), listing_query, webhook_tasks


ALLOWED = {"edge": {"edge", "logic", "dal", "vocabulary"}, "logic": {"logic", "dal", "vocabulary"},
           "dal": {"dal", "vocabulary"}, "vocabulary": {"vocabulary"}}


def test_every_imported_module_exists():
    assert {name for names in GRAPH.values() for name in names} <= set(GRAPH)


def test_no_module_imports_a_module_that_imports_it_back():
    def reaches(start: str) -> set[str]:
        seen, pending = set(), [start]
        while pending:
            for nxt in GRAPH[pending.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    pending.append(nxt)
        return seen

    assert [module for module in sorted(GRAPH) if module in reaches(module)] == []


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_its_own_layer_and_those_below(module):
    above = {name: layer(name) for name in GRAPH[module] if layer(name) not in ALLOWED[layer(module)]}
    assert above == {}, f"{module} ({layer(module)}) imports from above"


@pytest.mark.parametrize("path", sorted((PACKAGE / "dal").glob("*.py")), ids=lambda p: p.name)
def test_the_dal_speaks_dynamodb_not_http(path):
    """Refusals reach the DAL only as the explain callbacks it takes."""
    text = path.read_text(encoding="utf-8")
    assert "ApiError" not in text and "FieldErrors" not in text


def test_no_two_test_files_share_a_name():
    """The test folders are not packages: pytest imports each file by its
    basename, and a second file of the same name in another folder stops the
    whole run ("import file mismatch") once both are collected together."""
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py") if "node_modules" not in path.parts]
    assert sorted({name for name in names if names.count(name) > 1}) == []
