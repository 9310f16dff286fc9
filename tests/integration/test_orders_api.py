"""PUT and GET /v1/orders/{orderId}: the order system's upsert and the merchant's read."""

import pytest

from tests.conftest import sample_order

pytestmark = pytest.mark.server


def test_the_server_computes_the_totals(api):
    order_id, answer = api.put_order()
    assert answer.status == 200
    order = answer.body["data"]
    assert order["totals"] == {"items": "45.00", "shipping": "10.00", "tax": "4.50", "total": "59.50"}
    assert order["lineItems"][0]["amount"] == "45.00"
    assert order["id"] == order_id and order["status"] == "paid"
    assert order["createdAt"].endswith("Z")


def test_an_upsert_replaces_the_order_and_keeps_its_creation_time(api):
    order_id, first = api.put_order()
    _, second = api.put_order(order_id, status="cancelled", number="SO-2")
    assert second.status == 200
    assert second.body["data"]["status"] == "cancelled" and second.body["data"]["number"] == "SO-2"
    assert second.body["data"]["createdAt"] == first.body["data"]["createdAt"]


@pytest.mark.parametrize(("currency", "price", "total"), [("JPY", "1500", "3010"), ("KWD", "1.250", "12.500")])
def test_money_follows_the_currency_minor_unit(api, currency, price, total):
    line = {"itemId": "a", "name": "A", "quantity": 2, "unitPrice": price, "tax": "0"}
    _, answer = api.put_order(currency=currency, lineItems=[line], shipping={"price": "10", "tax": "0"})
    assert answer.status == 200, answer.body
    assert answer.body["data"]["totals"]["total"] == total


def test_every_bad_field_is_reported(api):
    bad_lines = [{"itemId": "a", "name": "A", "quantity": 0, "unitPrice": "1.001", "tax": 1},
                 {"itemId": "a", "name": "B", "quantity": 1, "unitPrice": "5.00", "discount": "6.00"}]
    _, answer = api.put_order(status="refunded", lineItems=bad_lines, extra=True)
    assert answer.status == 400
    assert {e["message"] for e in answer.body["errors"]} == {
        "Invalid field value: status", "Invalid field value: lineItems[0].quantity",
        "Invalid field value: lineItems[0].tax", "Invalid field value: extra"}
    assert set(answer.codes) == {15010}
    # Money checks that depend on the currency come once the shape is right.
    good_shape = [{**bad_lines[0], "quantity": 1, "tax": "0"}, bad_lines[1]]
    _, answer = api.put_order(lineItems=good_shape)
    assert [e["message"] for e in answer.body["errors"]] == [
        "Invalid field value: lineItems[0].unitPrice", "Invalid field value: lineItems[1].itemId",
        "Invalid field value: lineItems[1].discount"]


def test_an_order_for_an_unknown_merchant_is_refused(api):
    _, answer = api.put_order(merchant_id="no-such-merchant")
    assert answer.status == 400 and answer.body["errors"] == [
        {"error": 15010, "message": "Invalid field value: merchantId"}]


def test_an_order_id_of_another_merchant_cannot_be_taken_over(api):
    order_id = api.paid_order()
    _, answer = api.put_order(order_id, merchant_id="demo2")
    assert answer.status == 409 and answer.codes == [109]
    assert api.request("GET", f"/v1/orders/{order_id}", login="demo").body["data"]["merchantId"] == "demo"


def test_a_merchant_reads_its_own_order_and_support_reads_any(api):
    order_id = api.paid_order()
    mine = api.request("GET", f"/v1/orders/{order_id}", login="demo")
    assert mine.status == 200 and mine.body["data"]["totals"]["total"] == "59.50"
    assert api.request("GET", f"/v1/orders/{order_id}", login="support").status == 200


def test_another_merchants_order_does_not_exist(api):
    order_id = api.paid_order()
    theirs = api.request("GET", f"/v1/orders/{order_id}", login="demo2")
    missing = api.request("GET", "/v1/orders/never-created", login="demo2")
    assert theirs.status == missing.status == 404
    assert theirs.body == missing.body == {"errors": [{"error": 15060, "message":
                                                        "Order refund is impossible. Order not found."}]}


def test_the_order_system_cannot_read_orders_back(api):
    assert api.request("GET", "/v1/orders/1001", login="orders-service").codes == [15120]


def test_money_is_never_a_json_number(api):
    _, answer = api.put_order(lineItems=[{**sample_order()["lineItems"][0], "unitPrice": 25.0}])
    assert answer.status == 400 and answer.body["errors"] == [
        {"error": 15010, "message": "Invalid field value: lineItems[0].unitPrice"}]


DETAILS = {"note": "Leave at the door", "tags": "vip", "buyerAcceptsMarketing": False,
           "customer": {"firstName": "Jane", "email": "jane@example.com"},
           "shippingLine": {"name": "Express"}}


def test_details_are_stored_as_sent_shown_and_replaced_by_the_next_put(api):
    order_id, put = api.put_order(details=DETAILS)
    assert put.status == 200, put
    for shown in (put.body["data"], api.request("GET", f"/v1/orders/{order_id}", login="demo").body["data"]):
        details = shown["details"]
        assert {name: value for name, value in details.items() if value is not None} == {
            **DETAILS, "customer": {"firstName": "Jane", "lastName": None, "email": "jane@example.com", "phone": None},
            "shippingLine": {"name": "Express", "description": None}}
        assert shown["totals"]["total"] == "59.50"
    assert api.put_order(order_id)[1].body["data"]["details"] is None  # a PUT replaces the order, details too


def test_details_may_change_while_a_request_is_open_the_money_may_not(api):
    order_id = api.paid_order(details=DETAILS)
    opened = api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com"}, login="demo")
    assert opened.status == 200, opened
    changed = api.put_order(order_id, details={**DETAILS, "note": "Ring twice", "fulfillmentStatus": "returned"})[1]
    assert changed.status == 200 and changed.body["data"]["details"]["note"] == "Ring twice"
    assert api.put_order(order_id, details=DETAILS, shipping={"price": "11.00", "tax": "0"})[1].codes == [15210]
