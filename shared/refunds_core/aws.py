"""boto3 clients, made once per execution environment and only when first used.

Endpoints come from boto3's own configuration (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_DYNAMODB``...), so the same code talks to AWS, moto's server
or DynamoDB Local.
"""

from __future__ import annotations

from functools import cache

import boto3
import botocore.session
from botocore.config import Config

from refunds_core.observability import trace_aws_calls

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
def _data_loader():
    """botocore's data files (service models, endpoint rules), read once per
    process however many sessions use them (~0.15 s of CPU per session)."""
    return botocore.session.get_session().get_component("data_loader")


@cache
def _session() -> boto3.Session:
    """The session every client comes from: it resolves the credentials (once)."""
    # X-Ray traces every AWS call; botocore is patched here, with the first
    # client, rather than at the import of every function.
    trace_aws_calls()
    session = botocore.session.get_session()
    session.register_component("data_loader", _data_loader())
    return boto3.Session(botocore_session=session)


@cache
def dynamodb():
    return _session().client("dynamodb", config=CONFIG)


@cache
def secretsmanager():
    return _session().client("secretsmanager", config=CONFIG)


@cache
def sns():
    return _session().client("sns", config=CONFIG)


@cache
def sqs():
    return _session().client("sqs", config=CONFIG)


@cache
def secrets():
    """Powertools' Secrets Manager provider (its cache with a TTL) on our client:
    by default it makes a boto3 Session of its own, which reads botocore's data
    files again (~65 ms of CPU in every cold start's first request)."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=secretsmanager())


def forget_clients() -> None:
    """Every client (and the secrets provider, with what it cached) made again
    on first use, from a new session: fresh connections, credentials resolved
    afresh, the data files not read again. After a SnapStart restore, and when
    the local runtime changes the environment."""
    for cached in (secrets, dynamodb, secretsmanager, sns, sqs, _session):
        cached.cache_clear()
