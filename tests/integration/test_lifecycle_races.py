"""Transitions under concurrency and under the failures real DynamoDB produces.

Over HTTP: many clients acting on one refund at once (threads against the
local runtime); exactly one decision applies. In this process, against the
runtime's AWS: another request writing between our read and our write (a
botocore hook makes it happen there, every time), a committed write whose
answer was lost, a transaction conflict, and a broken order lock."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from refunds_core import aws
from refunds_core.callers import Caller, Role
from refunds_core.dal import events, keys, refunds
from refunds_core.dal.codec import to_item
from refunds_core.errors import ApiError
from refunds_core.logic import lifecycle
from refunds_core.logic.publishing import kept_with_its_change
from tests.integration.test_lifecycle_api import BODIES, get, open_refund, order_of, refund_in, take

pytestmark = pytest.mark.server

SUPPORT = Caller("support", Role.SUPPORT, None)
DEMO = Caller("demo", Role.MERCHANT, "demo")
CLIENTS = 4


def _at_once(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


# ------------------------------------------------------------ over HTTP

def test_operators_approving_one_refund_at_once_apply_it_exactly_once(api):
    refund = refund_in(api, "REQUESTED")
    api.token("support")
    answers = _at_once([lambda: take(api, refund["id"], "APPROVE")] * CLIENTS)

    assert sorted(a.status for a in answers) == [200] + [409] * (CLIENTS - 1), [a.body for a in answers]
    assert all(a.codes == [15080] for a in answers if a.status == 409)
    stored = get(api, refund["id"]).body["data"]
    assert stored["status"] == "PROCESSING"
    assert [h["action"] for h in stored["history"]] == ["CREATE", "APPROVE"]


def test_a_cancel_racing_a_denial_ends_in_exactly_one_final_status(api):
    refund = refund_in(api, "REQUESTED")
    api.token("support"), api.token("demo")
    calls = [lambda: take(api, refund["id"], "DENY"), lambda: take(api, refund["id"], "CANCEL")] * (CLIENTS // 2)
    answers = _at_once(calls)

    winners = [a for a in answers if a.status == 200]
    assert len(winners) == 1, [a.body for a in answers]
    assert all(a.status == 409 and a.codes == [15080] for a in answers if a.status != 200)
    final = winners[0].body["data"]["status"]
    stored = get(api, refund["id"]).body["data"]
    assert stored["status"] == final and len(stored["history"]) == 2
    # The order's lock was released once, by the winner: a new request opens.
    again = api.request("POST", f"/v1/order/{refund['orderId']}/refund", json_body={"email": "m@example.com"},
                        login="demo")
    assert again.status == 200


def test_concurrent_shipment_updates_never_lose_one(api):
    """SHIP_INIT keeps a REQUESTED refund REQUESTED, so each may apply in turn;
    one that read a version another already changed is 109, never applied
    over it."""
    refund = open_refund(api, refund_only=False)
    api.token("demo")
    bodies = [{"action": "SHIP_INIT", "trackingId": f"T-{i}", "carrierName": "UPS"} for i in range(CLIENTS)]
    answers = _at_once([lambda body=body: take(api, refund["id"], "SHIP_INIT", body=body) for body in bodies])

    assert all(a.status == 200 or (a.status == 409 and a.codes == [109]) for a in answers), [a.body for a in answers]
    applied = [a.body["data"]["trackingId"] for a in answers if a.status == 200]
    stored = get(api, refund["id"]).body["data"]
    assert len(stored["history"]) == 1 + len(applied)
    assert stored["trackingId"] in applied and stored["status"] == "REQUESTED"


# -------------------------------------------------------- in this process

def _before_first(operation: str, action):
    """Run action() once, just before this process's first call of operation."""
    done = []

    def hook(**_):
        if not done:
            done.append(True)
            action()

    aws.dynamodb().meta.events.register_first(f"before-call.dynamodb.{operation}", hook)
    return hook


def test_a_decision_taken_between_our_read_and_our_write_is_15080(layer, api):
    refund = refund_in(api, "REQUESTED")
    # Another operator denies it after we read it as REQUESTED, before our APPROVE writes.
    _before_first("TransactWriteItems", lambda: take(api, refund["id"], "DENY"))
    with pytest.raises(ApiError) as caught:
        lifecycle.act(SUPPORT, refund["id"], BODIES["APPROVE"])
    assert caught.value.entries[0][0] == 15080
    assert get(api, refund["id"]).body["data"]["status"] == "DENIED"


def test_a_change_that_still_allows_the_action_is_109(layer, api):
    refund = open_refund(api, refund_only=False)
    first = {"action": "SHIP_INIT", "trackingId": "FIRST", "carrierName": "DHL"}
    _before_first("TransactWriteItems", lambda: take(api, refund["id"], "SHIP_INIT", body=first))
    with pytest.raises(ApiError) as caught:
        lifecycle.act(DEMO, refund["id"], {"action": "SHIP_INIT", "trackingId": "SECOND", "carrierName": "UPS"})
    assert caught.value.status == 409 and caught.value.entries[0][0] == 109
    assert get(api, refund["id"]).body["data"]["trackingId"] == "FIRST"


def test_a_metadata_change_between_our_read_and_our_write_is_in_the_answer_and_the_event(layer, api):
    refund = refund_in(api, "REQUESTED")
    # The merchant's system changes the metadata after we read the refund: no version moves.
    _before_first("TransactWriteItems", lambda: api.request(
        "PATCH", f"/v1/refunds/{refund['id']}", json_body={"metadata": {"erp": "E-2"}}, login="demo"))
    answer = lifecycle.act(SUPPORT, refund["id"], BODIES["APPROVE"])
    assert (answer["status"], answer["metadata"]) == ("PROCESSING", {"erp": "E-2"})
    stored = refunds.get(refund["id"])
    assert kept_with_its_change(stored)  # names its own version's event: the publisher leaves it alone
    assert json.loads(events.get("demo", stored["eventId"])["body"])["data"]["metadata"] == {"erp": "E-2"}


def test_a_final_transition_racing_another_is_15080_and_leaves_the_order_alone(layer, api):
    refund = refund_in(api, "REQUESTED")
    _before_first("TransactWriteItems", lambda: take(api, refund["id"], "CANCEL"))
    with pytest.raises(ApiError) as caught:
        lifecycle.act(SUPPORT, refund["id"], BODIES["DENY"])
    assert caught.value.entries[0][0] == 15080
    assert get(api, refund["id"]).body["data"]["status"] == "CANCELLED"


def _lose_first_answer(operation: str):
    """The first call of operation commits, then its answer "never arrives":
    botocore retries the very same call, as after a timeout."""
    seen = []

    def hook(attempts, response, **_):
        seen.append(attempts)
        return 0 if attempts == 1 and response and response[0].status_code == 200 else None

    aws.dynamodb().meta.events.register_first(f"needs-retry.dynamodb.{operation}", hook)
    return seen


@pytest.mark.parametrize(("operation", "action", "start", "refund_only", "expected"), [
    ("TransactWriteItems", "APPROVE", "REQUESTED", False, "WAITING"),  # the refund and the caller's account
    ("TransactWriteItems", "ISSUE", "PROCESSING", True, "ISSUED"),     # refund + order (+ account) in one
])
def test_a_committed_transition_whose_answer_was_lost_still_answers_200(layer, api, operation, action, start,
                                                                        refund_only, expected):
    refund = refund_in(api, start, refund_only)
    seen = _lose_first_answer(operation)
    moved = lifecycle.act(SUPPORT, refund["id"], BODIES[action])
    assert seen[:2] == [1, 2], "botocore retried the committed write"
    assert moved["status"] == expected
    stored = get(api, refund["id"]).body["data"]
    assert stored == moved
    assert [h["action"] for h in stored["history"]].count(action) == 1


def test_a_cancel_whose_answer_was_lost_releases_the_lock_once(layer, api):
    refund = refund_in(api, "REQUESTED")
    seen = _lose_first_answer("TransactWriteItems")
    assert lifecycle.cancel(DEMO, refund["id"])["status"] == "CANCELLED"
    assert seen[:2] == [1, 2]
    assert api.request("POST", f"/v1/order/{refund['orderId']}/refund", json_body={"email": "m@example.com"},
                       login="demo").status == 200


def _stored_refund(refund_id: str, **extra) -> dict:
    refund = {"id": refund_id, "orderId": "o-race", "merchantId": "demo", "customerId": "cust-1",
              "status": "REQUESTED", "refundOnly": True, "email": "m@example.com", "amount": Decimal("59.50"),
              "currency": "USD", "requester": "demo", "createdAt": "2026-01-01T00:00:00.000Z",
              "updatedAt": "2026-01-01T00:00:00.000Z", "version": 1, "history": [], **extra}
    return {**keys.refund(refund_id), **to_item(refund)}


RACE_ID = "rf_01J00000000000000000000RAC"


def test_a_transaction_conflict_is_retried_and_answered_from_the_new_state(layer):
    with Stubber(aws.dynamodb()) as stub:
        stub.add_response("get_item", {"Item": _stored_refund(RACE_ID)})
        stub.add_client_error("transact_write_items", "TransactionCanceledException", response_meta={},
                              modeled_fields={"CancellationReasons": [{"Code": "TransactionConflict"},
                                                                      {"Code": "None"}]})
        stub.add_response("get_item", {"Item": _stored_refund(RACE_ID, status="CANCELLED", version=2)})
        with pytest.raises(ApiError) as caught:
            lifecycle.act(SUPPORT, RACE_ID, BODIES["DENY"])
        stub.assert_no_pending_responses()
    assert caught.value.entries[0][0] == 15080


def test_a_write_conflicting_with_another_transaction_is_retried(layer):
    with Stubber(aws.dynamodb()) as stub:
        stub.add_response("get_item", {"Item": _stored_refund(RACE_ID)})
        stub.add_client_error("transact_write_items", "TransactionConflictException")
        stub.add_response("get_item", {"Item": _stored_refund(RACE_ID)})
        stub.add_response("transact_write_items", {})
        moved = lifecycle.act(SUPPORT, RACE_ID, BODIES["APPROVE"])
        stub.assert_no_pending_responses()
    assert moved["status"] == "PROCESSING" and moved["confirmedAt"] is not None


def test_throttling_is_a_retryable_500_never_a_business_answer(layer):
    with Stubber(aws.dynamodb()) as stub:
        stub.add_response("get_item", {"Item": _stored_refund(RACE_ID)})
        stub.add_client_error("transact_write_items", "ProvisionedThroughputExceededException")
        with pytest.raises(ClientError) as caught:
            lifecycle.act(SUPPORT, RACE_ID, BODIES["APPROVE"])
    # Passed up unchanged after botocore's retries, to the resolver's 500/100
    # (tests/unit/test_api_errors.py): never turned into a 409 or 15080.
    assert caught.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"


def test_a_refund_whose_order_lost_its_lock_is_a_500_and_nothing_changes(api, dynamodb, table_name):
    refund = refund_in(api, "REQUESTED")
    dynamodb.update_item(TableName=table_name, Key={"PK": {"S": f"ORDER#{refund['orderId']}"}, "SK": {"S": "ORDER"}},
                         UpdateExpression="REMOVE openRefundId")
    answer = take(api, refund["id"], "DENY")
    assert answer.status == 500 and answer.codes == [100] and answer.headers.get("x-correlation-id")
    assert get(api, refund["id"]).body["data"] == refund
    assert order_of(api, refund["orderId"])["status"] == "paid"


def test_an_issue_losing_to_another_issue_that_refunded_the_whole_order_is_15080(layer, api):
    """Found by the load test: the loser read the refund PROCESSING, then the order
    after the winner's ISSUE had made it `refunded`: it answered 400 15030 (the
    order's state), not the race's 409 15080."""
    refund = refund_in(api, "PROCESSING")
    done = []

    def winner_first(params, **_):
        if not done and params.get("Key", {}).get("PK", {}).get("S", "").startswith("ORDER#"):
            done.append(take(api, refund["id"], "ISSUE"))  # between our read of the refund and of its order

    aws.dynamodb().meta.events.register_first("before-parameter-build.dynamodb.GetItem", winner_first)
    with pytest.raises(ApiError) as caught:
        lifecycle.act(SUPPORT, refund["id"], BODIES["ISSUE"])
    assert done[0].status == 200
    assert (caught.value.status, caught.value.entries[0][0]) == (409, 15080)
    assert order_of(api, refund["orderId"])["status"] == "refunded"
    assert get(api, refund["id"]).body["data"]["status"] == "ISSUED"
