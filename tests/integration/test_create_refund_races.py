"""Create-refund under the failures real DynamoDB produces: a concurrent
transaction on the order, and a committed transaction whose answer was lost.
Run in this process against the runtime's AWS, with botocore's own hooks and
Stubber deciding what DynamoDB answers."""

from decimal import Decimal

import pytest
from botocore.stub import Stubber

from refunds_core import aws
from refunds_core.callers import Caller, Role
from refunds_core.dal import keys
from refunds_core.dal.codec import to_item
from refunds_core.logic import refunds
from refunds_core.observability import metrics
from tests.conftest import as_function, sample_order

pytestmark = pytest.mark.server
DEMO = Caller("demo", Role.MERCHANT, "demo")


@pytest.fixture
def layer(runtime, monkeypatch):
    """refunds_core configured as CreateRefundFunction is, in this process."""
    monkeypatch.setattr(refunds, "require_active_account", lambda caller: None)
    with as_function(runtime, "CreateRefundFunction", fresh_clients=True):
        yield
    metrics.clear_metrics()  # what create() recorded is never flushed in this process


def _stored_order(order_id, **extra):
    order = {"id": order_id, "merchantId": "demo", "number": order_id, "status": "paid", "currency": "USD",
             "version": 1, "lineItems": [{"itemId": "sku-1", "name": "Widget", "quantity": 1,
                                          "unitPrice": Decimal("59.50"), "discount": Decimal(0), "tax": Decimal(0)}],
             "shipping": {"price": Decimal(0), "tax": Decimal(0)}, "totals": {"total": Decimal("59.50")}, **extra}
    return {**keys.order(order_id), **to_item(order)}


def test_a_transaction_conflict_is_retried_and_ends_in_15050_when_the_other_won(layer):
    client = aws.dynamodb()
    with Stubber(client) as stub:
        stub.add_response("get_item", {"Item": _stored_order("race-1")})
        stub.add_client_error("transact_write_items", "TransactionCanceledException",
                              response_meta={}, modeled_fields={"CancellationReasons": [
                                  {"Code": "TransactionConflict"}, {"Code": "None"}]})
        stub.add_response("get_item", {"Item": _stored_order("race-1", openRefundId="rf_winner", version=2)})
        with pytest.raises(refunds.ApiError) as caught:
            refunds.create(DEMO, "race-1", {"email": "m@example.com"})
        stub.assert_no_pending_responses()
    assert caught.value.entries[0][0] == 15050


def test_a_committed_create_whose_answer_was_lost_still_answers_200(layer, api):
    order_id = api.paid_order()
    client = aws.dynamodb()
    seen = []

    def lose_the_first_answer(attempts, response, **_):
        # The first TransactWriteItems commits, then its answer "never arrives":
        # botocore retries the very same call, as it does after a timeout.
        seen.append(attempts)
        return 0 if attempts == 1 and response and response[0].status_code == 200 else None

    client.meta.events.register_first("needs-retry.dynamodb.TransactWriteItems", lose_the_first_answer)
    try:
        created = refunds.create(DEMO, order_id, {"email": "m@example.com"})
    finally:
        client.meta.events.unregister("needs-retry.dynamodb.TransactWriteItems", lose_the_first_answer)
    assert seen[:2] == [1, 2]
    assert created["status"] == "REQUESTED"
    order = api.request("GET", f"/v1/orders/{order_id}", login="demo")
    assert order.status == 200
    # The order holds exactly this request: a new one is refused.
    again = api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com"}, login="demo")
    assert again.codes == [15050]
    assert sample_order()["number"] == order.body["data"]["number"]


def _commit_then_answer_in_progress(monkeypatch, client):
    """The first TransactWriteItems commits, yet the call fails with
    TransactionInProgressException (botocore's retries of a slow commit ran out)."""
    from botocore.exceptions import ClientError

    original, calls = client.transact_write_items, []

    def commit_then_fail(**params):
        calls.append(params)
        answer = original(**params)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "TransactionInProgressException", "Message": "in progress"}},
                              "TransactWriteItems")
        return answer

    monkeypatch.setattr(client, "transact_write_items", commit_then_fail)
    return calls


def test_a_create_answered_in_progress_that_had_committed_answers_200_with_it(layer, api, monkeypatch):
    order_id = api.paid_order()
    calls = _commit_then_answer_in_progress(monkeypatch, aws.dynamodb())
    created = refunds.create(DEMO, order_id, {"email": "m@example.com", "items": [{"itemId": "sku-1", "quantity": 1}]})
    assert len(calls) == 1  # recognised on the re-read: never written twice
    assert (created["status"], created["amount"], created["number"]) == ("REQUESTED", "24.75", "SO-1001-R1")
    listed = api.request("GET", f"/v1/refunds?orderId={order_id}", login="demo").body["data"]
    assert [refund["id"] for refund in listed] == [created["id"]]
