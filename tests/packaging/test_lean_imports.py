"""What a cold start leaves out stays out, and Powertools still works whole
for whoever asks for it (refunds_core/lean_imports.py)."""

import json
import subprocess
import sys

from bench import cold

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
print(json.dumps({"status": answer["statusCode"], "loaded": loaded,
                  "whole": whole.APIGatewayRestResolver is app.app.__class__ and hasattr(whole, "AppSyncResolver")}))
"""
NEVER_LOADED = ["asyncio", "aws_lambda_powertools.event_handler.appsync",
                "aws_lambda_powertools.event_handler.bedrock_agent", "aws_lambda_powertools.event_handler.vpc_lattice"]


def test_a_request_loads_none_of_the_resolvers_we_do_not_use_and_the_package_stays_whole_on_demand():
    spec = cold.function_specs()["CreateRefundFunction"]
    with cold.Site() as site:
        done = subprocess.run(  # noqa: S603 - our interpreter
            [*cold.python_args(SERVE_ONE), str(cold.ROOT / "events/create_refund.json"), *NEVER_LOADED],
            env=cold.function_env(spec, site), cwd=spec.code_uri, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["status"] == 401
    assert found["loaded"] == [], f"a cold start imports {found['loaded']} again"
    # Asking the package for a name it exports runs its __init__: everything is there.
    assert found["whole"] is True


def test_the_deliverer_builds_what_its_threads_use_before_they_start():
    """pydantic builds a deferred model on first use, and boto3 makes clients,
    in ways that are not thread-safe: the ten delivery threads must find them made."""
    spec = cold.function_specs()["DeliverWebhooksFunction"]
    probe = ("import json, app; from refunds_core import aws, settings; from refunds_core.webhook_tasks import "
             "DeliveryTask; print(json.dumps([DeliveryTask.__pydantic_complete__, settings.settings.cache_info()"
             ".currsize, aws.dynamodb.cache_info().currsize, aws.sqs.cache_info().currsize]))")
    with cold.Site() as site:
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
