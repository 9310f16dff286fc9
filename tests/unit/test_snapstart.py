"""SnapStart (refunds_core/snapstart.py): environments restored from one
snapshot share nothing that must be their own. The snapshot is a process that
ran the function's init and the before-snapshot hooks (localrun/worker.py's
take_snapshot, as Lambda runs them); each restored environment is a fork of it
that runs the after-restore hooks (worker.restore) and serves a request."""

import json
import os
import subprocess
import sys

import pytest

from bench.first_request import Requests
from tests.conftest import ROOT

# Init, one request (Lambda serves none before its snapshot; this one fills
# every cache there is to forget), the snapshot, then two environments forked
# from it, one after the other, each restored and serving a create request.
SNAPSHOT_THEN_TWO_RESTORES = """
import json, os, random, sys, types
import app
from localrun.worker import restore, take_snapshot
from refunds_core import auth, aws
from ulid import ULID

events = json.loads(sys.argv[1])
context = types.SimpleNamespace(function_name="f", memory_limit_in_mb=512, invoked_function_arn="arn",
                                aws_request_id="r", get_remaining_time_in_millis=lambda: 10_000)

def state():
    return {"tokens": len(auth._verified_tokens), "accounts": len(auth._active_until),
            "clients": aws.dynamodb.cache_info().currsize, "secrets": aws.secrets.cache_info().currsize}

assert app.lambda_handler(events[0], context)["statusCode"] == 200
take_snapshot()
memory = random.getstate()  # what a restore resumes with (a fork reseeds random: a snapshot does not)
found = {"snapshot": {**state(), "models": [model.__pydantic_complete__ for model in
                                            __import__("refunds_core.snapstart").snapstart._models]},
         "restored": []}
for event in events[1:]:
    read, write = os.pipe()
    if os.fork() == 0:
        random.setstate(memory)
        restore()
        restored = {**state(), "jitter": random.random(), "ulid": str(ULID())}
        answer = app.lambda_handler(event, context)
        restored.update(status=answer["statusCode"], refund=json.loads(answer["body"])["data"]["id"])
        os.write(write, json.dumps(restored).encode())
        os._exit(0)
    os.close(write)
    os.wait()
    with os.fdopen(read) as pipe:
        found["restored"].append(json.loads(pipe.read()))
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def restored(runtime) -> dict:
    spec = runtime.functions["CreateRefundFunction"]
    make = Requests(runtime).event("CreateRefundFunction")  # a create on a fresh paid order, each call
    env = {**runtime.function_env("CreateRefundFunction"),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(spec.code_uri), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", SNAPSHOT_THEN_TWO_RESTORES,  # noqa: S603 - our interpreter
                           json.dumps([make(), make(), make()])],
                          env=env, cwd=spec.code_uri, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_snapshot_holds_the_clients_and_the_built_request_models(restored):
    snapshot = restored["snapshot"]
    assert snapshot["clients"] == 1 and snapshot["models"] == [True]
    assert snapshot["tokens"] == snapshot["accounts"] == snapshot["secrets"] == 1  # what the restores must forget


def test_each_restored_environment_starts_with_fresh_clients_and_caches(restored):
    for environment in restored["restored"]:
        assert {name: environment[name] for name in ("tokens", "accounts", "clients", "secrets")} == \
            {"tokens": 0, "accounts": 0, "clients": 0, "secrets": 0}
        assert environment["status"] == 200  # and serves: the signing key and the account read afresh


def test_two_environments_restored_from_one_snapshot_draw_different_ids_and_jitter(restored):
    first, second = restored["restored"]
    assert first["refund"] != second["refund"]
    assert first["ulid"] != second["ulid"]
    assert first["jitter"] != second["jitter"]  # retries of the two would otherwise collide in step
