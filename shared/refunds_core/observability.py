"""One Logger, Tracer and Metrics for the whole service (configured by POWERTOOLS_* variables)."""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from refunds_core import modes
from refunds_core.modes import Mode

logger = Logger()
# botocore is patched when the first client is made (trace_aws_calls), not at
# every function's import; the Tracer patches nothing else (the default patches
# every library it knows, importing sqlite3 and a dozen integrations).
tracer = Tracer(auto_patch=False)
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    """One more of a business metric, in the mode being handled: test mode's
    are named ``Test<name>`` (docs/test-mode.md), so no alarm or dashboard of
    live traffic ever counts a sandbox (a test endpoint failing is routine)."""
    metrics.add_metric(name=name if modes.current() is Mode.LIVE else f"Test{name}", unit=MetricUnit.Count,
                       value=value)


def trace_aws_calls() -> None:
    """X-Ray subsegments for every AWS call (once per process; nothing when tracing is off)."""
    tracer.patch(modules=("botocore",))

# Read-only routes publish no business metric; an empty flush is expected there.
warnings.filterwarnings("ignore", message="No application metrics to publish")
