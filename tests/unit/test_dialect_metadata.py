"""Metadata and the dialects (docs/dialects.md, "Metadata"): none of seeds
002's, 003's and 004's documents has a free-form field on its create request,
so no dialect reads one, and a refund opened through one takes its metadata
afterwards with PATCH /v1/refunds/{id}, which the dialect's own answers never
show (a client written from its document reads what it always read)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from localrun.seed import LOCAL_ACCOUNTS
from refunds_core.dialects import seed002, seed003, seed004
from refunds_core.errors import FieldErrors

DEMO_CONNECTION = next(account.connection_id for account in LOCAL_ACCOUNTS if account.login == "demo")
SEED002_BODY = {"orderId": 1001, "reason": "Wrong size", "amount": Decimal("10"), "refundOnly": True}


@pytest.mark.parametrize(("create", "body"), [
    (seed002.creation, SEED002_BODY), (seed003.creation, {}), (seed004.full_refund, {}),
], ids=["002", "003", "004"])
@pytest.mark.parametrize("name", ["metadata", "note_attributes", "custom_fields", "Ext"])
def test_no_dialect_reads_a_free_form_field_its_document_does_not_have(create, body, name):
    """Other vendors' names for one included: a client sending one learns it is not read (15010)."""
    with pytest.raises(FieldErrors) as refused:
        create({**body, name: {"erp": "E-1"}})
    assert refused.value.fields == [name]


def _opened_through(handlers, dialect: str) -> tuple[str, object]:
    """A refund merchant demo opens through ``dialect``: its /v1 id, and a call
    reading it as the dialect shows it (None: the document has no read)."""
    if dialect == "002":  # its order ids are integers
        order_id = handlers.paid_order(order_id=str(10**14 + uuid.uuid4().int % 10**14))
        answer = handlers.request("POST", "/api/v2/refunds", login="demo",
                                  json_body={**SEED002_BODY, "orderId": int(order_id), "amount": 10})
        assert answer.status == 200, answer
        number = answer.body["data"]["id"]
        return answer.body["data"]["refundId"], lambda: handlers.request(
            "GET", f"/api/v2/refunds/{number}", login="demo").body["data"]
    order_id = handlers.paid_order()
    if dialect == "003":
        answer = handlers.request("POST", f"/v1/connections/{DEMO_CONNECTION}/orders/{order_id}/refunds",
                                  login="demo")
        assert answer.status == 201, answer
        return answer.body["id"], None
    answer = handlers.request("POST", f"/v1/orders/{order_id}/full-refund", login="demo")
    assert answer.status == 200, answer
    refund_id = answer.body["Id"]
    return refund_id, lambda: handlers.request("GET", f"/v1/orders/{order_id}/full-refund/{refund_id}",
                                               login="demo").body


def _but_update_times(shown):
    """The answer without its update times (002's updatedAt, 004's UpdatedAt): what a change moves."""
    if isinstance(shown, dict):
        return {key: _but_update_times(value) for key, value in shown.items() if key.lower() != "updatedat"}
    if isinstance(shown, list):
        return [_but_update_times(value) for value in shown]
    return shown


@pytest.mark.server
@pytest.mark.parametrize("dialect", ["002", "003", "004"])
def test_a_refund_opened_through_a_dialect_takes_metadata_with_patch_and_the_dialect_shows_nothing_new(
        handlers, dialect):
    refund_id, read = _opened_through(handlers, dialect)
    before = read() if read else None
    changed = handlers.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"metadata": {"erp": "E-1"}},
                               login="demo")
    assert changed.status == 200 and changed.body["data"]["metadata"] == {"erp": "E-1"}, changed
    shown = handlers.request("GET", f"/v1/refunds/{refund_id}", login="demo").body["data"]
    assert shown["metadata"] == {"erp": "E-1"}
    if read:  # the same fields, the same values: only the refund's update time moved
        after = read()
        assert _but_update_times(after) == _but_update_times(before)
