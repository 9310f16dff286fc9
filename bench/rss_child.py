"""A fresh execution environment for the peak-RSS measurement (stdlib only:
it runs on the function's sys.path, like localrun/worker.py).

    python -S -P rss_child.py <module.function> <events.json> <result.json>

Imports the handler, serves each event once, and writes {"after_import_mb",
"peak_mb", "statuses", "import_cpu_ms", "first_request_cpu_ms",
"later_request_cpu_ms"} to result.json (peak resident MiB; the CPU of the
handler's import, of the first request - clients made, signing key and account
read, models built - and the median of the others).
"""

import importlib
import json
import os
import resource
import statistics
import sys
import time
import uuid


class LambdaContext:
    def __init__(self):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = self.log_stream_name = "bench"
        self.identity = self.client_context = None
        self._deadline = time.time() + 10

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _maxrss_mb() -> float:
    """This process's peak resident memory, MiB. VmHWM is the high-water mark
    of the memory this program mapped; ru_maxrss would not do here, as Linux
    carries the parent's peak over fork and exec into the child's."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def main(argv: list[str]) -> int:
    module_name, _, attribute = argv[1].rpartition(".")
    with open(argv[2]) as source:
        events = json.load(source)
    began = time.process_time()
    handler = getattr(importlib.import_module(module_name), attribute)
    import_cpu = time.process_time() - began
    after_import = _maxrss_mb()
    statuses, cpu = [], []
    for event in events:
        began = time.thread_time()
        statuses.append(handler(event, LambdaContext())["statusCode"])
        cpu.append(time.thread_time() - began)
    with open(argv[3], "w") as out:
        json.dump({"after_import_mb": after_import, "peak_mb": _maxrss_mb(), "statuses": statuses,
                   "import_cpu_ms": round(import_cpu * 1000, 1), "first_request_cpu_ms": round(cpu[0] * 1000, 1),
                   "later_request_cpu_ms": round(statistics.median(cpu[1:] or cpu) * 1000, 1)}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
