"""The layer's prune list (shared/layer-prune.txt): what `sam build` deletes
from the layer (shared/Makefile) is what the bench leaves out (bench/cold.py),
every pattern still removes something, and no function needs what it removes."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from bench import cold

ROOT = cold.ROOT
OUR_CODE = sorted([*(ROOT / "shared" / "refunds_core").rglob("*.py"), *(ROOT / "functions").rglob("*.py")])


@pytest.fixture(scope="module")
def files() -> dict[PurePosixPath, Path]:
    """Every file the layer's pip install and copy of refunds_core produce, before pruning."""
    return {rel: real for found in cold.layer_files().values() for rel, real in found.items()}


@pytest.fixture(scope="module")
def site():
    with cold.Site() as built:
        yield built


def test_each_pattern_removes_something_the_layer_installs(files):
    prune = cold.Prune.load()
    assert prune.patterns
    stale = [pattern for pattern in prune.patterns if not any(cold.Prune((pattern,)).matches(rel) for rel in files)]
    assert not stale, f"shared/layer-prune.txt: no installed file matches {stale}: remove the line(s)"


def test_each_pattern_says_why():
    """Each pattern is in a block of lines (no blank line between) that a comment opens."""
    lines = (ROOT / "shared" / "layer-prune.txt").read_text().splitlines()
    opened = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            opened = False
        elif line.startswith("#"):
            opened = True
        else:
            assert opened, f"line {number} ({line}) has no comment above it"


def test_the_glob_means_what_bash_globstar_means():
    prune = cold.Prune(("**/*.pyi", "pkg/data", "a-*.dist-info/x"))
    for kept in ("pkg/datafile.py", "pkg/mod.py", "a-1.dist-info/y", "pyi"):
        assert not prune.matches(PurePosixPath(kept)), kept
    for pruned in ("top.pyi", "pkg/sub/stub.pyi", "pkg/data", "pkg/data/deep/file.json", "a-1.0.dist-info/x/z"):
        assert prune.matches(PurePosixPath(pruned)), pruned
    with pytest.raises(ValueError):
        cold.Prune(("pkg/[ab].py",))


def test_the_layer_build_prunes_what_the_bench_leaves_out(tmp_path, files):
    """shared/Makefile's prune-layer on a tree of the installed paths keeps
    exactly what bench/cold.py keeps."""
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).touch()
    done = subprocess.run(["make", "--no-print-directory", "prune-layer", f"LAYER_DIR={tmp_path}"],  # noqa: S603, S607 - make, our Makefile
                          cwd=ROOT / "shared", capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "matches nothing" not in done.stdout + done.stderr
    left = {PurePosixPath(*path.relative_to(tmp_path).parts) for path in tmp_path.rglob("*") if path.is_file()}
    prune = cold.Prune.load()
    assert left == {rel for rel in files if not prune.matches(rel)}


def test_the_bench_site_holds_what_the_layer_ships_and_nothing_pruned(site, files):
    prune = cold.Prune.load()
    reachable = set()
    for tree in (site.layer, site.runtime):
        for directory, dirnames, filenames in os.walk(tree, followlinks=True):
            dirnames[:] = [name for name in dirnames if name != "__pycache__"]
            here = PurePosixPath(*Path(directory).relative_to(tree).parts)
            # A library module ships as bytecode in its source's place: x.pyc stands for x.py.
            reachable |= {here / (name[:-1] if tree == site.layer and name.endswith(".pyc") else name)
                          for name in filenames}
    assert not [rel for rel in reachable if prune.matches(rel)]
    assert {rel for rel in files if not prune.matches(rel)} <= reachable
    assert not (site.layer / "pydantic" / "v1").exists()


def test_the_libraries_ship_as_bytecode_and_refunds_core_with_its_sources(site):
    """compile-layer (shared/Makefile), as the bench ran it on its copy of the layer."""
    assert (site.layer / "pydantic" / "main.pyc").is_file() and not (site.layer / "pydantic" / "main.py").exists()
    assert (site.layer / "typing_extensions.pyc").is_file() and not (site.layer / "typing_extensions.py").exists()
    assert not [path for path in site.layer.rglob("*.py") if path.parts[len(site.layer.parts)] != "refunds_core"]
    ours = site.layer / "refunds_core"
    assert (ours / "api.py").is_file()
    tag = sys.implementation.cache_tag
    assert {path.name for path in (ours / "__pycache__").iterdir()} >= {f"api.{tag}.pyc", f"auth.{tag}.pyc"}


def test_the_layer_counts_what_is_not_pruned():
    layer = cold.layer_sizes()
    assert layer["pruned_bytes"] == sum(layer["pruned"].values()) > 1_000_000  # Swagger UI's assets alone
    assert all(layer["pruned"].values()), layer["pruned"]


def _third_party_imports() -> list[str]:
    """Every import statement of our code (at any depth: lazy ones too) of a
    module outside refunds_core, as source text."""
    statements = set()
    for path in OUR_CODE:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                statements |= {f"import {alias.name}" for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                statements |= {f"from {node.module} import {alias.name}" for alias in node.names if alias.name != "*"}
    return sorted(statement for statement in statements
                  if statement.split()[1].split(".")[0] not in ("refunds_core", "app", "__future__"))


CHILD = r"""
import importlib.util, json, os, sys
job = json.load(sys.stdin)
failed = []
for logical_id, code_uri, module, env in job["functions"]:
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, code_uri)
    try:
        __import__(module)
    except Exception as error:
        failed.append(f"{logical_id}: {type(error).__name__}: {error}")
    sys.path.remove(code_uri)
    for name in [name for name in sys.modules if name == module or name.split(".")[0] == "refunds_core"]:
        del sys.modules[name]
for statement in job["statements"]:
    top = statement.split()[1].split(".")[0]
    if top in sys.stdlib_module_names or importlib.util.find_spec(top) is None:
        continue  # the stdlib, or a type checker's package (TYPE_CHECKING), not the layer's
    try:
        exec(statement, {})
    except Exception as error:
        failed.append(f"{statement}: {type(error).__name__}: {error}")
print(json.dumps(failed))
"""


def test_every_function_imports_from_the_pruned_layer(site):
    """One fresh interpreter on the bench's sys.path (the pruned layer, the
    runtime's boto3, nothing else) imports each function's handler module in
    that function's environment, then runs every import statement of our code
    that names a package the layer ships."""
    specs = cold.function_specs()
    job = {"functions": [(name, str(spec.code_uri), spec.handler.rpartition(".")[0], cold.function_env(spec, site))
                         for name, spec in specs.items()],
           "statements": _third_party_imports()}
    env = {**cold.function_env(next(iter(specs.values())), site), "PYTHONPATH": site.pythonpath()}
    done = subprocess.run(cold.python_args(CHILD), input=json.dumps(job), env=env, cwd=site.layer,  # noqa: S603
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == []
    assert len(job["functions"]) == len(specs) > 20 and any("pydantic" in s for s in job["statements"])


def test_no_function_asks_for_what_is_pruned():
    """What an import cannot show: the Swagger UI's files are read (not
    imported) by enable_swagger; pydantic imports pydantic.v1 for a type with
    a v1-style __get_validators__."""
    for path in OUR_CODE:
        text = path.read_text()
        assert "enable_swagger" not in text and "__get_validators__" not in text, path
