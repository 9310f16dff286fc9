"""Refund math on orders a merchant would recognise (refunds_core/refund_math.py)."""

from decimal import Decimal, FloatOperation, localcontext

import pytest

from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic.refund_math import apply, compute_refund, nothing_refunded, refunded_total, remaining

D = Decimal


@pytest.fixture(autouse=True)
def no_float():
    """Any float mixed into Decimal arithmetic (or Decimal(float)) raises."""
    with localcontext() as ctx:
        ctx.traps[FloatOperation] = True
        yield


def order(lines, shipping=("0", "0"), currency="USD"):
    """An order as logic/orders.py stores it; lines are (itemId, quantity, unitPrice, discount, tax)."""
    line_items = [{"itemId": i, "name": i, "quantity": q, "unitPrice": D(p), "discount": D(d), "tax": D(t)}
                  for i, q, p, d, t in lines]
    price, ship_tax = D(shipping[0]), D(shipping[1])
    items = sum((ln["unitPrice"] * ln["quantity"] - ln["discount"] for ln in line_items), D(0))
    tax = sum((ln["tax"] for ln in line_items), D(0)) + ship_tax
    return {"currency": currency, "lineItems": line_items, "shipping": {"price": price, "tax": ship_tax},
            "totals": {"items": items, "shipping": price, "tax": tax, "total": items + price + tax}}


# The issue's order: 2 × 25.00, discount 5.00, tax 4.50, shipping 10.00 -> 59.50.
ISSUE = order([("sku-1", 2, "25.00", "5.00", "4.50")], shipping=("10.00", "0.00"))


def refund(an_order, consumed=None, **request):
    """Compute a refund and issue it: (breakdown, new consumed state)."""
    breakdown = compute_refund(an_order, consumed, **request)
    return breakdown, apply(consumed, breakdown)


def codes(caught):
    return [code for code, _ in caught.value.entries]


def test_the_issue_order_totals_59_50():
    assert ISSUE["totals"]["total"] == D("59.50")
    assert remaining(ISSUE)["total"] == D("59.50")


def test_one_unit_then_the_other_refunds_22_50_plus_2_25_each():
    first, consumed = refund(ISSUE, items=[{"itemId": "sku-1", "quantity": 1}])
    second, consumed = refund(ISSUE, consumed, items=[{"itemId": "sku-1", "quantity": 1}])
    for breakdown in (first, second):
        assert breakdown["items"] == [{"itemId": "sku-1", "quantity": 1, "amount": D("22.50"), "tax": D("2.25")}]
        assert (breakdown["tax"], breakdown["amount"], breakdown["currency"]) == (D("2.25"), D("24.75"), "USD")
        assert breakdown["shipping"] == {"amount": D("0.00"), "tax": D("0.00"), "included": False}
    left = remaining(ISSUE, consumed)
    assert left["lines"] == [{"itemId": "sku-1", "quantity": 0, "amount": D("0.00"), "tax": D("0.00")}]
    assert left["shipping"] == {"amount": D("10.00"), "tax": D("0.00")}
    assert left["total"] == D("10.00")


def test_a_full_refund_after_a_partial_one_returns_the_rest_and_the_shipping():
    _, consumed = refund(ISSUE, items=[{"itemId": "sku-1", "quantity": 1}])
    full, consumed = refund(ISSUE, consumed)
    assert full["kind"] == "full"
    assert full["items"] == [{"itemId": "sku-1", "quantity": 1, "amount": D("22.50"), "tax": D("2.25")}]
    assert full["shipping"] == {"amount": D("10.00"), "tax": D("0.00"), "included": True}
    assert full["amount"] == D("34.75")
    assert refunded_total(consumed) == D("59.50") and remaining(ISSUE, consumed)["total"] == D("0.00")


def test_a_full_refund_of_a_fresh_order_is_its_total():
    full = compute_refund(ISSUE, items=[])
    assert (full["amount"], full["tax"]) == (D("59.50"), D("4.50"))


def test_three_units_of_10_00_refund_3_33_3_33_3_34():
    three = order([("pen", 3, "10.00", "20.00", "0.00")])
    amounts, consumed = [], None
    for _ in range(3):
        breakdown, consumed = refund(three, consumed, items=[{"itemId": "pen", "quantity": 1}])
        amounts.append(breakdown["amount"])
    assert amounts == [D("3.33"), D("3.33"), D("3.34")]


def test_shipping_with_items_is_refunded_once():
    shipped = order([("a", 2, "5.00", "0", "1.00")], shipping=("4.99", "0.40"))
    first, consumed = refund(shipped, items=[{"itemId": "a", "quantity": 1}], refund_shipping=True)
    assert first["shipping"] == {"amount": D("4.99"), "tax": D("0.40"), "included": True}
    assert (first["tax"], first["amount"]) == (D("0.90"), D("10.89"))
    again = compute_refund(shipped, consumed, items=[{"itemId": "a", "quantity": 1}], refund_shipping=True)
    assert again["shipping"] == {"amount": D("0.00"), "tax": D("0.00"), "included": False}


def test_jpy_has_no_minor_unit():
    yen = order([("tea", 3, "1000", "1", "300")], shipping=("500", "50"), currency="JPY")
    first, consumed = refund(yen, items=[{"itemId": "tea", "quantity": 2}])
    # 2999 × 2/3 = 1999.33 -> 1999; tax 300 × 2/3 = 200
    assert first["items"][0] == {"itemId": "tea", "quantity": 2, "amount": D("1999"), "tax": D("200")}
    assert str(first["amount"]) == "2199"
    full, consumed = refund(yen, consumed)
    assert (full["items"][0]["amount"], full["items"][0]["tax"], full["amount"]) == (D("1000"), D("100"), D("1650"))
    assert refunded_total(consumed) == yen["totals"]["total"] == D("3849")


def test_kwd_has_three_decimals():
    dinar = order([("oud", 3, "1.000", "0.001", "0.050")], currency="KWD")
    first, consumed = refund(dinar, items=[{"itemId": "oud", "quantity": 1}])
    # 2.999 / 3 = 0.99966… -> 1.000; tax 0.050 / 3 = 0.01666… -> 0.017
    assert (str(first["items"][0]["amount"]), str(first["items"][0]["tax"])) == ("1.000", "0.017")
    _, consumed = refund(dinar, consumed, items=[{"itemId": "oud", "quantity": 1}])
    last, consumed = refund(dinar, consumed, items=[{"itemId": "oud", "quantity": 1}])
    assert (str(last["items"][0]["amount"]), str(last["items"][0]["tax"])) == ("0.999", "0.016")
    assert consumed["lines"]["oud"] == {"quantity": 3, "amount": D("2.999"), "tax": D("0.050")}


def test_rounding_never_overshoots_a_line_worth_less_than_a_cent_a_unit():
    cheap = order([("clip", 10, "0.01", "0.05", "0")])  # 0.05 paid for 10 units: 0.005 each
    consumed = None
    for _ in range(10):
        _, consumed = refund(cheap, consumed, items=[{"itemId": "clip", "quantity": 1}])
    assert consumed["lines"]["clip"]["amount"] == D("0.05")


def test_an_amount_refund_then_a_full_refund_takes_the_goodwill_off_the_shipping_first():
    goodwill, consumed = refund(ISSUE, amount=D("5.00"))
    assert (goodwill["kind"], goodwill["amount"], goodwill["items"]) == ("amount", D("5.00"), [])
    full, consumed = refund(ISSUE, consumed)
    assert full["shipping"]["amount"] == D("5.00")
    assert full["items"] == [{"itemId": "sku-1", "quantity": 2, "amount": D("45.00"), "tax": D("4.50")}]
    assert full["amount"] == D("54.50") and remaining(ISSUE, consumed)["total"] == D("0.00")


def test_goodwill_beyond_the_pre_tax_amounts_comes_off_the_tax_last():
    goodwill, consumed = refund(ISSUE, amount=D("57.00"))
    full, consumed = refund(ISSUE, consumed)
    assert full["shipping"] == {"amount": D("0.00"), "tax": D("0.00"), "included": True}
    assert full["items"] == [{"itemId": "sku-1", "quantity": 2, "amount": D("0.00"), "tax": D("2.50")}]
    assert full["amount"] == D("2.50") and refunded_total(consumed) == D("59.50")
    assert remaining(ISSUE, consumed)["lines"][0] == {"itemId": "sku-1", "quantity": 0,
                                                       "amount": D("0.00"), "tax": D("0.00")}


def test_an_item_refund_must_fit_what_goodwill_left_15100():
    _, consumed = refund(ISSUE, amount=D("50.00"))
    with pytest.raises(ApiError) as caught:
        compute_refund(ISSUE, consumed, items=[{"itemId": "sku-1", "quantity": 1}])
    assert codes(caught) == [15100] and caught.value.status == 400


def test_an_amount_above_what_remains_is_15100():
    _, consumed = refund(ISSUE, items=[{"itemId": "sku-1", "quantity": 1}])
    assert compute_refund(ISSUE, consumed, amount=D("34.75"))["amount"] == D("34.75")
    with pytest.raises(ApiError) as caught:
        compute_refund(ISSUE, consumed, amount=D("34.76"))
    assert codes(caught) == [15100]
    assert caught.value.entries[0][1] == "Refund is impossible. The amount exceeds what remains to refund."


def test_more_units_than_remain_is_15090():
    _, consumed = refund(ISSUE, items=[{"itemId": "sku-1", "quantity": 1}])
    with pytest.raises(ApiError) as caught:
        compute_refund(ISSUE, consumed, items=[{"itemId": "sku-1", "quantity": 2}])
    assert codes(caught) == [15090] and caught.value.status == 400
    assert caught.value.entries[0][1] == "Refund is impossible. The quantity exceeds what remains to refund."


@pytest.mark.parametrize(("items", "fields"), [
    ([{"itemId": "nope", "quantity": 1}], ["items[0].itemId"]),
    ([{"itemId": "sku-1", "quantity": 1}, {"itemId": "sku-1", "quantity": 1}], ["items[1].itemId"]),
    ([{"itemId": "sku-1", "quantity": 0}], ["items[0].quantity"]),
    ([{"itemId": "sku-1", "quantity": -1}], ["items[0].quantity"]),
    ([{"itemId": "sku-1", "quantity": 1.0}], ["items[0].quantity"]),
    ([{"itemId": "sku-1", "quantity": "1"}], ["items[0].quantity"]),
    ([{"itemId": "sku-1", "quantity": True}], ["items[0].quantity"]),
    ([{"itemId": "sku-1"}], ["items[0].quantity"]),
    ([{"itemId": 7, "quantity": 1}], ["items[0].itemId"]),
    (["sku-1"], ["items[0].itemId", "items[0].quantity"]),
    ({"sku-1": 1}, ["items"]),
])
def test_bad_items_are_15010_naming_the_field(items, fields):
    with pytest.raises(FieldErrors) as caught:
        compute_refund(ISSUE, items=items)
    assert caught.value.fields == fields and codes(caught) == [15010] * len(fields)


@pytest.mark.parametrize(("request_", "field"), [
    ({"amount": D("0")}, "amount"),
    ({"amount": D("-1.00")}, "amount"),
    ({"amount": D("1.001")}, "amount"),
    ({"amount": D("NaN")}, "amount"),
    ({"amount": 1.5}, "amount"),
    ({"amount": "1.50"}, "amount"),
    ({"amount": D("1.00"), "items": [{"itemId": "sku-1", "quantity": 1}]}, "amount"),
    ({"amount": D("1.00"), "refund_shipping": True}, "refundShipping"),
    ({"refund_shipping": "yes"}, "refundShipping"),
])
def test_a_bad_amount_or_combination_is_15010(request_, field):
    with pytest.raises(FieldErrors) as caught:
        compute_refund(ISSUE, **request_)
    assert caught.value.fields == [field]


def test_a_float_in_the_stored_order_is_refused_not_rounded():
    floaty = {**ISSUE, "shipping": {"price": 10.0, "tax": D("0")}}
    with pytest.raises(TypeError):
        remaining(floaty)


def test_dynamodb_numbers_work_and_come_back_with_the_currency_exponent():
    # boto3 hands numbers back as Decimal('2') and Decimal('25') (no trailing zeros).
    stored = order([("sku-1", 2, "25", "5", "4.5")], shipping=("10", "0"))
    stored["lineItems"][0]["quantity"] = D(2)
    breakdown = compute_refund(stored, items=[{"itemId": "sku-1", "quantity": 1}])
    assert [str(breakdown["items"][0][k]) for k in ("amount", "tax")] == ["22.50", "2.25"]
    assert str(breakdown["amount"]) == "24.75"


def test_apply_leaves_the_old_state_alone():
    before = nothing_refunded()
    breakdown = compute_refund(ISSUE, before, items=[{"itemId": "sku-1", "quantity": 1}])
    after = apply(before, breakdown)
    assert before == nothing_refunded()
    assert after["lines"]["sku-1"] == {"quantity": 1, "amount": D("22.50"), "tax": D("2.25")}
