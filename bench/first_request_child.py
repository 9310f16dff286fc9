"""One cold execution environment, timed from outside (bench/first_request.py).
Stdlib only: it runs on the function's sys.path, as Lambda starts one.

    python -S -P first_request_child.py init    <module.function>
    python -S -P first_request_child.py request <module.function> <event.json> [calls.json]

`init` imports the handler; `request` imports it and serves the one event in
event.json (the first request of this environment). Both then leave with
os._exit: Lambda freezes or kills an environment, it never runs the
interpreter's shutdown, so neither does this. The exit status is 0 for a 2xx
answer, 3 for another (its status and body on stderr). With calls.json, the
AWS calls the request made are written there (botocore's before-send on every
client): a separate, untimed run, since the hook itself costs time. With
BENCH_PROFILE=<file> in the environment, the import and the request run under
cProfile and its stats are written there (`python -m bench.first_request --profile`).
"""

import importlib
import json
import os
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


def record_calls(sent: list) -> None:
    """Every botocore client made from now on appends "service.Operation" to `sent`."""
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-send", lambda event_name, **_: sent.append(
            ".".join(event_name.split(".")[1:3])))
        return client

    botocore.session.Session.create_client = create_client


def main(argv: list[str]) -> None:
    profile = os.environ.pop("BENCH_PROFILE", None)
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    mode, spec = argv[1], argv[2]
    sent: list[str] = []
    if len(argv) > 4:
        record_calls(sent)
    module_name, _, attribute = spec.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    if mode == "request":
        with open(argv[3]) as source:
            event = json.load(source)
        answer = handler(event, LambdaContext())
        if len(argv) > 4:
            with open(argv[4], "w") as out:
                json.dump(sent, out)
        if not 200 <= answer["statusCode"] < 300:
            sys.stderr.write(f"answered {answer['statusCode']}: {str(answer.get('body'))[:500]}\n")
            sys.stderr.flush()
            os._exit(3)
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
