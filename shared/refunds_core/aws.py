"""boto3 clients, made once per execution environment and only when first used.

Endpoints come from boto3's own configuration (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_DYNAMODB``...), so the same code talks to AWS, moto's server
or DynamoDB Local.
"""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling and 5xx. Timeouts are short so
# three attempts of one call (3 x (1 + 2) s) fit the functions' 10 s Timeout;
# DynamoDB answers in milliseconds when it answers at all. total_max_attempts
# counts the first attempt (botocore's max_attempts would count retries only:
# four attempts).
# No client-side parameter validation: our requests are built by code (tests
# cover every shape), DynamoDB validates each one again, and on a warm request
# botocore's validator was about a quarter of our CPU (docs/benchmarks.md).
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=1, read_timeout=2,
                parameter_validation=False)


@cache
def dynamodb():
    return boto3.client("dynamodb", config=CONFIG)


@cache
def secretsmanager():
    return boto3.client("secretsmanager", config=CONFIG)


@cache
def sns():
    return boto3.client("sns", config=CONFIG)


@cache
def sqs():
    return boto3.client("sqs", config=CONFIG)
