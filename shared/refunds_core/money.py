"""Money: ``Decimal`` end to end, exact to the currency's minor unit, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

# ISO 4217 currencies whose minor unit is not 2 decimals.
_EXPONENTS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
# Active ISO 4217 codes (2025 list) with 2 decimals.
_TWO_DECIMALS = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN
BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP
LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR
ZMW ZWG
""".split())
CURRENCIES = frozenset(_TWO_DECIMALS | _EXPONENTS.keys())

ZERO = Decimal(0)
# A trillion in major units: beyond any order, within DynamoDB's 38 digits.
_LIMIT = Decimal(10) ** 12


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


@cache  # a handful of currencies; formatting a page of refunds asks ~70 times
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def parse_amount(text: str, currency: str | None) -> Decimal:
    """A non-negative decimal string with no more decimals written than the currency has.

    Raises ValueError otherwise. Only strings are money: a JSON number could
    already have been rounded through a float by the client.
    """
    if not isinstance(text, str) or not text or text.strip() != text:
        raise ValueError("money must be a decimal string")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("not a decimal") from exc
    if not value.is_finite() or value < 0 or "e" in text.lower():
        raise ValueError("not a plain non-negative decimal")
    if value >= _LIMIT:  # before quantize, which cannot hold more digits than the context
        raise ValueError("amount too large")
    places = exponent(currency) if currency in CURRENCIES else 2
    # Written digits, not the value: "1.0000" for USD is refused like "1.0001",
    # as the docs say (at most the currency's decimals), wherever money is read.
    if -value.as_tuple().exponent > places:
        raise ValueError("more decimals than the currency's minor unit")
    return value


def to_minor(value: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def fmt(value: Decimal, currency: str) -> str:
    """Exact decimal string with the currency's number of decimals: ``Decimal('45') -> '45.00'``."""
    return format(to_minor(value, currency), "f")
