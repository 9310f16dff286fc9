"""One Lambda execution environment: imports a function's handler once, then
runs the events the pool sends it, one at a time, until its input closes.

Started by lambda_pool as `python -P worker.py <module.function>` with the
function's CodeUri as cwd and its environment; stdlib only, because it shares
the function's sys.path (the layer + the code, like /opt/python + /var/task).

Protocol, one JSON document per line:
  worker -> pool  {"ready": true} once the handler is imported (or {"error": ...} and exit)
  pool -> worker  {"event": ..., "requestId": ..., "deadlineMs": ..., "invokedFunctionArn": ...}
  worker -> pool  {"response": ...} or {"error": {"type", "message", "trace"}}
The protocol has its own copies of the original stdin/stdout; fd 1 is then
pointed at stderr, so print() and Powertools' logs (which go to stdout) land
in the log stream like in Lambda, never in the protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from typing import Any, BinaryIO


class LambdaContext:
    """What the Lambda runtime passes as `context`."""

    def __init__(self, request: dict):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = request.get("invokedFunctionArn", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request["requestId"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(request["deadlineMs"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def claim_protocol_channels() -> tuple[BinaryIO, BinaryIO]:
    requests_in = os.fdopen(os.dup(0), "rb")
    replies_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # handler code reading stdin gets EOF, not our protocol
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True)  # a log line shows when it is printed
    return requests_in, replies_out


def error_of(exc: BaseException, error_type: str | None = None) -> dict:
    return {"type": error_type or type(exc).__name__, "message": str(exc),
            "trace": traceback.format_exception(exc)}


def reply(out: BinaryIO, message: dict) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


def load_handler(spec: str):
    module_name, _, function_name = spec.rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


def take_snapshot() -> None:
    """SnapStart's before-snapshot hooks, as Lambda runs them once init is done
    (in the reverse order of their registration). Nothing without the library."""
    try:
        import snapshot_restore_py
    except ImportError:
        return
    for hook, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        hook(*args, **kwargs)


def restore() -> None:
    """SnapStart's after-restore hooks, as Lambda runs them in each environment
    it resumes from the snapshot (in the order of their registration)."""
    try:
        import snapshot_restore_py
    except ImportError:
        return
    for hook, args, kwargs in snapshot_restore_py.get_after_restore():
        hook(*args, **kwargs)


def invoke(handler, request: dict) -> dict:
    try:
        response = handler(request["event"], LambdaContext(request))
    except Exception as exc:
        exc.__traceback__ = exc.__traceback__.tb_next  # the trace starts in the handler, not here
        error = error_of(exc)
        # Lambda logs an unhandled error in the function's log stream.
        print(f"[ERROR] {error['type']}: {error['message']}\n" + "".join(error["trace"]), end="",
              file=sys.stderr, flush=True)
        return {"error": error}
    return marshal(response)


def marshal(response: Any) -> dict:
    try:
        json.dumps(response)
    except (TypeError, ValueError) as exc:
        return {"error": error_of(exc, "Runtime.MarshalError")}
    return {"response": response}


def main(argv: list[str]) -> int:
    requests_in, replies_out = claim_protocol_channels()
    # Ctrl-C in a terminal reaches the whole process group; the pool, not the
    # keyboard, decides when an execution environment ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        handler = load_handler(argv[1])
        if os.environ.get("LOCAL_SNAPSTART") == "1":  # the function's SnapStart is on: snapshot, then restore
            take_snapshot()
            restore()
    except Exception as exc:
        traceback.print_exc()
        reply(replies_out, {"error": error_of(exc, "Runtime.ImportModuleError")})
        return 1
    reply(replies_out, {"ready": True})
    for line in requests_in:
        reply(replies_out, invoke(handler, json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
