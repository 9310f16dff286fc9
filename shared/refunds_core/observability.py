"""One Logger, Tracer and Metrics for the whole service (configured by POWERTOOLS_* variables)."""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()

# Read-only routes publish no business metric; an empty flush is expected there.
warnings.filterwarnings("ignore", message="No application metrics to publish")
