"""What a cold start leaves out stays out, and Powertools still works whole
for whoever asks for it (refunds_core/lean_imports.py). Ruff bans the names
whose lookup would run the event_handler package's __init__ (pyproject.toml),
and every import of it in the handlers (functions/ruff.toml)."""

import ast
import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bench import cold
from refunds_core import lean_imports

PACKAGE = "aws_lambda_powertools.event_handler"

# A handler import and one request answered without AWS (no credentials: 401),
# in a fresh interpreter on the Lambda-like sys.path of the bench.
SERVE_ONE = """
import json, sys, types
import app
context = types.SimpleNamespace(function_name="f", memory_limit_in_mb=512, invoked_function_arn="arn",
                                aws_request_id="r")
event = json.load(open(sys.argv[1]))
event["headers"].pop("Authorization")
event["multiValueHeaders"].pop("Authorization", None)
answer = app.lambda_handler(event, context)
loaded = sorted(name for name in sys.modules if name in sys.argv[2:])
whole = __import__("aws_lambda_powertools.event_handler", fromlist=["AppSyncResolver"])
classes = __import__("aws_lambda_powertools.utilities.data_classes", fromlist=["__all__"])
print(json.dumps({"status": answer["statusCode"], "loaded": loaded,
                  "whole": isinstance(app.app, whole.APIGatewayRestResolver) and hasattr(whole, "AppSyncResolver"),
                  "classes_whole": len(classes.__all__) > 40
                  and all(hasattr(classes, name) for name in classes.__all__)}))
"""

# What the package's __init__ imports and no function uses.
UNUSED_RESOLVERS = [f"{PACKAGE}.appsync", f"{PACKAGE}.bedrock_agent", f"{PACKAGE}.vpc_lattice"]
# Event classes the data classes package's __init__ imports and no API function uses.
UNUSED_EVENT_CLASSES = [f"{lean_imports.DATA_CLASSES}.{module}" for module in
                        ("kafka_event", "code_pipeline_job_event", "cloud_watch_logs_event", "appsync_resolver_event")]
NEVER_LOADED = ["asyncio", *UNUSED_RESOLVERS, *UNUSED_EVENT_CLASSES]  # nor asyncio
# Cold starts of every function, cheaply: one fresh interpreter on Lambda's paths imports the
# bulk of every cold start (boto3, pydantic: neither imports Powertools, as it asserts), then forks
# a child per function (as many at once as there are CPUs), which imports that function's handler
# as Lambda would from there and prints which of argv's modules it loaded.
EACH_FUNCTION = """
import json, os, sys, traceback
import boto3, pydantic
assert not [name for name in sys.modules if name.startswith(("aws_lambda_powertools", "refunds_core"))]
functions, watched = json.loads(sys.argv[1]), set(sys.argv[2:])

def reap():
    if os.wait()[1] != 0:
        sys.exit("a function's import failed")

running = 0
for name, (code_uri, env) in functions.items():
    if running == os.cpu_count():
        reap()
        running -= 1
    if os.fork() == 0:
        status = 1
        try:
            os.chdir(code_uri); os.environ.clear(); os.environ.update(env); sys.path.insert(0, code_uri)
            import app
            print(json.dumps({name: sorted(watched & set(sys.modules))}), flush=True)
            status = 0
        except BaseException:
            print(name, traceback.format_exc(), file=sys.stderr)
        finally:
            os._exit(status)
    running += 1
for _ in range(running):
    reap()
"""


@pytest.fixture(scope="module")
def site():
    with cold.Site() as lambda_like:
        yield lambda_like


def test_a_request_loads_none_of_the_resolvers_we_do_not_use_and_the_package_stays_whole_on_demand(site):
    spec = cold.function_specs()["CreateRefundFunction"]
    done = subprocess.run(  # noqa: S603 - our interpreter
        [*cold.python_args(SERVE_ONE), str(cold.ROOT / "events/create_refund.json"), *NEVER_LOADED],
        env=cold.function_env(spec, site), cwd=spec.code_uri, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["status"] == 401
    assert found["loaded"] == [], f"a cold start imports {found['loaded']} again"
    # Asking the package for a name it exports runs its __init__: everything is there.
    assert found["whole"] is True
    assert found["classes_whole"] is True


def test_no_function_loads_the_resolvers_we_do_not_use(site):
    """Each function's cold start: a handler that imported the package (even a
    submodule) before refunds_core, or a library that imports the package's
    top-level names, would load them all."""
    specs = cold.function_specs()
    functions = {name: (str(spec.code_uri), cold.function_env(spec, site)) for name, spec in specs.items()}
    env = {**cold.function_env(specs["CreateRefundFunction"], site), "PYTHONPATH": site.pythonpath()}
    done = subprocess.run([*cold.python_args(EACH_FUNCTION), json.dumps(functions), *UNUSED_RESOLVERS],  # noqa: S603
                          env=env, cwd=cold.ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = {name: loaded for line in done.stdout.splitlines() for name, loaded in json.loads(line).items()}
    assert len(found) == len(specs) == len(list((cold.ROOT / "functions").glob("*/app.py")))  # every one
    assert {name: loaded for name, loaded in found.items() if loaded} == {}


def test_ruff_bans_every_name_the_package_exports():
    """A Powertools upgrade that exports a new name from the package fails
    here until pyproject.toml bans it too."""
    init = ast.parse(Path(importlib.util.find_spec(PACKAGE).origin).read_text(encoding="utf-8"))
    exported = next(ast.literal_eval(node.value) for node in init.body if isinstance(node, ast.Assign)
                    and any(getattr(target, "id", None) == "__all__" for target in node.targets))
    root = tomllib.loads((cold.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]
    assert set(root["lint"]["flake8-tidy-imports"]["banned-api"]) == {f"{PACKAGE}.{name}" for name in exported}
    handlers = tomllib.loads((cold.ROOT / "functions" / "ruff.toml").read_text(encoding="utf-8"))
    assert set(handlers["lint"]["flake8-tidy-imports"]["banned-api"]) == {PACKAGE}


def test_each_data_class_name_comes_from_the_submodule_the_package_takes_it_from():
    """A Powertools upgrade that moves or adds a name fails here until
    lean_imports.DATA_CLASSES_EXPORTS says the same as the package's __init__."""
    init = ast.parse(Path(importlib.util.find_spec(lean_imports.DATA_CLASSES).origin).read_text(encoding="utf-8"))
    bound = {alias.asname or alias.name: node.module for node in init.body
             if isinstance(node, ast.ImportFrom) and node.level == 1 for alias in node.names}
    assert bound == lean_imports.DATA_CLASSES_EXPORTS


def test_the_deliverer_builds_what_its_threads_use_before_they_start(site):
    """pydantic builds a deferred model on first use, and boto3 makes clients,
    in ways that are not thread-safe: the ten delivery threads must find them made."""
    spec = cold.function_specs()["DeliverWebhooksFunction"]
    probe = ("import json, app; from refunds_core import aws, settings; from refunds_core.webhook_tasks import "
             "DeliveryTask; print(json.dumps([DeliveryTask.__pydantic_complete__, settings.settings.cache_info()"
             ".currsize, aws.dynamodb.cache_info().currsize, aws.sqs.cache_info().currsize]))")
    done = subprocess.run(cold.python_args(probe), env=cold.function_env(spec, site),  # noqa: S603
                          cwd=spec.code_uri, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [True, 1, 1, 1]


def test_the_deferred_package_behaves_as_an_imported_one():
    """Dotted access, a star import and lookups from eight threads at once all
    see the whole package once they ask for it."""
    probe = """
import json, sys, threading
import refunds_core
import aws_lambda_powertools
parent_names_it = aws_lambda_powertools.event_handler is sys.modules["aws_lambda_powertools.event_handler"]
found = []
def look():
    from aws_lambda_powertools.event_handler import AppSyncResolver
    found.append(AppSyncResolver.__name__)
threads = [threading.Thread(target=look) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
names = {}
exec("from aws_lambda_powertools.event_handler import *", names)
print(json.dumps([parent_names_it, found, "APIGatewayRestResolver" in names]))
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=cold.ROOT / "shared",  # noqa: S603 - our interpreter
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [True, ["AppSyncResolver"] * 8, True]
