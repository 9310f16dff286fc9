"""Fixtures the integration tests share beyond tests/conftest.py."""

import ast
import sys
import uuid
from pathlib import Path

import pytest

from refunds_core.logic import lifecycle
from refunds_core.observability import metrics
from tests.conftest import as_function


@pytest.fixture
def layer(runtime, monkeypatch):
    """refunds_core configured as UpdateRefundFunction is, in this process, for
    tests that drive the lifecycle logic directly (races, injected failures)."""
    monkeypatch.setattr(lifecycle, "require_active_account", lambda caller: None)
    with as_function(runtime, "UpdateRefundFunction", fresh_clients=True):
        yield
    metrics.clear_metrics()  # what the transitions recorded is never flushed in this process


@pytest.fixture
def merchant(api, admin) -> tuple[str, str]:
    """A fresh merchant and a token of its own login: what the test creates
    (endpoints, keys, events) is its alone."""
    merchant_id, login = f"m-{uuid.uuid4().hex[:8]}", f"m-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    answer = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    assert answer.status == 200, answer
    return merchant_id, answer.body["token"]


def standard_library_imports_only(source: Path) -> set[str]:
    """What a seed's test client imports beyond the standard library: nothing,
    as it is written from its document alone and nothing of ours may leak in."""
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    return imported - {"__future__"} - set(sys.stdlib_module_names)
