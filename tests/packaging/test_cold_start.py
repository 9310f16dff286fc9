"""What a function's cold start imports: only what its first request needs."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_no_function_loads_the_idempotency_utility_before_a_request_has_a_key():
    """Cold starts stay as they were: the utility (and its persistence layer)
    is imported by the first request that carries an Idempotency-Key."""
    script = ("import sys; from tests.conftest import load_handler\n"
              "for fn in ('GetRefundFunction', 'CreateRefundFunction', 'IssueTokenFunction'): load_handler(fn)\n"
              "print('aws_lambda_powertools.utilities.idempotency' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,  # noqa: S603
                            env={"PYTHONPATH": f"{ROOT}:{ROOT / 'shared'}", "PATH": ""})
    assert result.stdout.strip() == "False", result.stderr


def test_tracing_patches_botocore_with_the_first_client_not_at_import():
    """Tracing on (Lambda's environment): a handler's import leaves botocore
    alone; the first client patches it, so every AWS call is a subsegment."""
    from bench import cold

    spec = cold.function_specs()["GetRefundFunction"]
    probe = ("import app, json, sys; from refunds_core import aws\n"
             "patched = lambda: sorted(sys.modules['aws_xray_sdk.core.patcher']._PATCHED_MODULES)\n"
             "at_import = patched(); aws.dynamodb(); print(json.dumps([at_import, patched()]))")
    with cold.Site() as site:
        done = subprocess.run(cold.python_args(probe), env=cold.function_env(spec, site),  # noqa: S603
                              cwd=spec.code_uri, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [[], ["botocore"]]
