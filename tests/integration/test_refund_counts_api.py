"""GET /v1/refunds/counts against the local runtime: each open status counted
for the caller's tenancy, over HTTP; and, in this process, that a count is
Select=COUNT Queries that stop past the cap."""

from __future__ import annotations

import pytest

from refunds_core import aws, statuses
from refunds_core.callers import Caller, Role
from tests.conftest import as_function
from tests.integration.test_list_refunds_api import Merchant

pytestmark = pytest.mark.server


@pytest.fixture
def merchant(api, admin, dynamodb, table_name) -> Merchant:
    return Merchant(api, admin, dynamodb, table_name)


@pytest.fixture
def other_merchant(api, admin, dynamodb, table_name) -> Merchant:
    return Merchant(api, admin, dynamodb, table_name)


def counts(api, token: str, query: str = ""):
    return api.request("GET", f"/v1/refunds/counts{query}", token=token)


def test_a_merchant_counts_its_own_open_refunds_and_support_any_merchants(api, merchant, other_merchant):
    merchant.create_refund()
    for status in (statuses.REQUESTED, statuses.WAITING, statuses.ISSUED, statuses.DENIED):
        merchant.store_refund(status)
    other_merchant.store_refund(statuses.PROCESSING)
    expected = {"REQUESTED": {"count": 2, "capped": False}, "WAITING": {"count": 1, "capped": False},
                "PROCESSING": {"count": 0, "capped": False}}
    answer = counts(api, merchant.token)
    assert answer.status == 200 and answer.body == {"data": expected}
    support = api.token("support")
    assert counts(api, support, f"?merchantId={merchant.id}").body == {"data": expected}
    # Across merchants: at least these (the runtime holds other tests' refunds too).
    everyone = counts(api, support).body["data"]
    assert everyone["REQUESTED"]["count"] >= 2 and everyone["PROCESSING"]["count"] >= 1


@pytest.mark.parametrize(("login", "query", "status", "code"), [
    ("demo", "?merchantId=demo2", 400, 15010),
    ("orders-service", "", 403, 15120),
])
def test_a_merchant_names_no_merchant_and_the_order_system_counts_nothing(api, login, query, status, code):
    answer = api.request("GET", f"/v1/refunds/counts{query}", login=login)
    assert (answer.status, answer.codes) == (status, [code])


def test_a_customer_may_not_count(api, merchant):
    from tests.integration.test_list_refunds_api import customer_token

    answer = counts(api, customer_token(merchant, "cust-1"))
    assert (answer.status, answer.codes) == (403, [15120])


def test_a_count_is_select_count_queries_that_stop_past_the_cap(runtime, monkeypatch, merchant):
    """Five REQUESTED refunds, a cap of 3: the count reads at most 4 and says
    "3, capped"; nothing is read of the items but their number."""
    from refunds_core.logic import counts as logic

    for _ in range(5):
        merchant.store_refund(statuses.REQUESTED)
    monkeypatch.setattr(logic, "CAP", 3)
    calls: list[tuple[str, dict]] = []
    with as_function(runtime, "CountRefundsFunction", fresh_clients=True):
        aws.dynamodb().meta.events.register(
            "provide-client-params.dynamodb.*", lambda params, model, **_: calls.append((model.name, dict(params))))
        answer = logic.open_counts(Caller(merchant.login, Role.MERCHANT, merchant.id), {})
    assert answer["REQUESTED"] == {"count": 3, "capped": True}
    assert answer["WAITING"] == answer["PROCESSING"] == {"count": 0, "capped": False}
    queries = [params for operation, params in calls if operation == "Query"]
    assert [query["ExpressionAttributeValues"][":pk"]["S"] for query in queries] == [
        f"MERCHANT#{merchant.id}#STATUS#{status}" for status in ("REQUESTED", "WAITING", "PROCESSING")]
    assert all(query["Select"] == "COUNT" and query["Limit"] == 4 and query["IndexName"] == "ByMerchantStatus"
               for query in queries)
    assert {operation for operation, _ in calls} <= {"Query", "BatchGetItem"}  # never a Scan
