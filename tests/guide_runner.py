"""Runs the guides as printed and checks what every call in them answered, so
a guide that drifts from the API fails CI (tests/integration/test_guides.py).

A guide is a Markdown page (README.md, docs/*.md) with a line that is GUIDE_MARK.
Each ```sh block after that line runs, top to bottom, in one bash session per guide:
`set -euo pipefail`, the repository's root as working directory, `API` set to
the runtime's URL and `HOOK_PORT` to a free port (guides default them:
`API=${API:-http://127.0.0.1:3000}`). Blocks in any other language are not run.

A call prints its answer's body on one line, then its HTTP status alone on the
next line (what a guide's `call` function does: `curl -s -w '\\n%{http_code}'`).

A line `# -> STATUS [CODES] [TEXT]` checks the one call the commands since the
previous `# ->` line (or the block's start) made:
  STATUS  the HTTP status that call printed, three digits;
  CODES   only when STATUS is 400 or more, and then required: the error codes
          of the answer's `errors`, in order (seed 004's body, `{"errors":
          [messages], "code": N}`: N for each message): one code (`# -> 404 15070 Refund
          not found.`) or a bracketed list of entries separated by commas, each
          a code then any text without a comma (`# -> 400 [15010 email, 15010
          amount]`);
  TEXT    the rest of the line (below 400, all of it after STATUS), and any
          `#` lines right below it: free, not checked (what the answer holds, why).
A success (below 400) must carry no `errors`.

The run fails when:
  - a guide has no `# ->` line; a page that is not a guide has one; a `# ->`
    line is outside an sh block, does not parse, or has no command before it;
  - the commands before a `# ->` line printed no status, or more than one
    (every call gets its own check); commands followed by no `# ->` line
    printed a status (a call nobody checks);
  - a status or the error codes differ from what the line says;
  - a command fails (`set -e`), or a step runs longer than STEP_TIMEOUT;
  - the guide leaves a background job running (it stops what it starts).

`python -m tests.guide_runner [--api URL] [PAGE...]` runs guides against a
`make run` already serving (docs/writing-guides.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE_MARK = "<!-- guide: its sh blocks run in CI, checked line by line (docs/writing-guides.md) -->"
RUNNABLE = {"sh", "bash"}
STEP_TIMEOUT = 45.0

_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([^\s`]*)")
_EXPECT = re.compile(r"^\s*# ->(.*)$")
_STATUS_LINE = re.compile(r"^\d{3}$")


class GuideError(AssertionError):
    """The guide does not run as printed, or its page breaks the convention."""


@dataclass(frozen=True)
class Expectation:
    status: int
    codes: tuple[int, ...]
    line: int  # 1-based, in the page


@dataclass(frozen=True)
class Step:
    commands: str
    expect: Expectation | None
    line: int  # the step's first line in the page


@dataclass(frozen=True)
class Guide:
    path: Path
    steps: tuple[Step, ...]

    @property
    def checks(self) -> int:
        return sum(step.expect is not None for step in self.steps)


def pages(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def guide_pages(root: Path = ROOT) -> list[Path]:
    """The pages that are guides (GUIDE_MARK on a line of its own), unparsed."""
    return [path for path in pages(root) if _mark_lines(path.read_text(encoding="utf-8"))]


def _mark_lines(text: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), start=1) if line.strip() == GUIDE_MARK]


def guides(root: Path = ROOT) -> list[Guide]:
    """Every guide of the repository; GuideError when any page breaks the convention."""
    return [guide for path in pages(root) if (guide := parse(path, path.read_text(encoding="utf-8")))]


def parse(path: Path, text: str) -> Guide | None:
    """The steps of the page's sh blocks after GUIDE_MARK when it is a guide, None
    when it is not (and has no `# ->` line)."""
    marks = _mark_lines(text)
    is_guide, mark_line = bool(marks), (marks[0] if marks else None)
    steps: list[Step] = []
    for block_start, language, lines in _blocks(text, path.name):
        runs = language in RUNNABLE and is_guide and block_start > mark_line
        buffer: list[str] = []
        for number, line in enumerate(lines, start=block_start):
            match = _EXPECT.match(line)
            if match is None:
                buffer.append(line)
                continue
            where = f"{path.name}:{number}"
            if not runs:
                raise GuideError(f"{where}: a `# ->` line outside a guide's sh block is never checked")
            if not any(_is_command(text_line) for text_line in buffer):
                raise GuideError(f"{where}: `# ->` with no command before it")
            steps.append(Step("\n".join(buffer), expectation(match.group(1), number, where), number - len(buffer)))
            buffer = []
        if runs and any(_is_command(text_line) for text_line in buffer):
            steps.append(Step("\n".join(buffer), None, block_start + len(lines) - len(buffer)))
    for number, line in enumerate(_outside_blocks(text, path.name), start=1):
        if line is not None and _EXPECT.match(line):
            raise GuideError(f"{path.name}:{number}: a `# ->` line outside a code block is never checked")
    if not is_guide:
        return None
    guide = Guide(path, tuple(steps))
    if guide.checks == 0:
        raise GuideError(f"{path.name}: a guide with no `# ->` line checks nothing")
    return guide


def expectation(spec: str, line: int, where: str) -> Expectation:
    """`# -> STATUS [CODES] [TEXT]`, as the module's docstring defines it."""
    match = re.match(r"\s*([1-5]\d\d)(?:\s+|$)(.*)$", spec)
    if match is None:
        raise GuideError(f"{where}: `# ->{spec}` does not start with an HTTP status")
    status, rest = int(match.group(1)), match.group(2).strip()
    if status < 400:
        return Expectation(status, (), line)
    if rest.startswith("["):
        entries, closed, _ = rest[1:].partition("]")
        items = [entry.strip() for entry in entries.split(",")]
        codes = [re.match(r"(\d+)(?:\s|$)", item) for item in items]
        if not closed or not all(codes):
            raise GuideError(f"{where}: `# ->{spec}`: each entry of the list is a code then text without a comma")
        return Expectation(status, tuple(int(code.group(1)) for code in codes), line)
    code = re.match(r"(\d+)(?:\s|$)", rest)
    if code is None:
        raise GuideError(f"{where}: `# ->{spec}`: an error status needs its error code(s)")
    return Expectation(status, (int(code.group(1)),), line)


def _is_command(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _blocks(text: str, name: str) -> Iterator[tuple[int, str, list[str]]]:
    """(first line number of the content, language, content lines) of each fenced block."""
    fence, language, start, content = None, "", 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is None and match:
            fence, language, start, content = match.group(1), match.group(2), number + 1, []
        elif fence is not None and match and match.group(1).startswith(fence) and not match.group(2):
            yield start, language, content
            fence = None
        elif fence is not None:
            content.append(line)
    if fence is not None:
        raise GuideError(f"{name}:{start - 1}: a code block that is never closed")


def _outside_blocks(text: str, name: str) -> Iterator[str | None]:
    """Each line of the page, None for lines inside a fenced block (fences included)."""
    inside = set()
    for start, _, content in _blocks(text, name):
        inside.update(range(start - 1, start + len(content) + 1))
    for number, line in enumerate(text.splitlines(), start=1):
        yield None if number in inside else line


# ----------------------------------------------------------------- running

class BashSession:
    """One bash reading the guide's commands from a pipe, as a terminal's shell would."""

    def __init__(self, env: dict[str, str], cwd: Path = ROOT):
        self._process = subprocess.Popen(  # noqa: S603 - bash, running the repository's own guides
            [shutil.which("bash") or "/bin/bash", "--noprofile", "--norc"], cwd=cwd, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._write("set -euo pipefail\n")

    def _read(self) -> None:
        for raw in iter(self._process.stdout.readline, b""):
            self._lines.put(raw.decode(errors="replace").rstrip("\n"))
        self._lines.put(None)

    def _write(self, text: str) -> None:
        try:
            self._process.stdin.write(text.encode())
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # bash has exited: run() reports it with what it printed

    def run(self, commands: str, timeout: float = STEP_TIMEOUT) -> list[str]:
        """What the commands printed (stdout and stderr, line by line)."""
        done = f"__guide_step_done_{uuid.uuid4().hex}__"
        self._write(f"{commands}\nprintf '\\n%s\\n' {done}\n")
        output: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise GuideError(f"still running after {timeout:.0f} s; printed:\n" + "\n".join(output)) from None
            if line is None:
                raise GuideError(f"a command failed (bash exited with status {self._process.wait()}); printed:\n"
                                 + "\n".join(output))
            if line == done:
                return output
            output.append(line)

    def close(self) -> None:
        """Ends bash, and whatever the guide left running in its process group."""
        with contextlib.suppress(OSError):
            self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()


def error_codes(answer: object) -> tuple | None:
    """The codes of an answer's `errors`, in order: each entry's, in our
    errors body; in seed 004's (its messages and our `code`), that code for
    each message. None when it carries no `errors`."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not isinstance(errors, list):
        return None
    if isinstance(answer.get("code"), int):
        return (answer["code"],) * len(errors)
    return tuple(entry.get("error") if isinstance(entry, dict) else None for entry in errors)


def check(step: Step, output: list[str], where: str) -> None:
    """The step printed exactly the statuses its `# ->` line (or its lack of one) allows."""
    statuses = [index for index, line in enumerate(output) if _STATUS_LINE.match(line.strip())]
    shown = "\n".join(output)
    if step.expect is None:
        if statuses:
            raise GuideError(f"{where}: a call whose status no `# ->` line checks:\n{step.commands}\n{shown}")
        return
    if len(statuses) != 1:
        raise GuideError(f"{where}: {len(statuses)} statuses printed for one `# ->` line "
                         f"(one call per check):\n{step.commands}\n{shown}")
    index = statuses[0]
    status, body = int(output[index].strip()), output[index - 1] if index else ""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    codes = error_codes(answer)
    expected = step.expect
    if status != expected.status:
        raise GuideError(f"{where}: answered {status}, the guide says {expected.status}:\n{step.commands}\n{shown}")
    if expected.status >= 400 and codes != expected.codes:
        raise GuideError(f"{where}: error codes {codes}, the guide says {list(expected.codes)}:\n"
                         f"{step.commands}\n{shown}")
    if expected.status < 400 and codes is not None:
        raise GuideError(f"{where}: a {status} carrying errors {codes}:\n{step.commands}\n{shown}")


def run(guide: Guide, api: str, hook_port: int | None = None) -> int:
    """Runs the guide in a bash session of its own; the number of `# ->` lines it passed."""
    env = {**os.environ, "API": api}
    env.pop("BASH_ENV", None)
    if hook_port is not None:
        env["HOOK_PORT"] = str(hook_port)
    bash = BashSession(env)
    try:
        for step in guide.steps:
            where = f"{guide.path.name}:{step.expect.line if step.expect else step.line}"
            try:
                output = bash.run(step.commands)
            except GuideError as exc:
                raise GuideError(f"{where}: {exc}\n{step.commands}") from None
            check(step, output, where)
        left = [line for line in bash.run("jobs -rp") if line.strip()]
        if left:
            raise GuideError(f"{guide.path.name}: left background jobs running (pids {', '.join(left)})")
    finally:
        bash.close()
    return guide.checks


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m tests.guide_runner", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--api", default=os.environ.get("API", "http://127.0.0.1:3000"))
    cli.add_argument("--hook-port", type=int, default=None, help="the webhook receiver's port (HOOK_PORT)")
    cli.add_argument("pages", nargs="*", type=Path, help="guides to run (default: every guide)")
    args = cli.parse_args(argv)
    chosen = [parse(page, page.read_text(encoding="utf-8")) for page in args.pages] if args.pages else guides()
    for guide in chosen:
        if guide is None:
            print("not a guide (no GUIDE_MARK line)", file=sys.stderr)
            return 2
        started = time.monotonic()
        checks = run(guide, args.api, args.hook_port)
        print(f"{guide.path.name}: {checks} checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
