"""A client generated from docs/openapi.json, as an integrator would make one
(docs/api-clients.md), builds without a single warning and runs the refund
walkthrough against the local runtime with typed answers: enums as the
generated enum classes, money as strings, timestamps as datetimes.

The client is generated once per session, into a temporary directory, with
``--fail-on-warning``: a schema the generator cannot type (it drops the
operation's answer, as it did for GET /v1/orders/{orderId} when two inline
enums collided) fails the test."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from scripts import openapi

pytestmark = pytest.mark.server

PACKAGE = "refund_requests_api_client"  # the generator's name for the document's title


class Generated:
    """The generated package: ``api("refunds.create_refund")``, ``models.RefundStatus``."""

    def __init__(self):
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.package = importlib.import_module(PACKAGE)

    def api(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    def client(self, base_url: str, token: str | None = None):
        # raise_on_unexpected_status: an answer whose status the document does not list fails the test.
        if token is None:
            return self.package.Client(base_url=base_url, raise_on_unexpected_status=True)
        return self.package.AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)


def generate(document: Path, into: Path) -> subprocess.CompletedProcess:
    """``openapi-python-client generate --fail-on-warning``; its ruff hooks need ruff on PATH (the venv's)."""
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
         "--output-path", str(into), "--fail-on-warning"],
        capture_output=True, text=True, env=environment, timeout=300, check=False)


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Generated:
    root = tmp_path_factory.mktemp("generated-client") / "client"
    result = generate(openapi.PUBLISHED, root)
    assert result.returncode == 0, f"the generator warned or failed:\n{result.stdout}\n{result.stderr}"
    sys.path.insert(0, str(root))
    try:
        yield Generated()
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _utc(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() == UTC.utcoffset(None)


def test_the_readme_walkthrough_through_the_generated_client(api, generated):
    models, url = generated.models, api.base_url
    issue_token, put_order, get_order = (generated.api(name) for name in (
        "auth.issue_token", "orders.put_order", "orders.get_order"))
    create_refund, update_refund, get_refund = (generated.api(name) for name in (
        "refunds.create_refund", "refunds.update_refund", "refunds.get_refund"))
    public = generated.client(url)

    # 1. Tokens: the order system's and the merchant's
    def token(login: str, password: str) -> str:
        answer = issue_token.sync(client=public, body=models.TokenRequest(login=login, password=password))
        assert isinstance(answer, models.TokenResponse) and answer.token_type == "Bearer", answer
        return answer.token

    service = generated.client(url, token("orders-service", "orders-secret"))
    merchant = generated.client(url, token("demo", "demo-secret"))
    support = generated.client(url, token("support", "support-secret"))

    # 2. The order system pushes a paid order; the server computes its totals
    order_id = f"gc-{uuid.uuid4().hex[:10]}"
    order = put_order.sync(order_id, client=service, body=models.OrderRequest(
        merchant_id="demo", number="SO-1001", status=models.OrderRequestStatus.PAID, currency=models.Currency.USD,
        customer_id="cust-1", line_items=[models.LineItem(item_id="sku-1", name="Widget", quantity=2,
                                                          unit_price="25.00", discount="5.00", tax="4.50")],
        shipping=models.Shipping(price="10.00", tax="0.00")))
    assert isinstance(order, models.OrderResponse), order
    totals = order.data.totals
    assert (totals.items, totals.shipping, totals.tax, totals.total) == ("45.00", "10.00", "4.50", "59.50")
    assert order.data.status is models.OrderStatus.PAID and order.data.refund_status is models.OrderRefundStatus.NONE

    # 3. The merchant opens a refund request (with an Idempotency-Key: its repeat is the same refund)
    request = models.CreateRefundRequest(description="Wrong product", email="merchant@gmail.com")
    key = uuid.uuid4().hex
    opened = create_refund.sync_detailed(order_id, client=merchant, body=request, idempotency_key=key)
    refund = opened.parsed.data
    assert isinstance(refund, models.Refund)
    assert (refund.order_id, refund.status, refund.amount, refund.currency) == (
        order_id, models.RefundStatus.REQUESTED, "59.50", models.Currency.USD)
    assert _utc(refund.created_at) and refund.confirmed_at is None and refund.issued_at is None
    assert refund.history[0].action is models.HistoryAction.CREATE and refund.history[0].role is models.Role.MERCHANT
    again = create_refund.sync_detailed(order_id, client=merchant, body=request, idempotency_key=key)
    assert again.headers["Idempotent-Replayed"] == "true" and again.parsed.data.id == refund.id

    # And the refusals of the contract a typed client can send (it cannot send bad JSON or another content type)
    def refused(answer, status: int) -> list[int]:
        assert answer.status_code == status and isinstance(answer.parsed, models.ErrorBody), answer
        return [entry.error for entry in answer.parsed.errors]

    assert refused(create_refund.sync_detailed(order_id, client=merchant, body=request), 400) == [15050]
    nope = create_refund.sync_detailed("nope", client=merchant, body=request)
    assert refused(nope, 404) == [15060]
    pending = put_order.sync(f"{order_id}-p", client=service, body=models.OrderRequest(
        merchant_id="demo", number="SO-2", status=models.OrderRequestStatus.PENDING, currency=models.Currency.USD,
        line_items=[models.LineItem(item_id="a", name="A", quantity=1, unit_price="9.99")]))
    assert pending.data.status is models.OrderStatus.PENDING
    assert refused(create_refund.sync_detailed(f"{order_id}-p", client=merchant, body=request), 400) == [15030]
    put_order.sync(f"{order_id}-z", client=service, body=models.OrderRequest(
        merchant_id="demo", number="SO-3", status=models.OrderRequestStatus.PAID, currency=models.Currency.USD,
        line_items=[models.LineItem(item_id="g", name="Gift", quantity=1, unit_price="0.00")]))
    assert refused(create_refund.sync_detailed(f"{order_id}-z", client=merchant, body=request), 400) == [15040]
    put_order.sync(f"{order_id}-f", client=service, body=models.OrderRequest(
        merchant_id="demo", number="SO-4", status=models.OrderRequestStatus.PAID, currency=models.Currency.USD,
        line_items=[models.LineItem(item_id="a", name="A", quantity=1, unit_price="9.99")]))
    bad_email = models.CreateRefundRequest(email="not-an-email")
    assert refused(create_refund.sync_detailed(f"{order_id}-f", client=merchant, body=bad_email), 400) == [15010]
    forged = generated.client(url, "not-a-token")
    assert refused(create_refund.sync_detailed(order_id, client=forged, body=request), 401) == [101]
    assert refused(create_refund.sync_detailed(order_id, client=service, body=request), 403) == [15120]

    # The lifecycle's main path: support approves (refundOnly: straight to PROCESSING), then issues
    approved = update_refund.sync(refund.id, client=support, body=models.RefundActionApprove(action="APPROVE"))
    assert approved.data.status is models.RefundStatus.PROCESSING and _utc(approved.data.confirmed_at)
    issued = update_refund.sync(refund.id, client=support, body=models.RefundActionIssue(action="ISSUE"))
    assert issued.data.status is models.RefundStatus.ISSUED

    shown = get_refund.sync(refund.id, client=merchant).data
    assert isinstance(shown, models.RefundView) and shown.status is models.RefundStatus.ISSUED and _utc(shown.issued_at)
    assert shown.actions == []  # issued: nothing left to do
    assert [entry.action for entry in shown.history] == [
        models.HistoryAction.CREATE, models.HistoryAction.APPROVE, models.HistoryAction.ISSUE]
    assert all(_utc(entry.at) for entry in shown.history)
    assert shown.history[-1].role is models.Role.SUPPORT

    # GET /v1/orders/{orderId}: the answer the generator used to drop
    refunded = get_order.sync(order_id, client=merchant)
    assert isinstance(refunded, models.OrderWithRefundsResponse), refunded
    assert refunded.data.status is models.OrderStatus.REFUNDED
    assert refunded.data.refund_status is models.OrderRefundStatus.REFUNDED
    assert (refunded.data.refunded_amount, refunded.data.refundable_amount) == ("59.50", "0.00")
    line, = refunded.data.refunds
    assert (line.id, line.status, line.amount) == (refund.id, models.RefundStatus.ISSUED, "59.50")
