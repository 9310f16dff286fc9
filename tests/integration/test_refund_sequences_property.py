"""A property through the real API: random orders in currencies with 0, 2 and 3
decimals, random sequences of item, item-with-shipping and amount refunds, each
created, approved and issued, then a full refund. Whatever the sequence, the
order never has more refunded than it cost, its counters always add up, and the
final full refund returns exactly what is left: the order ends at zero."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from refunds_core.money import exponent

pytestmark = pytest.mark.server

EMAIL = "merchant@example.com"


def text(minor_units: int, currency: str) -> str:
    return format(Decimal(minor_units).scaleb(-exponent(currency)), "f")


@st.composite
def orders(draw) -> dict:
    currency = draw(st.sampled_from(["JPY", "USD", "KWD"]))
    lines = []
    for i in range(draw(st.integers(1, 3))):
        quantity, unit = draw(st.integers(1, 4)), draw(st.integers(1, 5_000))
        lines.append({"itemId": f"sku-{i}", "name": "x", "quantity": quantity, "unitPrice": text(unit, currency),
                      "discount": text(draw(st.integers(0, unit * quantity - 1)), currency),
                      "tax": text(draw(st.integers(0, 999)), currency)})
    shipping = {"price": text(draw(st.integers(0, 900)), currency), "tax": text(draw(st.integers(0, 90)), currency)}
    return {"currency": currency, "lineItems": lines, "shipping": shipping}


# One step: refund some units (of lines picked by index), optionally with the
# shipping, or an amount (a share, in thousandths, of what the order has left).
steps = st.lists(st.one_of(
    st.tuples(st.just("items"), st.lists(st.integers(0, 2), min_size=1, max_size=3), st.booleans()),
    st.tuples(st.just("amount"), st.integers(1, 999)),
), max_size=4)


def refund(api, order_id, body) -> dict | None:
    """Create, approve and issue a refund; None when create refused it with 15100."""
    created = api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": EMAIL, **body}, login="demo")
    if created.status == 400 and created.codes == [15100]:
        return None
    assert created.status == 200, (body, created.body)
    refund_id = created.body["data"]["id"]
    for action in ("APPROVE", "ISSUE"):
        answer = api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": action}, login="support")
        assert answer.status == 200, (action, answer.body)
    assert answer.body["data"]["status"] == "ISSUED"
    return answer.body["data"]


def order_of(api, order_id) -> dict:
    return api.request("GET", f"/v1/orders/{order_id}", login="demo").body["data"]


def check_counters(order: dict, issued: list[dict]) -> None:
    total, refunded, left = (Decimal(order["totals"]["total"]), Decimal(order["refundedAmount"]),
                             Decimal(order["refundableAmount"]))
    assert Decimal(0) <= refunded <= total
    assert refunded + left == total
    assert refunded == sum((Decimal(r["amount"]) for r in issued), Decimal(0))
    for line in order["lineItems"]:
        assert 0 <= line["refundedQuantity"] <= line["quantity"]
        assert line["refundedQuantity"] == sum(i["quantity"] for r in issued for i in r["items"]
                                               if i["itemId"] == line["itemId"])


# Each example is a dozen HTTP calls: no shrinking (it would take minutes through
# the API; a failure is reported as generated, and the unit properties in
# tests/unit/test_refund_math_properties.py shrink the math itself).
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), plan=steps)
def test_any_sequence_of_refunds_then_a_full_one_ends_at_exactly_zero(api, order, plan):
    order_id, put = api.put_order(**order)
    assert put.status == 200, put.body
    issued: list[dict] = []
    amount_refunded = False
    for step in plan:
        current = order_of(api, order_id)
        if step[0] == "amount":
            left = int(Decimal(current["refundableAmount"]).scaleb(exponent(order["currency"])))
            share = left * step[1] // 1000
            if share == 0:
                continue
            body = {"amount": text(share, order["currency"])}
        else:
            wanted: dict[str, int] = {}
            for index in step[1]:
                line = current["lineItems"][index % len(current["lineItems"])]
                if line["quantity"] - line["refundedQuantity"] - wanted.get(line["itemId"], 0) > 0:
                    wanted[line["itemId"]] = wanted.get(line["itemId"], 0) + 1
            if not wanted:
                continue
            body = {"items": [{"itemId": k, "quantity": q} for k, q in wanted.items()], "refundShipping": step[2]}
        done = refund(api, order_id, body)
        # Only an amount refund taken before can leave less money than the units are worth.
        assert done is not None or amount_refunded, body
        if done is None:
            event("an item refund refused with 15100 after an amount refund")
            continue
        amount_refunded |= step[0] == "amount"
        issued.append(done)
        event(f"issued a {done['kind']} refund" + (" with shipping" if Decimal(done["shipping"]["amount"]) else ""))
        after = order_of(api, order_id)
        check_counters(after, issued)
        if after["refundStatus"] == "refunded":  # these units and the shipping were all that was left
            assert after["status"] == "refunded" and Decimal(after["refundableAmount"]) == 0
            event("refunded in full before the final full refund")
            return

    before = order_of(api, order_id)
    final = refund(api, order_id, {})
    assert final is not None and final["kind"] == "full"
    event(f"{order['currency']}: a final full refund after {len(issued)} partial ones")
    assert final["amount"] == before["refundableAmount"]
    issued.append(final)
    after = order_of(api, order_id)
    check_counters(after, issued)
    assert Decimal(after["refundableAmount"]) == 0 and after["refundedAmount"] == after["totals"]["total"]
    assert (after["refundStatus"], after["status"]) == ("refunded", "refunded")
    assert all(line["refundedQuantity"] == line["quantity"] for line in after["lineItems"])
