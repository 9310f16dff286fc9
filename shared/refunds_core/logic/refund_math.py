"""Refund money math: pure, exact to the currency's minor unit, never a float. No AWS, no I/O.

The order is as stored (``logic/orders.py``): ``currency``, ``lineItems`` (``itemId``,
``quantity``, ``unitPrice``, ``discount``, ``tax``), ``shipping`` ``{price, tax}`` and
``totals.total``. What ISSUED refunds already took ("consumed", what the DB counters hold)::

    {"lines": {itemId: {"quantity": int, "amount": Decimal, "tax": Decimal}},
     "shipping": {"refunded": bool, "amount": Decimal, "tax": Decimal},
     "amountOnly": Decimal}

A line's or the shipping's ``amount`` is before tax; a refund's ``amount`` is all it returns,
tax included. Public API: ``nothing_refunded``, ``remaining``, ``compute_refund``,
``check_still_fits``, ``apply``, ``refunded_total``.

Amount-only refunds and a later full refund
-------------------------------------------
An amount-only (goodwill) refund belongs to no line: it consumes no units and no shipping,
it only lowers the order's remaining total. A later item refund must still fit in that
total (else 15100). A full refund returns every remaining unit and the shipping, and its
amount is exactly the order's remaining total: the amount-only refunds already taken come
off its parts, pre-tax amounts first (the shipping, then the lines from the last one up),
and its tax only once those are spent, in the same order. Why: a goodwill refund is a price
adjustment, so the tax ledger stays whole (all tax collected is refunded) whenever the
goodwill fits in the pre-tax amounts, and the lines stay exact whenever it fits in the
shipping. A line whose units are all refunded has nothing left, even if a full refund
returned less than its price: the difference is what the amount-only refunds returned.
"""

from __future__ import annotations

from decimal import Decimal

from refunds_core import errors
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.money import ZERO, exponent, to_minor


def consumed(order: dict) -> dict:
    """What the order's ISSUED refunds took (its ``refunded`` counters)."""
    return order.get("refunded") or nothing_refunded()


def nothing_refunded() -> dict:
    """The consumed state of an order no refund was ever ISSUED against."""
    return {"lines": {}, "shipping": {"refunded": False, "amount": ZERO, "tax": ZERO}, "amountOnly": ZERO}


def refunded_total(consumed: dict) -> Decimal:
    """Everything ISSUED refunds returned, tax included."""
    lines = sum((taken["amount"] + taken["tax"] for taken in consumed["lines"].values()), ZERO)
    shipping = consumed["shipping"]["amount"] + consumed["shipping"]["tax"]
    return lines + shipping + consumed["amountOnly"]


def remaining(order: dict, consumed: dict | None = None) -> dict:
    """What is left to refund: per line (quantity, amount, tax), the shipping, and in total."""
    consumed = consumed or nothing_refunded()
    currency = order["currency"]
    return {
        "lines": [_line_left(line, _taken(consumed, line["itemId"]), currency) for line in order["lineItems"]],
        "shipping": _shipping_left(order, consumed),
        "total": _exact(order["totals"]["total"] - refunded_total(consumed), currency),
        "currency": currency,
    }


def compute_refund(order: dict, consumed: dict | None = None, *, items: list | None = None,
                   amount: Decimal | None = None, refund_shipping: bool = False) -> dict:
    """The breakdown of a requested refund: ``items`` (itemId, quantity, amount, tax),
    ``shipping`` (amount, tax, included), ``tax``, ``amount``, ``currency`` and ``kind``
    (``items``, ``amount`` or ``full``). Raises FieldErrors (15010), 15090 or 15100."""
    consumed = consumed or nothing_refunded()
    if not isinstance(refund_shipping, bool):
        raise FieldErrors(["refundShipping"])
    if amount is not None:
        if items is not None:  # items with an amount: which one is meant is anyone's guess
            raise FieldErrors(["amount"])
        if refund_shipping:  # an amount refund has no parts the shipping could be one of
            raise FieldErrors(["refundShipping"])
        return _amount_refund(order, consumed, amount)
    if items:
        return _items_refund(order, consumed, items, refund_shipping)
    return _full_refund(order, consumed)


def check_still_fits(order: dict, consumed: dict | None, breakdown: dict) -> None:
    """At ISSUE: the parts a refund computed when it was requested, against what is left
    now (15090 for units, 15100 for money). Only a changed order or a broken invariant can
    fail it (one request is open at a time), but it is what stops any refund twice."""
    left = remaining(order, consumed)
    lines = {line["itemId"]: line for line in left["lines"]}
    for item in breakdown["items"]:
        line = lines.get(item["itemId"])
        if line is None or int(item["quantity"]) > line["quantity"]:
            raise ApiError(errors.QUANTITY_EXCEEDS_REMAINING)
        if item["amount"] > line["amount"] or item["tax"] > line["tax"]:
            raise ApiError(errors.AMOUNT_EXCEEDS_REMAINING)
    shipping = breakdown["shipping"]
    if shipping["amount"] > left["shipping"]["amount"] or shipping["tax"] > left["shipping"]["tax"]:
        raise ApiError(errors.AMOUNT_EXCEEDS_REMAINING)
    if breakdown["amount"] > left["total"]:
        raise ApiError(errors.AMOUNT_EXCEEDS_REMAINING)


def apply(consumed: dict | None, breakdown: dict) -> dict:
    """The consumed state once ``breakdown`` is ISSUED (a new dict; ``consumed`` is left alone)."""
    consumed = consumed or nothing_refunded()
    lines = {item_id: dict(taken) for item_id, taken in consumed["lines"].items()}
    for item in breakdown["items"]:
        taken = _taken(consumed, item["itemId"])
        lines[item["itemId"]] = {"quantity": int(taken["quantity"]) + item["quantity"],
                                 "amount": taken["amount"] + item["amount"], "tax": taken["tax"] + item["tax"]}
    before, part = consumed["shipping"], breakdown["shipping"]
    shipping = {"refunded": before["refunded"] or part["included"],
                "amount": before["amount"] + part["amount"], "tax": before["tax"] + part["tax"]}
    amount_only = consumed["amountOnly"] + (breakdown["amount"] if breakdown["kind"] == "amount" else ZERO)
    return {"lines": lines, "shipping": shipping, "amountOnly": amount_only}


# --- the three kinds of refund ----------------------------------------------------------

def _items_refund(order: dict, consumed: dict, items: list, refund_shipping: bool) -> dict:
    currency = order["currency"]
    parts = []
    for line, quantity in _parse_items(order, items):
        left = _line_left(line, _taken(consumed, line["itemId"]), currency)
        if quantity > left["quantity"]:
            raise ApiError(errors.QUANTITY_EXCEEDS_REMAINING)
        parts.append(_units(line, quantity, left, currency))
    shipping = _shipping_part(order, consumed) if refund_shipping else _no_shipping(currency)
    return _fitting(_result("items", currency, parts, shipping), order, consumed)


def _amount_refund(order: dict, consumed: dict, amount: Decimal) -> dict:
    currency = order["currency"]
    # isinstance also refuses a float: money that went through binary floating point is not exact.
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or not _is_exact(amount, currency):
        raise FieldErrors(["amount"])
    result = _result("amount", currency, [], _no_shipping(currency))
    return _fitting({**result, "amount": _exact(amount, currency)}, order, consumed)


def _full_refund(order: dict, consumed: dict) -> dict:
    left = remaining(order, consumed)
    parts = [line for line in left["lines"] if line["quantity"] > 0]
    shipping = _shipping_part(order, consumed)
    gross = sum((part["amount"] + part["tax"] for part in parts), shipping["amount"] + shipping["tax"])
    # Only amount-only refunds make the parts worth more than the order has left.
    _deduct(parts, shipping, max(gross - max(left["total"], ZERO), ZERO))
    return _result("full", order["currency"], parts, shipping)


def _deduct(parts: list[dict], shipping: dict, excess: Decimal) -> None:
    """Take ``excess`` off the parts in place: pre-tax before tax, shipping before the
    lines, the last line first (see the module's docstring for why)."""
    for key in ("amount", "tax"):
        for part in (shipping, *reversed(parts)):
            take = min(part[key], excess)
            part[key] -= take
            excess -= take


# --- the pieces -------------------------------------------------------------------------

def _parse_items(order: dict, items: list) -> list[tuple[dict, int]]:
    """(line, quantity) per requested item; every bad field at once, as 15010."""
    if not isinstance(items, list):
        raise FieldErrors(["items"])
    by_id = {line["itemId"]: line for line in order["lineItems"]}
    bad, seen, wanted = [], set(), []
    for i, entry in enumerate(items):
        entry = entry if isinstance(entry, dict) else {}
        item_id, quantity = entry.get("itemId"), entry.get("quantity")
        known = isinstance(item_id, str) and item_id in by_id and item_id not in seen
        # bool is an int subclass, and true is not a quantity
        whole = isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0
        if not known:
            bad.append(f"items[{i}].itemId")
        if not whole:
            bad.append(f"items[{i}].quantity")
        if known:
            seen.add(item_id)
            wanted.append((by_id[item_id], quantity))
    if bad:
        raise FieldErrors(bad)
    return wanted


def _units(line: dict, quantity: int, left: dict, currency: str) -> dict:
    """The refund of ``quantity`` units of a line; ``left`` is what the line has left."""
    if quantity == left["quantity"]:
        # The refund that completes the line takes exactly what remains, so a line's
        # refunds always add up to what was paid for it.
        amount, tax = left["amount"], left["tax"]
    else:
        # Capped at what is left: a line worth less than a minor unit per unit would
        # otherwise overshoot by rounding (0.05 over 10 units: ten refunds of 0.01).
        ordered = int(line["quantity"])
        amount = min(_share(line_paid(line), quantity, ordered, currency), left["amount"])
        tax = min(_share(line["tax"], quantity, ordered, currency), left["tax"])
    return {"itemId": line["itemId"], "quantity": quantity, "amount": amount, "tax": tax}


def _share(value: Decimal, part: int, whole: int, currency: str) -> Decimal:
    """value × part / whole rounded half-up to the minor unit, in integer minor units so no
    intermediate quotient is ever rounded to the context's precision first."""
    places = exponent(currency)
    units = int(_exact(value, currency).scaleb(places))
    return Decimal((2 * units * part + whole) // (2 * whole)).scaleb(-places)


def _line_left(line: dict, taken: dict, currency: str) -> dict:
    quantity = int(line["quantity"]) - int(taken["quantity"])
    if quantity <= 0:  # no units left, nothing left (see the module's docstring)
        amount = tax = ZERO
    else:
        amount, tax = line_paid(line) - taken["amount"], line["tax"] - taken["tax"]
    return {"itemId": line["itemId"], "quantity": max(quantity, 0),
            "amount": _exact(amount, currency), "tax": _exact(tax, currency)}


def _shipping_left(order: dict, consumed: dict) -> dict:
    currency, taken = order["currency"], consumed["shipping"]
    if taken["refunded"]:  # refunded once, whatever that refund returned
        return {"amount": _exact(ZERO, currency), "tax": _exact(ZERO, currency)}
    return {"amount": _exact(order["shipping"]["price"] - taken["amount"], currency),
            "tax": _exact(order["shipping"]["tax"] - taken["tax"], currency)}


def _shipping_part(order: dict, consumed: dict) -> dict:
    # "included" closes the shipping in apply(), even when a deduction left it at zero.
    return {**_shipping_left(order, consumed), "included": not consumed["shipping"]["refunded"]}


def _no_shipping(currency: str) -> dict:
    return {"amount": _exact(ZERO, currency), "tax": _exact(ZERO, currency), "included": False}


def _result(kind: str, currency: str, parts: list[dict], shipping: dict) -> dict:
    parts = [{**part, "amount": _exact(part["amount"], currency), "tax": _exact(part["tax"], currency)}
             for part in parts]
    shipping = {**shipping, "amount": _exact(shipping["amount"], currency), "tax": _exact(shipping["tax"], currency)}
    tax = sum((part["tax"] for part in parts), shipping["tax"])
    amount = sum((part["amount"] for part in parts), shipping["amount"]) + tax
    return {"kind": kind, "items": parts, "shipping": shipping, "tax": _exact(tax, currency),
            "amount": _exact(amount, currency), "currency": currency}


def _fitting(result: dict, order: dict, consumed: dict) -> dict:
    """15100 when the refund returns more than the order has left."""
    if result["amount"] > remaining(order, consumed)["total"]:
        raise ApiError(errors.AMOUNT_EXCEEDS_REMAINING)
    return result


def _taken(consumed: dict, item_id: str) -> dict:
    return consumed["lines"].get(item_id) or {"quantity": 0, "amount": ZERO, "tax": ZERO}


def line_paid(line: dict) -> Decimal:
    """What the customer paid for a line before tax (discount is for the whole line)."""
    return line["unitPrice"] * int(line["quantity"]) - line["discount"]


def _is_exact(value: Decimal, currency: str) -> bool:
    # scaleb/to_integral_value never raise on huge values, unlike quantize.
    scaled = value.scaleb(exponent(currency))
    return scaled == scaled.to_integral_value()


def _exact(value: Decimal, currency: str) -> Decimal:
    """``value`` with the currency's exponent. A float, or a value finer than the minor
    unit, is a bug upstream: refuse it rather than round it away silently."""
    if not isinstance(value, Decimal) or not _is_exact(value, currency):
        raise TypeError(f"not an exact {currency} amount: {value!r}")
    return to_minor(value, currency)
