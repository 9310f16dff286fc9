"""Every guide of the docs runs as printed against a fresh `make run`, and
every status and error code it shows is what the API answers
(tests/guide_runner.py defines the `# ->` convention; docs/writing-guides.md).

The server is `python -m localrun serve`, what `make run` starts, on a free
port: the demo order seeded, throttling on, nothing another test made. Each
guide runs in a bash session of its own, one after another on that server,
so a guide that leans on another's ids or state fails here.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.guide_runner import guide_pages, parse, run

pytestmark = pytest.mark.server

STARTUP_TIMEOUT = 60.0
GUIDE_PAGES = guide_pages()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    """The URL of a `python -m localrun serve` of this module's own, and its log (stderr)."""
    log = tmp_path_factory.mktemp("make-run") / "stderr.log"
    with open(log, "wb") as stderr:
        server = subprocess.Popen(  # noqa: S603 - this interpreter, the repository's own runtime
            [sys.executable, "-m", "localrun", "serve"], cwd=ROOT, env={**os.environ, "PORT": "0"},
            stdout=subprocess.PIPE, stderr=stderr)
    banner: queue.Queue[str | None] = queue.Queue()

    def read_stdout() -> None:  # the banner, then whatever else it prints, so the pipe never fills
        for line in iter(server.stdout.readline, b""):
            banner.put(line.decode(errors="replace"))
        banner.put(None)

    threading.Thread(target=read_stdout, daemon=True).start()
    try:
        while True:
            line = banner.get(timeout=STARTUP_TIMEOUT)
            assert line is not None, f"make run exited ({server.wait()}):\n{_log_tail(log)}"
            started = re.match(r"Refund Requests API \(local\) on (http://\S+)", line)
            if started:
                break
        yield started.group(1), log
    finally:
        server.send_signal(signal.SIGTERM)  # serve stops its workers and the embedded AWS
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=[page.name for page in GUIDE_PAGES])
def test_the_guide_runs_as_printed(page, make_run):
    url, log = make_run
    guide = parse(page, page.read_text(encoding="utf-8"))
    try:
        checks = run(guide, url, hook_port=_free_port())
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n--- make run's log, last lines ---\n{_log_tail(log)}") from None
    assert checks == guide.checks > 0
