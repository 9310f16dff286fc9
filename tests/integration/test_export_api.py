"""GET /v1/refunds/export against the local runtime: the CSV a merchant (or
support, naming it) gets for a time range, who may ask, and, through the
function's own handler in this process, that it reads one index partition
Query after Query (never a Scan) and refuses a range too large for one
answer (the cap lowered for the test: EXPORT_MAX_BYTES)."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest

from refunds_core.callers import Role

pytestmark = pytest.mark.server

FAR_FUTURE = "2100-01-01T00:00:00Z"


@pytest.fixture
def shop(api, admin) -> dict:
    """A fresh merchant (its login's token) with three refunds: two in the range, then one after it."""
    merchant_id, login = f"x-{uuid.uuid4().hex[:8]}", f"x-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", Role.MERCHANT, merchant_id)
    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"}
                        ).body["token"]

    def create(**body) -> dict:
        order_id = api.paid_order(merchant_id=merchant_id)
        answer = api.request("POST", f"/v1/order/{order_id}/refund", token=token,
                             json_body={"email": "merchant@example.com", **body})
        assert answer.status == 200, answer
        return answer.body["data"]

    first = create(reason="damaged", description='Crushed, "badly"\r\nsee photo', metadata={"erp": "=1+1"},
                   items=[{"itemId": "sku-1", "quantity": 1}])
    second = create()
    later = create()
    return {"id": merchant_id, "token": token, "refunds": [first, second, later]}


def rows(answer) -> list[dict]:
    assert answer.status == 200, answer
    return list(csv.DictReader(io.StringIO(answer.text, newline="")))


def export(api, token: str, **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return api.request("GET", f"/v1/refunds/export?{query}", token=token)


def test_a_merchant_exports_the_refunds_created_in_the_range(api, shop):
    first, second, later = shop["refunds"]
    answer = export(api, shop["token"], createdFrom=first["createdAt"], createdTo=later["createdAt"])
    assert answer.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert answer.headers["content-disposition"].startswith(f'attachment; filename="refunds-{shop["id"]}-')
    exported = rows(answer)
    assert [row["id"] for row in exported] == [second["id"], first["id"]]  # newest first; `later` is at createdTo
    row = exported[1]
    assert (row["amount"], row["currency"], row["items"], row["reason"]) == (
        first["amount"], "USD", "sku-1 x1 (22.50 + 2.25 tax)", "damaged")
    assert row["description"] == 'Crushed, "badly"\r\nsee photo'  # quoted, line break kept
    assert json.loads(row["metadata"]) == {"erp": "=1+1"}
    assert (row["createdAt"], row["status"], row["merchantId"]) == (first["createdAt"], "REQUESTED", shop["id"])


def test_support_names_the_merchant_and_merchants_never_see_another(api, shop):
    first = shop["refunds"][0]
    support = export(api, api.token("support"), createdFrom=first["createdAt"], createdTo=FAR_FUTURE,
                     merchantId=shop["id"])
    assert len(rows(support)) == 3
    demo = export(api, api.token("demo"), createdFrom=first["createdAt"], createdTo=FAR_FUTURE)
    assert not {row["id"] for row in rows(demo)} & {refund["id"] for refund in shop["refunds"]}
    named = export(api, api.token("demo"), createdFrom=first["createdAt"], createdTo=FAR_FUTURE,
                   merchantId=shop["id"])
    assert (named.status, named.codes) == (400, [15010])


@pytest.mark.parametrize(("login", "params", "status", "codes"), [
    ("support", {"createdFrom": "2026-01-01T00:00:00Z", "createdTo": FAR_FUTURE}, 400, [15010]),  # no merchantId
    ("demo", {"createdFrom": "2026-01-01T00:00:00Z"}, 400, [15010]),
    ("demo", {"createdFrom": FAR_FUTURE, "createdTo": "2026-01-01T00:00:00Z"}, 400, [15010, 15010]),
    ("orders-service", {"createdFrom": "2026-01-01T00:00:00Z", "createdTo": FAR_FUTURE}, 403, [15120]),
])
def test_refusals(api, login, params, status, codes):
    answer = export(api, api.token(login), **params)
    assert (answer.status, answer.codes) == (status, codes)


def test_a_customer_may_not_export(api):
    token = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"}, login="demo"
                        ).body["token"]
    answer = export(api, token, createdFrom="2026-01-01T00:00:00Z", createdTo=FAR_FUTURE)
    assert (answer.status, answer.codes) == (403, [15120])


def test_an_api_key_exports_its_merchants_refunds(api, shop):
    key = api.request("POST", "/v1/api-keys", json_body={"name": "ledger"}, token=shop["token"]).body["data"]
    answer = api.request("GET", f"/v1/refunds/export?createdFrom={shop['refunds'][0]['createdAt']}"
                                f"&createdTo={FAR_FUTURE}", headers={"X-API-KEY": key["key"]})
    assert len(rows(answer)) == 3
    api.request("DELETE", f"/v1/api-keys/{key['id']}", token=shop["token"])


def _with_settings(handlers, monkeypatch, **settings: str) -> None:
    """ExportRefundsFunction's environment, for the in-process handler, with these settings."""
    environment = handlers.runtime.function_env

    def changed(function: str) -> dict[str, str]:
        env = environment(function)
        return {**env, **settings} if function == "ExportRefundsFunction" else env

    monkeypatch.setattr(handlers.runtime, "function_env", changed)


def test_the_export_reads_the_merchants_partition_in_the_range_query_after_query(handlers, shop, monkeypatch):
    _with_settings(handlers, monkeypatch, EXPORT_PAGE_SIZE="1")  # a Query per refund: the pages are followed
    first = shop["refunds"][0]
    answer = handlers.request("GET", f"/v1/refunds/export?createdFrom={first['createdAt']}&createdTo={FAR_FUTURE}",
                              token=shop["token"])
    assert len(rows(answer)) == 3
    data_reads = [read for read in answer.reads if read[0] != "BatchGetItem"]
    # A Query per refund (and one finding the range's end, where DynamoDB cannot tell it was the last).
    assert set(data_reads) == {("Query", "ByMerchant")} and len(data_reads) in (3, 4)
    assert answer.writes == []


def test_a_range_too_large_for_one_answer_is_15300(handlers, shop, monkeypatch):
    _with_settings(handlers, monkeypatch, EXPORT_MAX_BYTES="600")
    first = shop["refunds"][0]
    one = handlers.request("GET", f"/v1/refunds/export?createdFrom={first['createdAt']}"
                                  f"&createdTo={shop['refunds'][1]['createdAt']}", token=shop["token"])
    assert len(rows(one)) == 1  # a row of about 400 bytes fits
    answer = handlers.request("GET", f"/v1/refunds/export?createdFrom={first['createdAt']}&createdTo={FAR_FUTURE}",
                              token=shop["token"])
    assert (answer.status, answer.codes) == (400, [15300])
    assert answer.body["errors"][0]["message"].startswith("Export is too large for one answer. Narrow the range")
