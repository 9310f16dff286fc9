"""Property-based tests of the refund math: random orders in currencies with 0, 2 and 3
decimals, random sequences of item and amount refunds, then a full refund."""

from decimal import Decimal, FloatOperation, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from refunds_core.errors import ApiError
from refunds_core.logic.refund_math import apply, compute_refund, nothing_refunded, refunded_total, remaining
from refunds_core.money import exponent

ZERO = Decimal(0)


def money(currency, most=100_000):
    """A non-negative amount built from whole minor units: exact by construction. Tiny
    amounts often, as a line worth less than a minor unit a unit is where rounding bites."""
    units = st.one_of(st.integers(0, min(most, 9)), st.integers(0, most))
    return units.map(lambda n: Decimal(n).scaleb(-exponent(currency)))


@st.composite
def orders(draw):
    currency = draw(st.sampled_from(["JPY", "USD", "KWD"]))
    lines = []
    for i in range(draw(st.integers(1, 5))):
        quantity, unit_price = draw(st.integers(1, 10)), draw(money(currency))
        gross_units = int((unit_price * quantity).scaleb(exponent(currency)))
        discount = draw(money(currency, gross_units))  # never more than the line's gross
        lines.append({"itemId": f"sku-{i}", "name": "x", "quantity": quantity, "unitPrice": unit_price,
                      "discount": discount, "tax": draw(money(currency, 20_000))})
    shipping = {"price": draw(st.one_of(st.just(ZERO), money(currency, 5_000))),
                "tax": draw(st.one_of(st.just(ZERO), money(currency, 1_000)))}
    items = sum((ln["unitPrice"] * ln["quantity"] - ln["discount"] for ln in lines), ZERO)
    tax = sum((ln["tax"] for ln in lines), ZERO) + shipping["tax"]
    return {"currency": currency, "lineItems": lines, "shipping": shipping,
            "totals": {"items": items, "shipping": shipping["price"], "tax": tax,
                       "total": items + shipping["price"] + tax}}


def paid(line):
    return line["unitPrice"] * line["quantity"] - line["discount"]


def assert_exact(value, currency):
    """Decimal (never a float), exact to the minor unit, with the currency's exponent."""
    assert type(value) is Decimal, value
    assert value.as_tuple().exponent == -exponent(currency), value


def assert_well_formed(breakdown, currency):
    for item in breakdown["items"]:
        assert type(item["quantity"]) is int and item["quantity"] > 0
        assert_exact(item["amount"], currency), assert_exact(item["tax"], currency)
        assert item["amount"] >= 0 and item["tax"] >= 0
    shipping = breakdown["shipping"]
    for value in (shipping["amount"], shipping["tax"], breakdown["tax"], breakdown["amount"]):
        assert_exact(value, currency)
        assert value >= 0
    if breakdown["kind"] != "amount":  # an amount refund has no parts: it is its own
        parts = sum((i["amount"] + i["tax"] for i in breakdown["items"]), shipping["amount"] + shipping["tax"])
        assert breakdown["amount"] == parts
        assert breakdown["tax"] == sum((i["tax"] for i in breakdown["items"]), shipping["tax"])


def assert_invariants(order, consumed):
    total = order["totals"]["total"]
    assert ZERO <= refunded_total(consumed) <= total
    left = remaining(order, consumed)
    assert left["total"] == total - refunded_total(consumed)
    for value in (left["total"], left["shipping"]["amount"], left["shipping"]["tax"]):
        assert_exact(value, order["currency"])
    for line, line_left in zip(order["lineItems"], left["lines"], strict=True):
        taken = consumed["lines"].get(line["itemId"], {"quantity": 0, "amount": ZERO, "tax": ZERO})
        assert 0 <= taken["quantity"] <= line["quantity"]
        assert ZERO <= taken["amount"] <= paid(line) and ZERO <= taken["tax"] <= line["tax"]
        assert line_left["quantity"] == line["quantity"] - taken["quantity"]
        assert_exact(line_left["amount"], order["currency"]), assert_exact(line_left["tax"], order["currency"])


def item_step(data, order, consumed, one_unit=False):
    """A partial item refund of some lines that still have units (and maybe the shipping);
    ``one_unit``: a single unit of one line, where rounding errors pile up fastest."""
    open_lines = [ln for ln, left in zip(order["lineItems"], remaining(order, consumed)["lines"], strict=True)
                  if left["quantity"] > 0]
    if not open_lines:
        return None
    chosen = data.draw(st.lists(st.sampled_from(open_lines), min_size=1, max_size=1 if one_unit else len(open_lines),
                                unique_by=lambda ln: ln["itemId"]))
    left = {ln["itemId"]: ln["quantity"] for ln in remaining(order, consumed)["lines"]}
    items = [{"itemId": ln["itemId"], "quantity": 1 if one_unit else data.draw(st.integers(1, left[ln["itemId"]]))}
             for ln in chosen]
    return {"items": items, "refund_shipping": data.draw(st.booleans())}


def amount_step(data, order, consumed):
    """An amount refund, sometimes more than remains (which must be refused)."""
    units = int(remaining(order, consumed)["total"].scaleb(exponent(order["currency"])))
    if units == 0:
        return None
    asked = data.draw(st.integers(1, units + units // 4 + 1))
    return {"amount": Decimal(asked).scaleb(-exponent(order["currency"]))}


def issue(order, consumed, request):
    """Compute and issue one refund, checking it; returns the new consumed state."""
    currency = order["currency"]
    left_before = remaining(order, consumed)
    try:
        breakdown = compute_refund(order, consumed, **request)
    except ApiError as error:
        (code, _), = error.entries
        assert code == 15100, code  # item steps never ask for more units than remain
        if "amount" in request:
            assert request["amount"] > left_before["total"]
        else:  # item refunds always fit, unless goodwill took part of the order
            assert consumed["amountOnly"] > 0
        return consumed
    if "amount" in request:
        assert request["amount"] <= left_before["total"]
    assert_well_formed(breakdown, currency)
    assert breakdown["amount"] <= left_before["total"]
    after = apply(consumed, breakdown)
    for item in breakdown["items"]:
        line = next(ln for ln in order["lineItems"] if ln["itemId"] == item["itemId"])
        taken = after["lines"][item["itemId"]]
        if taken["quantity"] == line["quantity"] and breakdown["kind"] == "items":
            # completed by units: the line's refunds sum exactly to what was paid for it
            assert (taken["amount"], taken["tax"]) == (paid(line), line["tax"])
    assert_invariants(order, after)
    return after


@settings(max_examples=200, deadline=None)
@given(order=orders(), data=st.data())
def test_any_sequence_then_a_full_refund_refunds_exactly_the_order(order, data):
    with localcontext() as ctx:
        ctx.traps[FloatOperation] = True  # a float mixed into the money raises
        consumed = nothing_refunded()
        for kind in data.draw(st.lists(st.sampled_from(["items", "amount"]), max_size=6)):
            step = item_step if kind == "items" else amount_step
            request = step(data, order, consumed)
            if request is not None:
                consumed = issue(order, consumed, request)
        goodwill = consumed["amountOnly"]
        consumed = issue(order, consumed, {})  # the full refund
        left = remaining(order, consumed)
        assert left["total"] == 0 and refunded_total(consumed) == order["totals"]["total"]
        assert all(ln["quantity"] == 0 and ln["amount"] == 0 and ln["tax"] == 0 for ln in left["lines"])
        assert left["shipping"] == {"amount": 0, "tax": 0}
        if goodwill == 0:  # with no goodwill to take off, every line is refunded exactly
            for line in order["lineItems"]:
                taken = consumed["lines"][line["itemId"]]
                assert (taken["quantity"], taken["amount"], taken["tax"]) == (line["quantity"], paid(line), line["tax"])


@settings(max_examples=200, deadline=None)
@given(order=orders(), data=st.data())
def test_item_refunds_sum_exactly_to_each_line(order, data):
    one_unit = data.draw(st.booleans())
    with localcontext() as ctx:
        ctx.traps[FloatOperation] = True
        consumed = nothing_refunded()
        while (request := item_step(data, order, consumed, one_unit)) is not None:
            consumed = issue(order, consumed, request)
        # every unit went by item refunds: each line exactly, and only the shipping can be left
        for line in order["lineItems"]:
            taken = consumed["lines"][line["itemId"]]
            assert (taken["amount"], taken["tax"]) == (paid(line), line["tax"])
        left = remaining(order, consumed)
        assert left["total"] == left["shipping"]["amount"] + left["shipping"]["tax"]
