"""Lambda execution environments as worker processes, pooled per function.

A request takes an idle worker (warm) or starts one (a cold start) while the
function is under its concurrency limit, else waits for one to free up. A
worker whose handler raised, that died or overran the function's Timeout is
killed; a later request starts a fresh one, as Lambda resets an execution
environment after an error.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localrun.template import FunctionSpec

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INIT_TIMEOUT_SECONDS = 10  # Lambda's limit on a function's init phase
DEFAULT_MAX_CONCURRENCY = 10
# Lambda starts every environment of a burst at once, each on a machine of
# its own. Here they share a laptop's cores: ten imports of boto3, pydantic
# and Powertools at once take several times longer each. Starting only this
# many at a time lets the rest of a burst go to workers that are already warm.
MAX_PARALLEL_COLD_STARTS = max(2, os.cpu_count() or 2)

_LOG_LOCK = threading.Lock()  # whole lines from concurrent workers, never interleaved


class WorkerDied(Exception):
    pass


class WorkerTimedOut(Exception):
    pass


class InitFailed(Exception):
    def __init__(self, error: dict):
        super().__init__(error.get("message"))
        self.error = error


@dataclass(frozen=True)
class Invocation:
    outcome: str          # "ok", "error" (the handler raised), "crash" (the worker died), "timeout"
    payload: Any          # the handler's response, or {"type", "message", "trace"}
    cold: bool
    duration_ms: float
    request_id: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def log_line(text: str) -> None:
    with _LOG_LOCK:
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()


def shows_metrics(env: dict[str, str]) -> bool:
    """Whether the functions' metric documents reach the log (LOCAL_SHOW_METRICS=1)."""
    return env.get("LOCAL_SHOW_METRICS", "").strip().lower() in {"1", "true", "yes"}


def is_metric_document(line: bytes) -> bool:
    """A CloudWatch embedded-metric-format document, as Powertools' Metrics
    prints one per invocation: Lambda turns it into metrics, and in a local
    request log it is only noise."""
    if not line.lstrip().startswith(b'{"_aws"'):
        return False
    try:
        document = json.loads(line)
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("_aws"), dict)


def _forward_log(stream, prefix: str, show_metrics: bool = False) -> None:
    """Copies a worker's stderr (its print()s and logs) to ours, line by line;
    metric documents only when asked."""
    for line in iter(stream.readline, b""):
        if show_metrics or not is_metric_document(line):
            log_line(prefix + line.decode(errors="replace"))
    stream.close()


def _error(error_type: str, message: str) -> dict:
    return {"type": error_type, "message": message, "trace": []}


# ------------------------------------------------------------------ worker

class Worker:
    """One worker process and the two ends of its protocol."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str]):
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our script, the template's handler
            # -P: the script's own directory (localrun/) stays off the handler's sys.path.
            [sys.executable, "-P", str(WORKER_SCRIPT), spec.handler],
            cwd=spec.code_uri, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0,
        )
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._buffer = bytearray()
        self._kill_lock, self._killed = threading.Lock(), False
        threading.Thread(target=_forward_log,
                         args=(self.process.stderr, f"[{spec.logical_id}] ", shows_metrics(env)),
                         name=f"log-{spec.logical_id}-{self.process.pid}", daemon=True).start()

    def send(self, message: dict) -> None:
        data = memoryview(json.dumps(message).encode() + b"\n")
        try:
            while data:  # an unbuffered pipe write may take only part of a large event
                data = data[self.process.stdin.write(data):]
        except (OSError, ValueError) as exc:  # ValueError: the pipe was closed by kill()
            raise WorkerDied(str(exc)) from exc

    def receive(self, deadline: float) -> dict:
        """The worker's next message, waiting until `deadline` (time.monotonic())."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimedOut()
            try:
                if not self._selector.select(remaining):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 1 << 16)
            except (OSError, ValueError) as exc:  # the pool closed under us
                raise WorkerDied(str(exc)) from exc
            if not chunk:
                raise WorkerDied(f"exit code {self.process.wait()}")
            self._buffer += chunk
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = bytearray(rest)
        return json.loads(line)

    def wait_ready(self) -> None:
        """The init phase: the worker imports the handler, then says ready."""
        try:
            ready = self.receive(time.monotonic() + INIT_TIMEOUT_SECONDS)
        except (WorkerDied, WorkerTimedOut) as exc:
            raise InitFailed(_error("Runtime.InitError", f"init failed: {exc!r}")) from exc
        if "error" in ready:
            raise InitFailed(ready["error"])

    def kill(self) -> None:
        """Idempotent: the pool's close() and the thread using the worker may both call it."""
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._selector.close()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()


# -------------------------------------------------------------------- pool

class FunctionPool:
    """The execution environments of one function."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], *, max_concurrency: int, function_arn: str):
        self.spec, self._env, self._max, self._arn = spec, env, max_concurrency, function_arn
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._unspawned = 0      # slots taken by workers whose process is being created
        self._cold_starting = 0  # workers being created or initialized
        self._changed = threading.Condition()
        self._closed = False

    def invoke(self, event: dict) -> Invocation:
        started, request_id = time.monotonic(), str(uuid.uuid4())
        try:
            worker, cold = self._acquire()
        except (WorkerDied, InitFailed) as exc:
            error = exc.error if isinstance(exc, InitFailed) else _error("Runtime.ExitError", str(exc))
            log_line(f"[{self.spec.logical_id}] {request_id} {error['type']}: {error['message']}")
            return Invocation("crash", error, True, (time.monotonic() - started) * 1000, request_id)
        outcome, payload = self._run(worker, event, request_id)
        self._release(worker, healthy=outcome == "ok")
        return Invocation(outcome, payload, cold, (time.monotonic() - started) * 1000, request_id)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = self._all.difference(idle)
            self._changed.notify_all()
        for worker in idle:
            worker.kill()
        for worker in busy:
            # Only the signal: the thread running the invocation sees the worker
            # die and releases it (closing pipes under it could hit a reused fd).
            worker.process.kill()
            worker.process.wait()

    def _run(self, worker: Worker, event: dict, request_id: str) -> tuple[str, Any]:
        timeout = self.spec.timeout
        try:
            worker.send({"event": event, "requestId": request_id, "invokedFunctionArn": self._arn,
                         "deadlineMs": int(time.time() * 1000) + timeout * 1000})
            reply = worker.receive(time.monotonic() + timeout)
        except WorkerTimedOut:
            message = f"Task timed out after {timeout} seconds"
            log_line(f"[{self.spec.logical_id}] {request_id} {message}")
            return "timeout", _error("Sandbox.Timedout", message)
        except WorkerDied as exc:
            log_line(f"[{self.spec.logical_id}] {request_id} Runtime.ExitError: the worker died ({exc})")
            return "crash", _error("Runtime.ExitError", f"worker died: {exc}")
        if "error" in reply:
            return "error", reply["error"]
        return "ok", reply["response"]

    # ------------------------------------------------------------- slots

    def _acquire(self) -> tuple[Worker, bool]:
        """An idle worker, or a new one once there is room for it."""
        with self._changed:
            while True:
                if self._closed:
                    raise WorkerDied("the runtime is stopping")
                if self._idle:
                    return self._idle.pop(), False
                if self._may_start_one():
                    break
                self._changed.wait()
            self._unspawned += 1
            self._cold_starting += 1
        try:  # starting and importing take a second: not under the lock
            worker = self._spawn()
            try:
                worker.wait_ready()
            except BaseException:
                self._release(worker, healthy=False)
                raise
        finally:
            with self._changed:
                self._cold_starting -= 1
                self._changed.notify_all()
        return worker, True

    def _spawn(self) -> Worker:
        try:
            worker = Worker(self.spec, self._env)
        except BaseException:
            with self._changed:
                self._unspawned -= 1
            raise
        with self._changed:  # one step, so the slot is never counted twice or not at all
            self._unspawned -= 1
            self._all.add(worker)  # from now on close() kills it, even mid-init
        return worker

    def _may_start_one(self) -> bool:
        return (len(self._all) + self._unspawned < self._max
                and self._cold_starting < MAX_PARALLEL_COLD_STARTS)

    def _release(self, worker: Worker, *, healthy: bool) -> None:
        with self._changed:
            keep = healthy and not self._closed
            if keep:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
            self._changed.notify()
        if not keep:
            worker.kill()


class LambdaPools:
    """One FunctionPool per function, made when the runtime starts (no process
    runs until a request needs one)."""

    def __init__(self, pools: dict[str, FunctionPool]):
        self._pools = pools

    def invoke(self, logical_id: str, event: dict) -> Invocation:
        return self._pools[logical_id].invoke(event)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()


def max_concurrency_from_env() -> int:
    return int(os.environ.get("LOCAL_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY))
