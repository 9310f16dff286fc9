from decimal import Decimal

import pytest

from refunds_core.money import exponent, fmt, parse_amount


@pytest.mark.parametrize(("text", "currency", "expected"), [
    ("25.00", "USD", Decimal("25.00")),
    ("0", "USD", Decimal("0")),
    ("1500", "JPY", Decimal("1500")),
    ("1.250", "KWD", Decimal("1.250")),
    ("999999999999.99", "EUR", Decimal("999999999999.99")),
])
def test_accepts_exact_decimal_strings(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(("text", "currency"), [
    ("1.5", "JPY"),        # yen has no minor unit
    ("1.001", "USD"),      # a tenth of a cent
    ("1.0001", "KWD"),
    ("1.0000", "USD"),     # zeros count: at most the currency's decimals are written
    ("1.0", "JPY"),
    ("1500.00", "JPY"),
    ("-1.00", "USD"),
    ("1e3", "USD"),
    ("NaN", "USD"),
    ("Infinity", "USD"),
    (" 1.00", "USD"),
    ("", "USD"),
    ("1000000000000", "USD"),
    (25.0, "USD"),         # a float is never money
])
def test_refuses_what_is_not_exact_money(text, currency):
    with pytest.raises(ValueError):
        parse_amount(text, currency)


def test_formats_with_the_currency_minor_unit():
    assert fmt(Decimal("45"), "USD") == "45.00"
    assert fmt(Decimal("1500"), "JPY") == "1500"
    assert fmt(Decimal("1.5"), "KWD") == "1.500"
    assert fmt(Decimal("0.005"), "USD") == "0.01"  # half-up
    assert exponent("XYZ") == 2
