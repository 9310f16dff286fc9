"""What unit tests share: a DynamoDB client whose answers the test writes."""

import pytest
from botocore.stub import Stubber

from refunds_core import aws


@pytest.fixture
def stubbed(monkeypatch):
    """The layer's DynamoDB client under botocore's Stubber: each call must be one the test added."""
    monkeypatch.setenv("TABLE_NAME", "RefundsTable")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "unused")
    aws.dynamodb.cache_clear()
    with Stubber(aws.dynamodb()) as stub:
        yield stub
    aws.dynamodb.cache_clear()
