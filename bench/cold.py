"""What a cold start and the package cost, measured from outside: fresh
interpreters (the floor, each function's handler import), `-X importtime`
for where an import's time goes, and the layer's unzipped size."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

from localrun import template as cfn

ROOT = Path(__file__).resolve().parents[1]
LAYER_SOURCE = ROOT / "shared"

FLOOR_CODE = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
# Nothing listens on port 9 (discard) of loopback: module-scope code that
# called AWS would fail at once instead of reaching out.
NO_NETWORK_ENDPOINT = "http://127.0.0.1:9"

# What the Lambda python3.13 runtime already has (boto3 and its dependencies):
# not counted in the layer's budget, reported beside it.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}


def _base_env() -> dict[str, str]:
    """A Lambda-like environment: dummy credentials, the region, no profile,
    no endpoint or metadata lookups, no user site or bytecode settings of the shell."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AWS_", "PYTHON", "POWERTOOLS_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - dummy
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", AWS_ENDPOINT_URL=NO_NETWORK_ENDPOINT,
               AWS_EXECUTION_ENV="AWS_Lambda_python3.13", PYTHONNOUSERSITE="1")
    return env


class Site:
    """What Lambda's sys.path holds: `runtime` has boto3 and its dependencies
    (the runtime's own site-packages: links to this interpreter's installed
    files, with their bytecode), `layer` is /opt/python as `sam build` makes
    it from the same pins: shared/requirements.txt's closure plus
    refunds_core, less what shared/layer-prune.txt names, compiled by
    shared/Makefile's compile-layer (see compiled_layer()). The interpreter
    then runs with -S: none of the virtualenv's other packages (moto,
    cryptography, pytest...) is importable, so an optional import (pyjwt
    tries cryptography) costs what it costs on Lambda."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-site-")
        self.runtime = Path(self._tmp.name) / "runtime"
        files = {rel: real for name, found in layer_files().items() if name in RUNTIME_PROVIDED
                 for rel, real in found.items()}
        _link_tree(files, self.runtime, Prune.load())
        self.layer = compiled_layer()

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def pythonpath(self, *first: Path) -> str:
        return os.pathsep.join(map(str, [*first, self.layer, self.runtime]))


_compiled: list[Path] = []  # one per process: compiling the layer takes a few seconds


def compiled_layer() -> Path:
    """Our part of the layer (what the runtime provides left out) as it
    deploys: a copy of the files shared/Makefile's build keeps, then its
    compile-layer target run on it with this interpreter (the libraries as
    bytecode only, refunds_core with its sources). Made once per process, in
    a temporary directory removed at exit; read-only from then on, as /opt
    is on Lambda (the cold starts run with PYTHONDONTWRITEBYTECODE)."""
    if not _compiled:
        tmp = Path(tempfile.mkdtemp(prefix="bench-layer-"))
        atexit.register(shutil.rmtree, tmp, True)
        layer, prune = tmp / "python", Prune.load()
        for name, found in layer_files().items():
            if name in RUNTIME_PROVIDED:
                continue
            for rel, real in found.items():
                if not prune.matches(rel):
                    (layer / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(real, layer / rel)  # a copy: compiling must not touch the installed files
        subprocess.run(["make", "--no-print-directory", "compile-layer", f"LAYER_DIR={layer}",  # noqa: S603, S607
                        f"LAYER_PYTHON={sys.executable}"], cwd=LAYER_SOURCE, check=True, capture_output=True)
        _compiled.append(layer)
    return _compiled[0]


def _link_tree(files: dict[PurePosixPath, Path], target: Path, prune: Prune) -> None:
    """Symlinks in `target` to every file of `files` ({path in the layer: the
    installed file}) that `prune` keeps: a directory with nothing pruned below
    it is one link to the installed directory, the others are real
    directories holding links, so no pruned file is reachable."""
    target.mkdir(parents=True, exist_ok=True)
    pruned = [rel for rel in files if prune.matches(rel)]
    dirty = {parent for rel in pruned for parent in rel.parents}
    for rel, real in files.items():
        if rel in pruned:
            continue
        # The topmost directory above the file with nothing pruned in it, else the file itself.
        ancestors = [parent for parent in reversed(rel.parents) if parent != PurePosixPath(".")]
        clean = next((parent for parent in ancestors if parent not in dirty), rel)
        link = target / clean
        if link.is_symlink():
            continue
        source = real.parents[len(rel.parts) - len(clean.parts) - 1] if clean != rel else real
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source)


def python_args(code: str, *options: str) -> list[str]:
    """A fresh interpreter as Lambda starts one: no site-packages but the
    paths given in PYTHONPATH, and no current directory on sys.path."""
    return [sys.executable, "-S", "-P", *options, "-c", code]


def function_specs() -> dict[str, cfn.FunctionSpec]:
    return cfn.functions(cfn.load_template(ROOT / "template.yaml"), ROOT)


def api_functions() -> set[str]:
    return {route.function for route in cfn.api_routes(cfn.load_template(ROOT / "template.yaml"))}


def function_env(spec: cfn.FunctionSpec, site: Site) -> dict[str, str]:
    """The function's template variables with dummy values for what a stack
    would resolve (table names, ARNs, URLs), and what Lambda sets."""
    template = cfn.load_template(ROOT / "template.yaml")
    resources = template.get("Resources", {})
    resolver = cfn.Resolver(template, {logical_id: f"bench-{logical_id}" for logical_id in resources},
                            stack_name="bench",
                            attributes={lid: {"StreamArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/"
                                                           f"bench-{lid}/stream/2026-01-01T00:00:00.000"}
                                        for lid, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table"})
    env = _base_env()
    for name, value in spec.environment.items():
        try:
            resolved = resolver.resolve(value)
        except cfn.UnresolvableError:
            resolved = f"bench-{name.lower()}"
        env[name] = resolved if isinstance(resolved, str) else str(resolved).lower() \
            if isinstance(resolved, bool) else str(resolved)
    env.update(AWS_LAMBDA_FUNCTION_NAME=spec.logical_id, AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(spec.memory_size),
               AWS_LAMBDA_FUNCTION_VERSION="$LATEST", LAMBDA_TASK_ROOT=str(spec.code_uri), _HANDLER=spec.handler,
               # Tracing: Active, as the template says: Lambda sets these, and the
               # Tracer patches botocore with the first client (nothing is sent before a request).
               AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:9", AWS_XRAY_CONTEXT_MISSING="LOG_ERROR",
               # /var/task and /opt are read-only: nothing imported there leaves bytecode behind.
               PYTHONDONTWRITEBYTECODE="1",
               # /var/task (the function), then /opt/python (the layer), then the runtime's boto3.
               PYTHONPATH=site.pythonpath(spec.code_uri))
    return env


def import_code(spec: cfn.FunctionSpec) -> str:
    module, _, attribute = spec.handler.rpartition(".")
    return f"import {module}; {module}.{attribute}"


@dataclass(frozen=True)
class Start:
    """A fresh interpreter to time: its arguments, environment and directory."""

    args: list[str]
    env: dict[str, str]
    cwd: Path


def floor_start(site: Site) -> Start:
    return Start(python_args(FLOOR_CODE), {**_base_env(), "PYTHONPATH": str(site.runtime)}, ROOT)


def function_start(spec: cfn.FunctionSpec, site: Site) -> Start:
    return Start(python_args(import_code(spec)), function_env(spec, site), spec.code_uri)


def _run(start: Start) -> tuple[float, float]:
    """(wall ms, CPU ms of the process: user + system) of one start."""
    began = time.perf_counter()
    process = subprocess.Popen(start.args, env=start.env, cwd=start.cwd,  # noqa: S603 - our interpreter
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = (time.perf_counter() - began) * 1000
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(start.args)} failed ({process.returncode}):\n{errors.decode()[-2000:]}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def cold_starts(starts: dict[str, Start], runs: int, warmups: int = 1) -> dict[str, tuple[float, float]]:
    """{name: (median wall ms, median CPU ms)} of each start, after warm-up
    runs that fill the bytecode and page caches. The runs go round-robin
    (one of each, then again), so a change in the machine's load in the
    meantime weighs on every start alike, the floor included."""
    for _ in range(warmups):
        for start in starts.values():
            _run(start)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in starts}
    for _ in range(runs):
        for name, start in starts.items():
            samples[name].append(_run(start))
    return {name: (statistics.median(wall for wall, _ in found), statistics.median(cpu for _, cpu in found))
            for name, found in samples.items()}


def cold_import_ms(spec: cfn.FunctionSpec, site: Site, runs: int) -> float:
    return cold_starts({spec.logical_id: function_start(spec, site)}, runs)[spec.logical_id][0]


# ------------------------------------------------------------ importtime

_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def import_breakdown(spec: cfn.FunctionSpec, site: Site, code: str | None = None) -> dict[str, float]:
    """ms of `-X importtime` self time per top-level package for the
    handler's import (or `code`, in the function's environment), largest first."""
    done = subprocess.run(python_args(code or import_code(spec), "-X", "importtime"),  # noqa: S603 - our interpreter
                          env=function_env(spec, site), cwd=spec.code_uri, capture_output=True, text=True,
                          check=True)
    totals: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            package = match.group(4).split(".")[0]
            totals[_group(package)] += int(match.group(1)) / 1000
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def _group(package: str) -> str:
    if package in sys.stdlib_module_names or package.startswith("_"):
        return "(stdlib)"
    if package in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"):
        return "boto3 + botocore (runtime)"
    return package


# ------------------------------------------------------------------ layer

def _requirements(path: Path) -> list[tuple[str, set[str]]]:
    from packaging.requirements import Requirement

    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            found.append((requirement.name, set(requirement.extras)))
    return found


def _closure(roots: list[tuple[str, set[str]]]) -> dict[str, metadata.Distribution]:
    """The installed distributions pip would put in the layer for these
    requirements (markers evaluated for this interpreter, extras followed)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, metadata.Distribution] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    pending = [(name, frozenset(extras)) for name, extras in roots]
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if (key, extras) in visited:
            continue
        visited.add((key, extras))
        dist = seen.setdefault(key, metadata.distribution(name))
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in (extras or {""})):
                pending.append((requirement.name, frozenset(requirement.extras)))
    return seen


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


PRUNE_LIST = LAYER_SOURCE / "layer-prune.txt"


class Prune:
    """shared/layer-prune.txt: the globs of what the layer does not ship, with
    the layer build's meaning (bash globstar: `*` and `?` within a name, `**/`
    any number of directories; a matching directory goes with its contents)."""

    def __init__(self, patterns: tuple[str, ...]):
        self.patterns = patterns
        self._regexes = tuple(map(_glob_regex, patterns))

    @classmethod
    def load(cls, path: Path = PRUNE_LIST) -> Prune:
        lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
        return cls(tuple(line for line in lines if line))

    def matching(self, rel: PurePosixPath) -> str | None:
        """The first pattern that removes `rel` (it or a directory above it), or None."""
        for pattern, regex in zip(self.patterns, self._regexes, strict=True):
            if any(regex.fullmatch(str(path)) for path in (rel, *rel.parents) if path != PurePosixPath(".")):
                return pattern
        return None

    def matches(self, rel: PurePosixPath) -> bool:
        return self.matching(rel) is not None


def _glob_regex(pattern: str) -> re.Pattern:
    if any(char in pattern for char in "[]{}\\ \t") or pattern.startswith("/") or "**" in pattern.replace("**/", ""):
        raise ValueError(f"{PRUNE_LIST.name}: {pattern!r}: only `*`, `?` and `**/` are understood")
    regex = re.escape(pattern).replace(r"\*\*/", "(?:[^/]+/)*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return re.compile(regex)


def _layer_path(dist: metadata.Distribution, file: metadata.PackagePath) -> tuple[PurePosixPath, Path] | None:
    """Where `pip install --target python/` puts one of the distribution's
    files (site-packages' files at the top, the prefix's others, scripts in
    bin/, beside them), and the installed file; None for bytecode."""
    if "__pycache__" in file.parts or file.suffix == ".pyc":
        return None  # a wheel carries no bytecode, and the layer build writes none (pip --no-compile)
    located = Path(dist.locate_file(file))
    if not located.is_file():
        return None
    if file.parts[0] != "..":
        return PurePosixPath(*file.parts), located
    try:
        return PurePosixPath(*located.resolve().relative_to(Path(sys.prefix).resolve()).parts), located
    except ValueError:
        return None


def layer_files() -> dict[str, dict[PurePosixPath, Path]]:
    """{distribution (and "refunds_core (ours)"): {path in the layer's python/:
    the installed file}} of everything the layer's pip install and copy of
    refunds_core produce, before pruning: shared/requirements.txt's closure as
    installed for this interpreter (the same pins `sam build` installs;
    tests/unit/test_template.py keeps pyproject and requirements in step)."""
    found: dict[str, dict[PurePosixPath, Path]] = {}
    for name, dist in _closure(_requirements(LAYER_SOURCE / "requirements.txt")).items():
        paths = (_layer_path(dist, file) for file in dist.files or [])
        found[name] = dict(path for path in paths if path is not None)
    ours = LAYER_SOURCE / "refunds_core"
    found["refunds_core (ours)"] = {PurePosixPath(*path.relative_to(LAYER_SOURCE).parts): path
                                    for path in sorted(ours.rglob("*"))
                                    if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}
    return found


def layer_sizes() -> dict:
    """The layer as `sam build` makes it: shared/ (refunds_core) plus the
    distributions shared/requirements.txt resolves to, less what
    shared/layer-prune.txt names, compiled (compiled_layer(): the bytes that
    ship). {"bytes": without what the runtime provides, "runtime_provided_bytes",
    "packages": {name: bytes}, "runtime_provided", "pruned": {pattern: bytes
    it removes (from our part)}, "pruned_bytes"}."""
    prune = Prune.load()
    pruned: dict[str, int] = dict.fromkeys(prune.patterns, 0)
    provided: dict[str, int] = {}
    top_owner: dict[str, str] = {}  # a top-level entry of the layer -> its distribution
    for name, files in layer_files().items():
        for rel, real in files.items():
            pattern = prune.matching(rel)
            if name in RUNTIME_PROVIDED:
                provided[name] = provided.get(name, 0) + (0 if pattern else real.stat().st_size)
            elif pattern is not None:
                pruned[pattern] += real.stat().st_size
            else:
                top = rel.parts[0]
                top_owner[top] = top_owner[f"{top}c"] = name  # six.py ships as six.pyc
    layer = compiled_layer()
    ours: dict[str, int] = {}
    for path in layer.rglob("*"):
        if path.is_file():
            name = top_owner[path.relative_to(layer).parts[0]]
            ours[name] = ours.get(name, 0) + path.stat().st_size
    return {"bytes": sum(ours.values()), "runtime_provided_bytes": sum(provided.values()),
            "packages": dict(sorted(ours.items(), key=lambda item: -item[1])),
            "runtime_provided": dict(sorted(provided.items(), key=lambda item: -item[1])),
            "pruned": pruned, "pruned_bytes": sum(pruned.values())}


def sam_build_layer_bytes() -> int | None:
    """The layer `make build` left in .aws-sam, without what the runtime provides (a cross-check)."""
    layer = ROOT / ".aws-sam" / "build" / "SharedLayer" / "python"
    if not layer.is_dir():
        return None
    provided = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3"}
    total = 0
    for entry in layer.iterdir():
        base = entry.name.split("-")[0].lower().replace("_", "-")
        if entry.name in provided or base in RUNTIME_PROVIDED:
            continue
        total += entry.stat().st_size if entry.is_file() else _tree_bytes(entry)
    return total


def function_code_bytes(spec: cfn.FunctionSpec) -> int:
    return _tree_bytes(spec.code_uri)
