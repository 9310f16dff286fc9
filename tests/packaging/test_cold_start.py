"""What a function's cold start imports: only what its first request needs."""

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
