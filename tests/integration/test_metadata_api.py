"""A refund's metadata against the local runtime: set at creation and changed
with PATCH /v1/refunds/{refundId} over HTTP (an API key, an Idempotency-Key
replayed), shown by every route that shows the refund; and, in this process,
another change landing between our read and our write: both apply, and the
20-key limit holds on what is stored (the write is conditioned on the map it
was merged from)."""

from __future__ import annotations

import uuid

import pytest

from refunds_core import aws
from refunds_core.callers import Caller, Role
from refunds_core.errors import FieldErrors
from refunds_core.logic import metadata

pytestmark = pytest.mark.server

DEMO = Caller("demo", Role.MERCHANT, "demo")


def create(api, **body) -> dict:
    answer = api.request("POST", f"/v1/order/{api.paid_order()}/refund", login="demo",
                         json_body={"email": "merchant@example.com", **body})
    assert answer.status == 200, answer
    return answer.body["data"]


def change(api, refund_id: str, values: dict, **request):
    return api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"metadata": values}, **request)


def shown(api, refund_id: str) -> dict:
    return api.request("GET", f"/v1/refunds/{refund_id}", login="demo").body["data"]["metadata"]


def test_a_merchants_system_sets_and_changes_metadata_with_its_api_key(api):
    key = api.request("POST", "/v1/api-keys", json_body={"name": "erp"}, login="demo").body["data"]
    try:
        refund = create(api, reason="wrong_item", metadata={"erp": "E-1", "store": "Lyon"})
        headers = {"X-API-KEY": key["key"], "Idempotency-Key": f"meta-{uuid.uuid4()}"}
        first = change(api, refund["id"], {"erp": "E-2", "store": None, "ledger": "L-7"}, headers=headers)
        assert first.status == 200 and first.body["data"]["metadata"] == {"erp": "E-2", "ledger": "L-7"}
        assert (first.body["data"]["status"], first.body["data"]["reason"]) == ("REQUESTED", "wrong_item")
        # Another change, then the first request again: its stored answer, not applied twice.
        assert change(api, refund["id"], {"ledger": None}, login="demo").status == 200
        again = change(api, refund["id"], {"erp": "E-2", "store": None, "ledger": "L-7"}, headers=headers)
        assert again.headers.get("idempotent-replayed") == "true" and again.body == first.body
        assert shown(api, refund["id"]) == {"erp": "E-2"}
        listed = api.request("GET", f"/v1/refunds?orderId={refund['orderId']}", login="demo").body["data"]
        assert listed[0]["metadata"] == {"erp": "E-2"}
    finally:
        api.request("DELETE", f"/v1/api-keys/{key['id']}", login="demo")


def test_another_merchants_refund_is_404(api):
    refund = create(api, metadata={"erp": "E-1"})
    answer = change(api, refund["id"], {"erp": "mine"}, login="demo2")
    assert (answer.status, answer.codes) == (404, [15070])
    assert shown(api, refund["id"]) == {"erp": "E-1"}


def _before_first_write(action):
    """Run action() once, just before this process's first TransactWriteItems."""
    done = []

    def hook(**_):
        if not done:
            done.append(True)
            action()

    aws.dynamodb().meta.events.register_first("before-call.dynamodb.TransactWriteItems", hook)


def test_a_change_between_our_read_and_our_write_is_kept_beside_ours(layer, api):
    refund = create(api, metadata={"erp": "E-1"})
    _before_first_write(lambda: change(api, refund["id"], {"store": "Lyon"}, login="demo"))
    answer = metadata.change(DEMO, refund["id"], {"metadata": {"ledger": "L-7"}})
    assert answer["metadata"] == {"erp": "E-1", "store": "Lyon", "ledger": "L-7"}
    assert shown(api, refund["id"]) == {"erp": "E-1", "store": "Lyon", "ledger": "L-7"}


def test_the_limit_holds_on_what_is_stored_when_another_change_lands_first(layer, api):
    refund = create(api, metadata={f"k{i}": "v" for i in range(15)})
    # Read at 15 keys, ours would make 16; another request adds 5 meanwhile: 21 would be stored.
    _before_first_write(lambda: change(api, refund["id"], {f"other{i}": "v" for i in range(5)}, login="demo"))
    with pytest.raises(FieldErrors) as caught:
        metadata.change(DEMO, refund["id"], {"metadata": {"ours": "v"}})
    assert caught.value.fields == ["metadata"]
    stored = shown(api, refund["id"])
    assert len(stored) == 20 and "ours" not in stored and "other4" in stored
