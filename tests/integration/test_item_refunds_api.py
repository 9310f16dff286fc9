"""Item, amount and full refunds through the local API (issue 4, seeds 003/004):
the money a merchant sees on each refund and on its order, the refund's number,
the preview, ?expand=order, the order system's PUT once money went back, and
ISSUE's re-check of the refund against the order as it is when money moves.

Only ISSUED refunds count; one request is open per order at a time, so every
sequence below creates, approves and issues each refund before the next."""

from __future__ import annotations

from decimal import Decimal

import pytest

from refunds_core import aws
from refunds_core.callers import Caller, Role
from refunds_core.errors import ApiError
from refunds_core.logic import lifecycle
from tests.integration.test_lifecycle_api import customer_token

pytestmark = pytest.mark.server

EMAIL = "merchant@example.com"
SUPPORT = Caller("support", Role.SUPPORT, None)


# ------------------------------------------------------------------ helpers

def line(item_id, quantity, unit_price, discount="0", tax="0", name="Item") -> dict:
    return {"itemId": item_id, "name": name, "quantity": quantity, "unitPrice": unit_price, "discount": discount,
            "tax": tax}


def create(api, order_id, login="demo", **body):
    return api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": EMAIL, **body}, login=login)


def preview(api, order_id, login="demo", **body):
    return api.request("POST", f"/v1/order/{order_id}/refund/preview", json_body={"email": EMAIL, **body},
                       login=login)


def act(api, refund_id, action, **fields):
    return api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": action, **fields}, login="support")


def opened(api, order_id, **body) -> dict:
    answer = create(api, order_id, **body)
    assert answer.status == 200, answer
    return answer.body["data"]


def approved(api, order_id, **body) -> dict:
    refund = opened(api, order_id, **body)
    answer = act(api, refund["id"], "APPROVE")
    assert answer.status == 200 and answer.body["data"]["status"] == "PROCESSING", answer
    return answer.body["data"]


def issued(api, order_id, **body) -> dict:
    """A refund created, approved and issued: the money went back."""
    refund = approved(api, order_id, **body)
    answer = act(api, refund["id"], "ISSUE")
    assert answer.status == 200 and answer.body["data"]["status"] == "ISSUED", answer
    return answer.body["data"]


def order_of(api, order_id) -> dict:
    answer = api.request("GET", f"/v1/orders/{order_id}", login="demo")
    assert answer.status == 200, answer
    return answer.body["data"]


def counters(order: dict) -> tuple:
    return (order["refundedAmount"], order["refundableAmount"], order["refundStatus"], order["status"],
            [item["refundedQuantity"] for item in order["lineItems"]])


def money(refund: dict) -> tuple:
    """A refund's (or a preview's) money, as the merchant reads it."""
    return (refund["kind"], refund["items"], refund["shipping"], refund["tax"], refund["amount"], refund["currency"])


def items(*pairs) -> list[dict]:
    return [{"itemId": item_id, "quantity": quantity} for item_id, quantity in pairs]


def exact(text: str) -> Decimal:
    """An amount as the API wrote it, exactly (never through a float)."""
    return Decimal(text)


def field_errors(*fields) -> dict:
    return {"errors": [{"error": 15010, "message": f"Invalid field value: {f}"} for f in fields]}


# Two lines and taxed shipping: 45.00 + 4.50 + 12.00 + 1.20 + 10.00 + 0.80 = 73.50.
TWO_LINES = {"lineItems": [line("sku-1", 2, "25.00", "5.00", "4.50", "Widget"), line("sku-2", 1, "12.00", tax="1.20")],
             "shipping": {"price": "10.00", "tax": "0.80"}}


# ------------------------------------------------ the issue's math, end to end

def test_two_partial_refunds_and_a_full_one_add_up_to_the_order_total(api):
    order_id = api.paid_order()  # 2 x 25.00 - 5.00 discount + 4.50 tax + 10.00 shipping = 59.50

    first = issued(api, order_id, items=items(("sku-1", 1)))
    assert money(first) == ("items", [{"itemId": "sku-1", "quantity": 1, "amount": "22.50", "tax": "2.25"}],
                            {"amount": "0.00", "tax": "0.00"}, "2.25", "24.75", "USD")
    assert counters(order_of(api, order_id)) == ("24.75", "34.75", "partially_refunded", "paid", [1])

    second = issued(api, order_id, items=items(("sku-1", 1)))
    assert second["items"] == [{"itemId": "sku-1", "quantity": 1, "amount": "22.50", "tax": "2.25"}]
    assert second["amount"] == "24.75"
    assert counters(order_of(api, order_id)) == ("49.50", "10.00", "partially_refunded", "paid", [2])

    final = issued(api, order_id)  # neither items nor amount: everything that remains
    assert money(final) == ("full", [], {"amount": "10.00", "tax": "0.00"}, "0.00", "10.00", "USD")

    assert sum(exact(r["amount"]) for r in (first, second, final)) == exact("59.50")
    order = order_of(api, order_id)
    assert counters(order) == ("59.50", "0.00", "refunded", "refunded", [2])
    assert [r["status"] for r in order["refunds"]] == ["ISSUED"] * 3
    answer = create(api, order_id)
    assert answer.status == 400 and answer.codes == [15030]


def test_a_line_of_three_units_splits_its_cents_and_the_last_unit_takes_the_rest(api):
    # 3 x 4.00 - 2.00 discount = 10.00, tax 1.00: a third is 3.333... and 0.333...
    order_id = api.paid_order(lineItems=[line("sku-3", 3, "4.00", "2.00", "1.00")], shipping={"price": "0"})
    refunds = [issued(api, order_id, items=items(("sku-3", 1))) for _ in range(3)]
    assert [(r["items"][0]["amount"], r["items"][0]["tax"], r["amount"]) for r in refunds] == [
        ("3.33", "0.33", "3.66"), ("3.33", "0.33", "3.66"), ("3.34", "0.34", "3.68")]
    assert counters(order_of(api, order_id)) == ("11.00", "0.00", "refunded", "refunded", [3])


def test_a_zero_decimal_currency_refunds_whole_yen(api):
    # 3 x 1000 - 1 discount = 2999, tax 300, shipping 500: 3799 in all.
    order_id = api.paid_order(currency="JPY", lineItems=[line("sku-1", 3, "1000", "1", "300")],
                              shipping={"price": "500"})
    first = issued(api, order_id, items=items(("sku-1", 1)))
    assert (first["items"], first["amount"], first["shipping"]) == (
        [{"itemId": "sku-1", "quantity": 1, "amount": "1000", "tax": "100"}], "1100", {"amount": "0", "tax": "0"})
    second = issued(api, order_id, items=items(("sku-1", 1)))
    assert second["amount"] == "1100"
    final = issued(api, order_id)
    assert money(final) == ("full", [{"itemId": "sku-1", "quantity": 1, "amount": "999", "tax": "100"}],
                            {"amount": "500", "tax": "0"}, "100", "1599", "JPY")
    assert counters(order_of(api, order_id)) == ("3799", "0", "refunded", "refunded", [3])


def test_a_three_decimal_currency_refunds_to_the_fils(api):
    # 3 x 1.000 - 0.001 = 2.999, tax 0.100, shipping 0.500 + 0.050: 3.649 in all.
    order_id = api.paid_order(currency="KWD", lineItems=[line("sku-1", 3, "1.000", "0.001", "0.100")],
                              shipping={"price": "0.500", "tax": "0.050"})
    first = issued(api, order_id, items=items(("sku-1", 2)))  # 2.999 x 2/3 = 1.99933, 0.100 x 2/3 = 0.0667
    assert (first["items"], first["tax"], first["amount"]) == (
        [{"itemId": "sku-1", "quantity": 2, "amount": "1.999", "tax": "0.067"}], "0.067", "2.066")
    final = issued(api, order_id, items=items(("sku-1", 1)), refundShipping=True)
    assert (final["items"], final["shipping"], final["tax"], final["amount"]) == (
        [{"itemId": "sku-1", "quantity": 1, "amount": "1.000", "tax": "0.033"}], {"amount": "0.500", "tax": "0.050"},
        "0.083", "1.583")
    assert counters(order_of(api, order_id)) == ("3.649", "0.000", "refunded", "refunded", [3])


# ------------------------------------------------------------ shipping

def test_shipping_is_refunded_once_and_a_full_refund_returns_exactly_what_remains(api):
    order_id = api.paid_order(**TWO_LINES)  # 73.50

    first = issued(api, order_id, items=items(("sku-1", 1)), refundShipping=True)
    assert (first["shipping"], first["tax"], first["amount"]) == ({"amount": "10.00", "tax": "0.80"}, "3.05", "35.55")

    second = issued(api, order_id, items=items(("sku-2", 1)), refundShipping=True)
    assert second["shipping"] == {"amount": "0.00", "tax": "0.00"}  # already refunded: nothing more
    assert (second["items"], second["amount"]) == ([{"itemId": "sku-2", "quantity": 1, "amount": "12.00",
                                                     "tax": "1.20"}], "13.20")
    assert counters(order_of(api, order_id)) == ("48.75", "24.75", "partially_refunded", "paid", [1, 1])

    final = issued(api, order_id, items=[])  # an empty list is a full refund too
    assert money(final) == ("full", [{"itemId": "sku-1", "quantity": 1, "amount": "22.50", "tax": "2.25"}],
                            {"amount": "0.00", "tax": "0.00"}, "2.25", "24.75", "USD")
    assert exact(first["amount"]) + exact(second["amount"]) + exact(final["amount"]) == exact("73.50")
    assert counters(order_of(api, order_id)) == ("73.50", "0.00", "refunded", "refunded", [2, 1])


def test_items_without_refund_shipping_leave_the_shipping_for_later(api):
    order_id = api.paid_order(**TWO_LINES)
    issued(api, order_id, items=items(("sku-1", 2), ("sku-2", 1)))  # every unit, no shipping
    order = order_of(api, order_id)
    assert counters(order) == ("62.70", "10.80", "partially_refunded", "paid", [2, 1])
    final = issued(api, order_id)
    assert money(final) == ("full", [], {"amount": "10.00", "tax": "0.80"}, "0.80", "10.80", "USD")
    assert order_of(api, order_id)["refundStatus"] == "refunded"


def test_an_amount_refund_then_a_full_refund_returns_exactly_the_rest(api):
    order_id = api.paid_order()
    goodwill = issued(api, order_id, amount="5.25", batchId="batch-7")
    assert money(goodwill) == ("amount", [], {"amount": "0.00", "tax": "0.00"}, "0.00", "5.25", "USD")
    assert goodwill["batchId"] == "batch-7"
    assert counters(order_of(api, order_id)) == ("5.25", "54.25", "partially_refunded", "paid", [0])
    final = issued(api, order_id)
    assert final["amount"] == "54.25" and final["kind"] == "full"
    assert counters(order_of(api, order_id)) == ("59.50", "0.00", "refunded", "refunded", [2])


def test_a_refund_shows_its_batch_id_when_read_back(api):
    refund = opened(api, api.paid_order(), items=items(("sku-1", 1)), batchId="B" * 64)
    stored = api.request("GET", f"/v1/refunds/{refund['id']}", login="demo").body["data"]
    assert stored["batchId"] == "B" * 64
    assert money(stored) == money(refund)


# ------------------------------------------------------------ errors

@pytest.mark.parametrize(("body", "fields"), [
    ({"items": items(("sku-1", 1)), "amount": "1.00"}, ["amount"]),
    ({"items": items(("nope", 1))}, ["items[0].itemId"]),
    ({"items": items(("sku-1", 1), ("sku-1", 1))}, ["items[1].itemId"]),
    ({"items": items(("sku-1", 0))}, ["items[0].quantity"]),
    ({"items": items(("sku-1", -1))}, ["items[0].quantity"]),
    ({"items": items(("sku-1", "1"))}, ["items[0].quantity"]),
    ({"items": items(("sku-1", True))}, ["items[0].quantity"]),
    ({"items": items(("sku-1", 1.5))}, ["items[0].quantity"]),
    ({"items": [{"itemId": "sku-1"}]}, ["items[0].quantity"]),
    ({"items": [{"itemId": "sku-1", "quantity": 1, "amount": "1.00"}]}, ["items[0].amount"]),
    ({"items": items(("sku-2", 1), ("nope", 1))}, ["items[1].itemId"]),
    ({"items": {"itemId": "sku-1", "quantity": 1}}, ["items"]),
    ({"amount": "1.001"}, ["amount"]),
    ({"amount": "1.0000"}, ["amount"]),  # zeros too: at most the currency's decimals are written
    ({"amount": "0"}, ["amount"]),
    ({"amount": "0.00"}, ["amount"]),
    ({"amount": "-1.00"}, ["amount"]),
    ({"amount": 1}, ["amount"]),
    ({"amount": "1.00", "refundShipping": True}, ["refundShipping"]),
    ({"refundShipping": "yes"}, ["refundShipping"]),
    ({"batchId": "b" * 65}, ["batchId"]),
    ({"batchId": "has space"}, ["batchId"]),
])
@pytest.mark.parametrize("route", ["create", "preview"])
def test_bad_refund_fields_are_15010_and_open_nothing(api, body, fields, route):
    order_id = api.paid_order(**TWO_LINES)
    answer = (create if route == "create" else preview)(api, order_id, **body)
    assert answer.status == 400
    assert answer.body == field_errors(*fields)
    if route == "create":
        assert opened(api, order_id)["number"] == "SO-1001-R1"  # nothing was opened or counted


def test_amounts_finer_than_the_currency_are_15010(api):
    jpy = api.paid_order(currency="JPY", lineItems=[line("sku-1", 1, "1000")], shipping={"price": "0"})
    assert create(api, jpy, amount="1.5").body == field_errors("amount")
    kwd = api.paid_order(currency="KWD", lineItems=[line("sku-1", 1, "1.000")], shipping={"price": "0"})
    assert create(api, kwd, amount="0.0001").body == field_errors("amount")
    assert opened(api, kwd, amount="0.001")["amount"] == "0.001"


def test_more_units_than_remain_is_15090_counting_only_issued_refunds(api):
    order_id = api.paid_order(**TWO_LINES)
    assert create(api, order_id, items=items(("sku-1", 3))).codes == [15090]
    # A denied request for both units consumed nothing: both can be asked again.
    denied = opened(api, order_id, items=items(("sku-1", 2)))
    assert act(api, denied["id"], "DENY", responseReason="Not eligible", declineReason="not_eligible").status == 200
    cancelled = opened(api, order_id, items=items(("sku-1", 2)))
    assert api.request("DELETE", f"/v1/refunds/{cancelled['id']}", login="demo").status == 200
    failed = approved(api, order_id, items=items(("sku-1", 2)))
    assert act(api, failed["id"], "FAIL", responseReason="Card closed").status == 200
    assert counters(order_of(api, order_id)) == ("0.00", "73.50", "none", "paid", [0, 0])

    issued(api, order_id, items=items(("sku-1", 1)))
    answer = create(api, order_id, items=items(("sku-2", 1), ("sku-1", 2)))
    assert answer.status == 400 and answer.codes == [15090]
    assert preview(api, order_id, items=items(("sku-1", 2))).codes == [15090]
    assert opened(api, order_id, items=items(("sku-1", 1)))["items"][0]["amount"] == "22.50"


def test_more_money_than_remains_is_15100(api):
    order_id = api.paid_order()
    answer = create(api, order_id, amount="59.51")
    assert answer.status == 400 and answer.codes == [15100]
    issued(api, order_id, items=items(("sku-1", 1)))  # 24.75 back, 34.75 left
    assert create(api, order_id, amount="34.76").codes == [15100]
    assert preview(api, order_id, amount="34.76").codes == [15100]
    goodwill = issued(api, order_id, amount="30.00")  # 4.75 left, but one unit is worth 24.75
    assert goodwill["amount"] == "30.00"
    assert create(api, order_id, items=items(("sku-1", 1))).codes == [15100]
    final = issued(api, order_id)
    assert final["amount"] == "4.75"
    assert counters(order_of(api, order_id)) == ("59.50", "0.00", "refunded", "refunded", [2])


def test_a_denied_refund_of_everything_leaves_all_of_it_refundable(api):
    order_id = api.paid_order()
    denied = opened(api, order_id)
    assert denied["amount"] == "59.50"
    assert act(api, denied["id"], "DENY", responseReason="Fraud check", declineReason="not_eligible").status == 200
    assert counters(order_of(api, order_id)) == ("0.00", "59.50", "none", "paid", [0])
    assert issued(api, order_id)["amount"] == "59.50"


# ------------------------------------------------------------ number

def test_the_number_counts_every_request_of_the_order(api):
    order_id = api.paid_order(number="SO-4242")
    numbers = []
    first = opened(api, order_id, items=items(("sku-1", 1)))
    assert act(api, first["id"], "DENY", responseReason="No", declineReason="not_eligible").status == 200
    numbers.append(first["number"])
    second = opened(api, order_id)
    assert api.request("DELETE", f"/v1/refunds/{second['id']}", login="demo").status == 200
    numbers.append(second["number"])
    assert preview(api, order_id).status == 200  # a preview is not a request
    numbers.append(issued(api, order_id, items=items(("sku-1", 1)))["number"])
    numbers.append(opened(api, order_id)["number"])
    assert numbers == ["SO-4242-R1", "SO-4242-R2", "SO-4242-R3", "SO-4242-R4"]
    # Each order counts its own.
    assert opened(api, api.paid_order(number="SO-4242"))["number"] == "SO-4242-R1"


# ------------------------------------------------------------ preview

def test_a_preview_shows_what_create_then_computes_and_writes_nothing(api):
    order_id = api.paid_order(**TWO_LINES)
    before = order_of(api, order_id)
    seen = preview(api, order_id, items=items(("sku-1", 1)), refundShipping=True)
    assert seen.status == 200
    data = seen.body["data"]
    assert money(data) == ("items", [{"itemId": "sku-1", "quantity": 1, "amount": "22.50", "tax": "2.25"}],
                           {"amount": "10.00", "tax": "0.80"}, "3.05", "35.55", "USD")
    assert data["remaining"] == {
        "lines": [{"itemId": "sku-1", "quantity": 2, "amount": "45.00", "tax": "4.50"},
                  {"itemId": "sku-2", "quantity": 1, "amount": "12.00", "tax": "1.20"}],
        "shipping": {"amount": "10.00", "tax": "0.80"}, "total": "73.50"}
    assert data["remainingAfter"] == {
        "lines": [{"itemId": "sku-1", "quantity": 1, "amount": "22.50", "tax": "2.25"},
                  {"itemId": "sku-2", "quantity": 1, "amount": "12.00", "tax": "1.20"}],
        "shipping": {"amount": "0.00", "tax": "0.00"}, "total": "37.95"}

    assert order_of(api, order_id) == before  # nothing written
    created = opened(api, order_id, items=items(("sku-1", 1)), refundShipping=True)
    assert created["number"] == "SO-1001-R1"
    assert money(created) == money(data)


def test_a_preview_after_refunds_shows_what_is_left(api):
    order_id = api.paid_order(**TWO_LINES)
    issued(api, order_id, items=items(("sku-1", 1)), refundShipping=True)
    data = preview(api, order_id).body["data"]
    assert money(data) == ("full", [{"itemId": "sku-1", "quantity": 1, "amount": "22.50", "tax": "2.25"},
                                    {"itemId": "sku-2", "quantity": 1, "amount": "12.00", "tax": "1.20"}],
                           {"amount": "0.00", "tax": "0.00"}, "3.45", "37.95", "USD")
    assert data["remaining"]["total"] == "37.95"
    assert data["remaining"]["shipping"] == {"amount": "0.00", "tax": "0.00"}
    assert data["remainingAfter"] == {
        "lines": [{"itemId": "sku-1", "quantity": 0, "amount": "0.00", "tax": "0.00"},
                  {"itemId": "sku-2", "quantity": 0, "amount": "0.00", "tax": "0.00"}],
        "shipping": {"amount": "0.00", "tax": "0.00"}, "total": "0.00"}
    amount = preview(api, order_id, amount="7.95").body["data"]
    assert (amount["kind"], amount["amount"], amount["remainingAfter"]["total"]) == ("amount", "7.95", "30.00")
    assert issued(api, order_id)["amount"] == data["amount"]


def test_a_preview_works_while_a_request_is_open(api):
    order_id = api.paid_order()
    opened(api, order_id, items=items(("sku-1", 1)))
    assert create(api, order_id, items=items(("sku-1", 1))).codes == [15050]
    answer = preview(api, order_id, items=items(("sku-1", 1)))
    assert answer.status == 200
    # The open request is not ISSUED: it takes nothing from what remains.
    assert answer.body["data"]["remaining"]["total"] == "59.50"
    assert answer.body["data"]["amount"] == "24.75"


def test_a_preview_checks_the_order_like_create(api):
    assert preview(api, "does-not-exist").codes == [15060]
    theirs = preview(api, api.paid_order(), login="demo2")
    assert theirs.status == 404 and theirs.codes == [15060]
    assert preview(api, api.paid_order(status="pending")).codes == [15030]
    refunded = api.paid_order()
    issued(api, refunded)
    answer = preview(api, refunded)
    assert answer.status == 400 and answer.codes == [15030]
    free = api.paid_order(lineItems=[line("gift", 1, "0.00")], shipping={"price": "0"})
    assert preview(api, free).codes == [15040]


def test_a_customer_previews_its_own_order_only(api):
    token = customer_token(api)
    mine = api.paid_order()
    answer = api.request("POST", f"/v1/order/{mine}/refund/preview", token=token,
                         json_body={"email": EMAIL, "items": items(("sku-1", 1))})
    assert answer.status == 200 and answer.body["data"]["amount"] == "24.75"
    other = api.paid_order(customerId="cust-2")
    answer = api.request("POST", f"/v1/order/{other}/refund/preview", token=token, json_body={"email": EMAIL})
    assert answer.status == 404 and answer.codes == [15060]


# ------------------------------------------------- the order's counters

def test_only_issued_refunds_count_on_the_order(api):
    order_id = api.paid_order()
    fresh = order_of(api, order_id)
    assert counters(fresh) == ("0.00", "59.50", "none", "paid", [0])

    refund = opened(api, order_id, items=items(("sku-1", 1)))
    assert counters(order_of(api, order_id)) == ("0.00", "59.50", "none", "paid", [0])
    assert act(api, refund["id"], "APPROVE").status == 200
    assert counters(order_of(api, order_id)) == ("0.00", "59.50", "none", "paid", [0])
    assert act(api, refund["id"], "ISSUE").status == 200
    order = order_of(api, order_id)
    assert counters(order) == ("24.75", "34.75", "partially_refunded", "paid", [1])
    assert order["refunds"] == [{"id": refund["id"], "status": "ISSUED", "amount": "24.75",
                                 "createdAt": refund["createdAt"]}]


def test_support_sees_the_same_counters_as_the_merchant(api):
    order_id = api.paid_order()
    issued(api, order_id, amount="9.50")
    support = api.request("GET", f"/v1/orders/{order_id}", login="support").body["data"]
    assert counters(support) == counters(order_of(api, order_id)) == ("9.50", "50.00", "partially_refunded", "paid",
                                                                      [0])


# ------------------------------------------------------------ ?expand=order

def test_expand_order_returns_the_refund_with_its_order_and_counters(api):
    order_id = api.paid_order()
    refund = issued(api, order_id, items=items(("sku-1", 1)))
    plain = api.request("GET", f"/v1/refunds/{refund['id']}", login="demo")
    expanded = api.request("GET", f"/v1/refunds/{refund['id']}?expand=order", login="demo")
    assert expanded.status == 200
    data = dict(expanded.body["data"])
    order = data.pop("order")
    assert data == plain.body["data"] == {**refund, "actions": [], "simulations": []}  # ISSUED: nothing left to do
    assert "order" not in plain.body["data"]
    full_order = order_of(api, order_id)
    full_order.pop("refunds")
    assert order == full_order
    assert counters(order) == ("24.75", "34.75", "partially_refunded", "paid", [1])


@pytest.mark.parametrize("query", ["expand=orders", "expand=", "expand=ORDER", "expand=order&expand=order",
                                   "include=order", "expand=order&x=1"])
def test_any_other_query_is_15010(api, query):
    refund = opened(api, api.paid_order())
    answer = api.request("GET", f"/v1/refunds/{refund['id']}?{query}", login="demo")
    assert answer.status == 400 and set(answer.codes) == {15010}, answer.body


def test_another_merchants_refund_is_15070_even_expanded(api):
    refund = opened(api, api.paid_order())
    answer = api.request("GET", f"/v1/refunds/{refund['id']}?expand=order", login="demo2")
    assert answer.status == 404 and answer.body == {"errors": [{"error": 15070, "message": "Refund not found."}]}


def test_a_customer_sees_its_refund_with_its_order(api):
    order_id = api.paid_order()
    refund = issued(api, order_id, items=items(("sku-1", 1)))
    token = customer_token(api)
    answer = api.request("GET", f"/v1/refunds/{refund['id']}?expand=order", token=token)
    assert answer.status == 200
    assert answer.body["data"]["order"]["id"] == order_id
    assert answer.body["data"]["order"]["refundedAmount"] == "24.75"
    # Another customer's refund of the same merchant does not exist for it.
    theirs = opened(api, api.paid_order(customerId="cust-2"))
    assert api.request("GET", f"/v1/refunds/{theirs['id']}?expand=order", token=token).codes == [15070]


# ----------------------------------------- the order system after refunds

def test_an_order_with_an_issued_refund_keeps_its_money_fields(api):
    order_id = api.paid_order(**TWO_LINES)
    issued(api, order_id, items=items(("sku-1", 1)))

    _, same = api.put_order(order_id, **TWO_LINES)
    assert same.status == 200
    assert counters(same.body["data"]) == ("24.75", "48.75", "partially_refunded", "paid", [1, 0])

    changed_lines = [line("sku-1", 1, "25.00", "5.00", "4.50", "Widget"), TWO_LINES["lineItems"][1]]
    for change in ({"lineItems": changed_lines}, {"shipping": {"price": "0", "tax": "0"}}, {"currency": "EUR"}):
        _, answer = api.put_order(order_id, **{**TWO_LINES, **change})
        assert answer.status == 409 and answer.codes == [15210], (change, answer.body)
    order = order_of(api, order_id)
    assert order["lineItems"][0]["quantity"] == 2 and order["currency"] == "USD"
    assert counters(order) == ("24.75", "48.75", "partially_refunded", "paid", [1, 0])


def test_a_fully_refunded_order_cannot_be_put_back(api):
    order_id = api.paid_order()
    issued(api, order_id)
    _, answer = api.put_order(order_id)
    assert answer.status == 409 and answer.codes == [109]
    assert order_of(api, order_id)["status"] == "refunded"


# ------------------------------------------- ISSUE checks the order again

def test_an_open_request_freezes_the_orders_money_until_it_ends(api):
    order_id = api.paid_order()
    refund = approved(api, order_id, items=items(("sku-1", 2)))
    # Its amounts were computed from these lines: the order system cannot change them under it.
    for change in ({"lineItems": [line("sku-1", 1, "25.00", "5.00", "4.50", "Widget")]},
                   {"shipping": {"price": "12.00", "tax": "0.00"}}, {"currency": "EUR"}):
        _, answer = api.put_order(order_id, **change)
        assert answer.status == 409 and answer.codes == [15210]
    _, answer = api.put_order(order_id)  # the same order again is fine
    assert answer.status == 200
    # Once the request ends without money moving, the order is the order system's again.
    assert act(api, refund["id"], "FAIL", responseReason="Card expired").status == 200
    _, answer = api.put_order(order_id, lineItems=[line("sku-1", 1, "25.00", "5.00", "4.50", "Widget")])
    assert answer.status == 200
    assert issued(api, order_id)["amount"] == "34.50"


def test_an_order_cancelled_under_an_open_refund_makes_issue_15030_and_changes_nothing(api):
    order_id = api.paid_order()
    refund = approved(api, order_id, items=items(("sku-1", 1)))
    _, answer = api.put_order(order_id, status="cancelled")  # its money may already be back with the customer
    assert answer.status == 200

    answer = act(api, refund["id"], "ISSUE")
    assert answer.status == 400 and answer.codes == [15030]
    stored = api.request("GET", f"/v1/refunds/{refund['id']}", login="demo").body["data"]
    assert stored["status"] == "PROCESSING" and [h["action"] for h in stored["history"]] == ["CREATE", "APPROVE"]
    assert counters(order_of(api, order_id)) == ("0.00", "59.50", "none", "cancelled", [0])
    assert act(api, refund["id"], "DENY", responseReason="Order was cancelled",
               declineReason="not_eligible").status == 200


def _before_first(operation: str, action) -> list:
    """Run action() once, just before this process's first call of operation;
    the list returned records each call of operation."""
    calls = []

    def hook(**_):
        calls.append(operation)
        if len(calls) == 1:
            action()

    aws.dynamodb().meta.events.register_first(f"before-call.dynamodb.{operation}", hook)
    return calls


def test_an_order_changed_between_issues_read_and_write_is_read_again_and_counted_once(layer, api):
    order_id = api.paid_order()
    issued(api, order_id, items=items(("sku-1", 1)))
    refund = approved(api, order_id, items=items(("sku-1", 1)))

    # The order system re-sends the order (same body) after ISSUE read it:
    # the order's version moved, so the counters we computed may be stale.
    def resend():
        _, answer = api.put_order(order_id)
        assert answer.status == 200

    writes = _before_first("TransactWriteItems", resend)
    moved = lifecycle.act(SUPPORT, refund["id"], {"action": "ISSUE"})
    assert writes == ["TransactWriteItems"] * 2  # the first was refused, the second, re-read, committed
    assert moved["status"] == "ISSUED"
    assert counters(order_of(api, order_id)) == ("49.50", "10.00", "partially_refunded", "paid", [2])


@pytest.mark.parametrize(("units", "outcome"), [(1, "ISSUED"), (2, 15090)])
def test_counters_written_between_issues_read_and_write_are_never_overwritten(layer, api, dynamodb, table_name,
                                                                               units, outcome):
    """Another write counts one unit on the order after ISSUE read it (a stand-in
    for a second ISSUE: the counters of an order where one unit was issued,
    copied as stored). ISSUE must not write counters computed from what it read:
    it reads again and adds its own to the new ones, or, when they no longer
    leave room for it, refuses with 15090."""
    sibling = api.paid_order()
    issued(api, sibling, items=items(("sku-1", 1)))
    order_id = api.paid_order()
    refund = approved(api, order_id, items=items(("sku-1", units)))

    def count_one_unit():
        key = {"PK": {"S": f"ORDER#{order_id}"}, "SK": {"S": "ORDER"}}
        one_unit = dynamodb.get_item(TableName=table_name, Key={**key, "PK": {"S": f"ORDER#{sibling}"}},
                                     ConsistentRead=True)["Item"]["refunded"]
        dynamodb.update_item(TableName=table_name, Key=key,
                             UpdateExpression="SET refunded = :r, version = version + :one",
                             ExpressionAttributeValues={":r": one_unit, ":one": {"N": "1"}})
        assert counters(order_of(api, order_id))[0] == "24.75"

    _before_first("TransactWriteItems", count_one_unit)
    if outcome == "ISSUED":
        assert lifecycle.act(SUPPORT, refund["id"], {"action": "ISSUE"})["status"] == "ISSUED"
        assert counters(order_of(api, order_id)) == ("49.50", "10.00", "partially_refunded", "paid", [2])
    else:
        with pytest.raises(ApiError) as caught:
            lifecycle.act(SUPPORT, refund["id"], {"action": "ISSUE"})
        assert caught.value.entries[0][0] == outcome
        assert counters(order_of(api, order_id)) == ("24.75", "34.75", "partially_refunded", "paid", [1])
        assert api.request("GET", f"/v1/refunds/{refund['id']}", login="demo").body["data"]["status"] == "PROCESSING"


def test_the_same_refund_issued_meanwhile_is_15080_and_counted_once(layer, api):
    order_id = api.paid_order()
    refund = approved(api, order_id, items=items(("sku-1", 1)))
    _before_first("TransactWriteItems", lambda: act(api, refund["id"], "ISSUE"))
    with pytest.raises(ApiError) as caught:
        lifecycle.act(SUPPORT, refund["id"], {"action": "ISSUE"})
    assert caught.value.entries[0][0] == 15080
    assert counters(order_of(api, order_id)) == ("24.75", "34.75", "partially_refunded", "paid", [1])
    stored = api.request("GET", f"/v1/refunds/{refund['id']}", login="demo").body["data"]
    assert [h["action"] for h in stored["history"]] == ["CREATE", "APPROVE", "ISSUE"]


def test_an_order_cancelled_between_issues_read_and_write_is_15030(layer, api):
    order_id = api.paid_order()
    refund = approved(api, order_id, items=items(("sku-1", 1)))

    def cancel():
        _, answer = api.put_order(order_id, status="cancelled")
        assert answer.status == 200

    writes = _before_first("TransactWriteItems", cancel)
    with pytest.raises(ApiError) as caught:
        lifecycle.act(SUPPORT, refund["id"], {"action": "ISSUE"})
    assert caught.value.entries[0][0] == 15030  # the write's own condition saw it, not the read
    assert writes == ["TransactWriteItems"]  # explained from the order as stored, never written again
    assert counters(order_of(api, order_id)) == ("0.00", "59.50", "none", "cancelled", [0])
    stored = api.request("GET", f"/v1/refunds/{refund['id']}", login="demo").body["data"]
    assert stored["status"] == "PROCESSING"



def test_an_issue_answered_in_progress_that_had_committed_answers_200_and_counts_once(layer, api, monkeypatch):
    from tests.integration.test_create_refund_races import _commit_then_answer_in_progress

    order_id = api.paid_order()
    refund = approved(api, order_id, items=items(("sku-1", 1)))
    calls = _commit_then_answer_in_progress(monkeypatch, aws.dynamodb())
    answer = lifecycle.act(SUPPORT, refund["id"], {"action": "ISSUE"})
    assert len(calls) == 1
    assert answer["status"] == "ISSUED" and [h["action"] for h in answer["history"]] == ["CREATE", "APPROVE", "ISSUE"]
    assert counters(order_of(api, order_id)) == ("24.75", "34.75", "partially_refunded", "paid", [1])
