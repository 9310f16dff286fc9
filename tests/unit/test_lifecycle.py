"""The state machine's table, the explanation of a failed transition write,
the PATCH body, and the sample events' refund placeholder, without a server."""

from __future__ import annotations

import json
import re
import typing

import pytest

from refunds_core import errors, statuses
from refunds_core.callers import Role
from refunds_core.dal.codec import to_item
from refunds_core.dal.transactions import AlreadyApplied, Contention, Guarded, transact_write
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic import lifecycle
from refunds_core.logic.transitions import PATCH_ACTIONS, TRANSITIONS, allowed, refusal, target
from scripts.gen_docs import with_lifecycle_table
from tests.conftest import ROOT

# ------------------------------------------------------------------ table

def test_docs_lifecycle_shows_the_table_the_code_runs():
    doc = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert doc == with_lifecycle_table(doc), "docs/lifecycle.md's transition table is stale: run `make docs`"


def test_the_patch_actions_are_the_five_of_the_contract():
    assert sorted(PATCH_ACTIONS) == ["APPROVE", "DENY", "FAIL", "ISSUE", "SHIP_INIT"]


def test_nothing_leaves_a_final_status_and_every_target_is_a_status():
    for transition in TRANSITIONS.values():
        assert not set(transition.sources) & statuses.FINAL, transition.action
        assert transition.outcomes() <= set(statuses.ALL), transition.action


SUPPORT_OFFERS = {"REQUESTED": ["APPROVE", "DENY"], "WAITING": ["DENY"], "PROCESSING": ["ISSUE", "DENY", "FAIL"]}
OWNER_OFFERS = {  # a merchant's or customer's: (refundOnly true, refundOnly false)
    "REQUESTED": (["CANCEL"], ["SHIP_INIT", "CANCEL"]), "WAITING": (["CANCEL"], ["SHIP_INIT", "CANCEL"]),
    "PROCESSING": ([], [])}


@pytest.mark.parametrize("status", statuses.ALL)
@pytest.mark.parametrize("refund_only", [True, False])
def test_each_role_is_offered_exactly_the_actions_the_table_allows_it(status, refund_only):
    refund = {"status": status, "refundOnly": refund_only, "history": [{}]}
    assert allowed(Role.SUPPORT, refund) == SUPPORT_OFFERS.get(status, [])
    for role in (Role.MERCHANT, Role.CUSTOMER):
        assert allowed(role, refund) == OWNER_OFFERS.get(status, ([], []))[not refund_only]
    assert allowed(Role.SERVICE, refund) == []


def test_a_full_history_leaves_only_the_actions_that_close_the_refund():
    full = {"status": "REQUESTED", "refundOnly": False, "history": [{}] * 50}
    assert allowed(Role.SUPPORT, full) == ["DENY"]  # APPROVE would add an entry that does not close it
    assert allowed(Role.MERCHANT, full) == ["CANCEL"]


def test_the_actions_offered_are_the_tables_less_create():
    from refunds_core.shapes import RefundActionName

    assert set(typing.get_args(RefundActionName.__value__)) == set(TRANSITIONS)


def test_support_can_close_every_open_refund():
    closers = [t for t in TRANSITIONS.values() if set(t.sources) >= statuses.OPEN and "support" in t.roles]
    assert closers and all(t.outcomes() <= statuses.FINAL for t in closers)


def _parse(body: dict) -> tuple:
    transition = lifecycle._action(body)
    return transition, lifecycle._fields(transition, body)


@pytest.mark.parametrize(("refund", "expected"), [
    ({"status": "REQUESTED", "refundOnly": True}, "PROCESSING"),
    ({"status": "REQUESTED", "refundOnly": False}, "WAITING"),
    ({"status": "REQUESTED", "refundOnly": False, "trackingId": "T", "carrierName": "C"}, "PROCESSING"),
    ({"status": "REQUESTED"}, "PROCESSING"),  # stored before refundOnly existed: the default, true
])
def test_approve_targets(refund, expected):
    approve = TRANSITIONS["APPROVE"]
    assert refusal(approve, refund) is None and target(approve, refund) == expected


def test_ship_init_needs_goods_to_come_back():
    ship = TRANSITIONS["SHIP_INIT"]
    assert refusal(ship, {"status": "WAITING", "refundOnly": False}) is None
    assert refusal(ship, {"status": "REQUESTED", "refundOnly": True}).entries[0][0] == 15080
    assert refusal(ship, {"status": "REQUESTED"}).entries[0][0] == 15080


# ---------------------------------------------------------------- the body

@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["action"]), ({"action": 1}, ["action"]), ({"action": "CANCEL"}, ["action"]),
    ({"action": "DENY", "trackingId": "x"}, ["responseReason", "declineReason", "trackingId"]),
    ({"action": "DENY", "responseReason": "late"}, ["declineReason"]),
    ({"action": "DENY", "responseReason": "late", "declineReason": "too_late"}, ["declineReason"]),
    ({"action": "DENY", "responseReason": "late", "declineReason": None}, ["declineReason"]),
    ({"action": "FAIL", "responseReason": "bank", "declineReason": "other"}, ["declineReason"]),
    ({"action": "SHIP_INIT", "trackingId": " ", "carrierName": "c" * 65}, ["trackingId", "carrierName"]),
    ({"action": "ISSUE", "issuedAt": "now", "status": "ISSUED", "version": 9}, ["issuedAt", "status", "version"]),
])
def test_a_bad_body_names_each_bad_field(body, fields):
    with pytest.raises(FieldErrors) as caught:
        _parse(body)
    assert caught.value.fields == fields


def test_a_good_body_gives_the_action_and_only_its_fields():
    transition, fields = _parse({"action": "SHIP_INIT", "carrierName": "DHL", "trackingId": "T1"})
    assert transition.action == "SHIP_INIT" and fields == {"trackingId": "T1", "carrierName": "DHL"}


@pytest.mark.parametrize("code", ["return_period_ended", "final_sale", "not_eligible", "other"])
def test_deny_takes_each_decline_reason_beside_its_words(code):
    transition, fields = _parse({"action": "DENY", "responseReason": "Bought on sale", "declineReason": code})
    assert transition.action == "DENY" and fields == {"responseReason": "Bought on sale", "declineReason": code}


# ------------------------------------------- why a transition write failed

ENTRY = "5f0c3a4e-0000-4000-8000-000000000000"
READ = {"status": "REQUESTED", "version": 1, "history": [], "metadata": {"erp": "E-1"}}


@pytest.mark.parametrize(("stored", "outcome"), [
    (None, 15070),                                                    # deleted meanwhile
    ({"status": "DENIED", "version": 2, "history": []}, 15080),     # decided by someone else
    ({"status": "REQUESTED", "version": 2, "history": []}, 109),    # changed, still approvable
    ({"status": "PROCESSING", "version": 2, "history": [{"id": ENTRY}]}, AlreadyApplied),  # our own write
    ({**READ, "metadata": {"erp": "E-2"}}, None),                    # only its metadata changed: read again
    ({**READ, "metadata": None}, None),
])
def test_a_failed_condition_is_explained_from_the_refund_as_stored(stored, outcome):
    explained = lifecycle._refund_refused(stored, READ, TRANSITIONS["APPROVE"], ENTRY)
    if outcome is None:
        assert explained is None
    elif isinstance(outcome, int):
        assert isinstance(explained, ApiError) and explained.entries[0][0] == outcome
    else:
        assert isinstance(explained, outcome)


MERCHANT = {"PK": {"S": "MERCHANT#m"}, "SK": {"S": "MERCHANT"}}
COUNT = {"Update": {"TableName": "RefundsTable", "Key": MERCHANT, "UpdateExpression": "SET #c = #c + :one",
                    "ConditionExpression": "#c < :limit", "ExpressionAttributeNames": {"#c": "webhookCount"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": "10"}}}}
ACTIVE = {"ConditionCheck": {"TableName": "RefundsTable", "Key": MERCHANT,
                             "ConditionExpression": "#acct_status = :acct_active",
                             "ExpressionAttributeNames": {"#acct_status": "status"},
                             "ExpressionAttributeValues": {":acct_active": {"S": "active"}}}}
LOGIN = {"ConditionCheck": {"TableName": "RefundsTable", "Key": {"PK": {"S": "LOGIN#u"}, "SK": {"S": "CREDENTIAL"}},
                            "ConditionExpression": "attribute_exists(PK)"}}


def test_a_check_of_an_item_the_transaction_writes_is_folded_into_that_write(stubbed):
    # DynamoDB refuses two operations on one item in a transaction: the
    # merchant's "still active" check joins the write of its counter.
    merged = {**COUNT["Update"], "ConditionExpression": "(#c < :limit) AND (#acct_status = :acct_active)",
              "ExpressionAttributeNames": {"#c": "webhookCount", "#acct_status": "status"},
              "ExpressionAttributeValues": {**COUNT["Update"]["ExpressionAttributeValues"],
                                            ":acct_active": {"S": "active"}},
              "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    stubbed.add_response("transact_write_items", {}, expected_params={
        "TransactItems": [{"Update": merged}, {"ConditionCheck": {**LOGIN["ConditionCheck"],
                                                                  "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}],
        "ClientRequestToken": "t"})
    transact_write([Guarded(ACTIVE, lambda old: None), Guarded(COUNT, lambda old: None),
                    Guarded(LOGIN, lambda old: None)], idempotency_token="t")


@pytest.mark.parametrize(("stored", "code"), [({"status": "disabled", "webhookCount": 3}, 15000),
                                              ({"status": "active", "webhookCount": 10}, 15180)])
def test_a_folded_write_is_explained_by_the_check_first_then_by_the_write(stubbed, stored, code):
    def inactive(merchant):
        return None if merchant["status"] == "active" else ApiError(errors.UNKNOWN_ACCOUNT)

    def full(merchant):
        return ApiError(errors.TOO_MANY_WEBHOOKS) if merchant["webhookCount"] >= 10 else None

    stubbed.add_client_error("transact_write_items", "TransactionCanceledException", modeled_fields={
        "CancellationReasons": [{"Code": "ConditionalCheckFailed", "Item": to_item(stored)}]})
    with pytest.raises(ApiError) as caught:
        transact_write([Guarded(COUNT, full), Guarded(ACTIVE, inactive)], idempotency_token="t")
    assert caught.value.entries[0][0] == code


def test_a_cancelled_transaction_that_no_rule_explains_is_contention(stubbed):
    stubbed.add_client_error("transact_write_items", "TransactionCanceledException", modeled_fields={
        "CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}]})
    with pytest.raises(Contention):
        transact_write([Guarded(COUNT, lambda old: None), Guarded(LOGIN, lambda old: None)], idempotency_token="t")


# ------------------------------------------------- sample events' refund id

EVENT = {"resource": "/v1/refunds/{refundId}", "path": "/v1/refunds/{{refund:demo}}",
         "pathParameters": {"refundId": "{{refund:demo}}"}, "body": '{"action": "APPROVE"}',
         "requestContext": {"resourcePath": "/v1/refunds/{refundId}", "path": "/prod/v1/refunds/{{refund:demo}}"}}


def test_the_refund_placeholder_fills_every_place_the_id_appears():
    from localrun.__main__ import fill_refund_placeholders

    lookups = []
    filled = fill_refund_placeholders(EVENT, lambda: lookups.append(1) or "rf_DEMO")
    assert filled["path"] == "/v1/refunds/rf_DEMO" and filled["pathParameters"] == {"refundId": "rf_DEMO"}
    assert filled["requestContext"] == {"resourcePath": "/v1/refunds/{refundId}", "path": "/prod/v1/refunds/rf_DEMO"}
    assert filled["resource"] == "/v1/refunds/{refundId}" and lookups == [1]
    assert not re.search(r"\{\{", str(filled))


def test_an_event_without_the_placeholder_opens_no_demo_refund():
    from localrun.__main__ import fill_refund_placeholders

    event = {"path": "/v1/orders/1001", "pathParameters": {"orderId": "1001"}, "requestContext": {"path": "/p"}}
    assert fill_refund_placeholders(event, lambda: pytest.fail("looked up")) == event


def test_an_unknown_refund_placeholder_is_refused():
    from localrun.__main__ import fill_refund_placeholders

    with pytest.raises(ValueError, match="refund:other"):
        fill_refund_placeholders({**EVENT, "path": "/v1/refunds/{{refund:other}}"}, lambda: "rf_DEMO")


def test_seed_002_s_placeholders_fill_the_path_and_the_body():
    """{{refund-number:demo}} (a refund's integer id) in the path, {{order:demo}} (an integer order id) in the body."""
    from localrun.__main__ import ORDER_PLACEHOLDER, REFUND_NUMBER_PLACEHOLDER, fill_refund_placeholders

    event = {"path": "/api/v2/refunds/{{refund-number:demo}}", "pathParameters": {"id": "{{refund-number:demo}}"},
             "body": '{"orderId": {{order:demo}}, "amount": 22.50}', "requestContext": {"path": "/p"}}
    filled = fill_refund_placeholders(event, lambda: "249724462242683", REFUND_NUMBER_PLACEHOLDER)
    filled = fill_refund_placeholders(filled, lambda: "100000000001001", ORDER_PLACEHOLDER)
    assert filled["path"] == "/api/v2/refunds/249724462242683" and filled["pathParameters"] == {"id": "249724462242683"}
    assert json.loads(filled["body"]) == {"orderId": 100000000001001, "amount": 22.5}



def test_seed_004_s_placeholders_name_one_refund_and_its_order():
    """{{refund-order:demo}} is the order of the very refund {{refund:demo}} names: one refund opened for both."""
    from localrun.__main__ import prepare_event

    class Runtime:
        mode, opened = "embedded", []

        def seed_demo_order(self) -> None:
            pass

        def demo_refund_and_order(self) -> tuple[str, str]:
            self.opened.append(f"rf_{len(self.opened)}")
            return self.opened[-1], f"order-of-{self.opened[-1]}"

        def demo_refund_id(self) -> str:
            pytest.fail("a second refund")

        demo_refund_number = demo_order_number = token = demo_refund_id

    event = {"path": "/v1/orders/{{refund-order:demo}}/full-refund/{{refund:demo}}", "requestContext": {"path": "/p"},
             "pathParameters": {"orderId": "{{refund-order:demo}}", "refundId": "{{refund:demo}}"}, "headers": {}}
    filled = prepare_event(Runtime(), event)
    assert filled["path"] == "/v1/orders/order-of-rf_0/full-refund/rf_0"
    assert filled["pathParameters"] == {"orderId": "order-of-rf_0", "refundId": "rf_0"}
