"""An order's details (PUT /v1/orders' ``details``: what the order system says
beside the money, seed 004's order record): each optional, bounded and
validated; stored as sent; shown with every field; never in the money."""

from __future__ import annotations

import pytest

from refunds_core import shapes
from refunds_core.errors import FieldErrors
from refunds_core.logic import orders
from refunds_core.models import OrderRequest
from refunds_core.validation import parse
from tests.conftest import sample_order

ADDRESS = {"firstName": "Jane", "lastName": "Doe", "company": "Acme", "address1": "1 Main St", "address2": "Apt 2",
           "city": "Springfield", "province": "IL", "zip": "62701", "country": "United States", "countryCode": "US",
           "phone": "+1 555 0100"}
DETAILS = {
    "note": "Leave at the door", "customerNote": "Gift wrap, please", "tags": "vip, gift", "paymentMethod": "card",
    "fulfillmentStatus": "fulfilled", "discountCode": "SPRING10", "salesPlatform": "web", "source": "newsletter",
    "landingSite": "https://shop.example.com/spring", "checkoutUrl": "https://shop.example.com/checkout/1",
    "logisticsCode": "UPS-GROUND", "buyerAcceptsMarketing": True, "cancelReason": "",
    "canceledAt": "2026-11-22T12:00:00+02:00", "browserIp": "2001:db8::1",
    "customer": {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com", "phone": "+1 555 0100"},
    "shippingAddress": ADDRESS, "billingAddress": {"countryCode": "DE"},
    "shippingLine": {"name": "Express", "description": "Within 2 days"},
}


def _stored(details: dict | None) -> dict:
    return orders._stored_fields(parse(OrderRequest, sample_order(**({} if details is None else
                                                                        {"details": details}))))


def test_every_detail_is_stored_as_sent_and_the_money_is_the_same_without_them():
    with_details, without = _stored(DETAILS), _stored(None)
    assert with_details.pop("details") == DETAILS and without.pop("details") is None
    assert with_details == without


def test_only_what_was_sent_is_stored():
    assert _stored({"note": "x", "customer": {"email": "a@b.co"}})["details"] == {
        "note": "x", "customer": {"email": "a@b.co"}}


def test_shown_with_every_field_null_where_nothing_was_sent():
    shown = orders.present_details({"note": "x", "customer": {"email": "a@b.co"}})
    assert list(shown) == list(shapes.OrderDetailsRecord.__annotations__)
    assert shown["note"] == "x" and shown["tags"] is None and shown["shippingAddress"] is None
    assert shown["customer"] == {"firstName": None, "lastName": None, "email": "a@b.co", "phone": None}
    assert orders.present_details(None) is None and orders.present_details({}) is None


@pytest.mark.parametrize(("details", "field"), [
    ({"note": "x" * 1001}, "details.note"),
    ({"tags": ["vip"]}, "details.tags"),
    ({"landingSite": "https://x/" + "a" * 2048}, "details.landingSite"),
    ({"buyerAcceptsMarketing": "yes"}, "details.buyerAcceptsMarketing"),
    ({"canceledAt": "yesterday"}, "details.canceledAt"),
    ({"canceledAt": "2026-11-22T12:00:00"}, "details.canceledAt"),  # no offset: which moment?
    ({"browserIp": "1.2.3"}, "details.browserIp"),
    ({"browserIp": "203.0.113.1; DROP"}, "details.browserIp"),
    ({"customer": {"email": "not an email"}}, "details.customer.email"),
    ({"customer": {"phone": "1" * 33}}, "details.customer.phone"),
    ({"customer": {"id": "c1"}}, "details.customer.id"),
    ({"shippingAddress": {"countryCode": "usa"}}, "details.shippingAddress.countryCode"),
    ({"shippingAddress": {"zip": "1" * 21}}, "details.shippingAddress.zip"),
    ({"billingAddress": "1 Main St"}, "details.billingAddress"),
    ({"shippingLine": {"price": "5.00"}}, "details.shippingLine.price"),  # money is `shipping`'s
    ({"note": None}, "details.note"),
    ({"totalPrice": "10.00"}, "details.totalPrice"),  # totals are ours
    ({"note": "nul\u0000"}, "details.note"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_a_bad_detail_is_15010_naming_it(details, field):
    with pytest.raises(FieldErrors) as refused:
        parse(OrderRequest, sample_order(details=details))
    assert refused.value.fields == [field]


def test_details_are_an_object():
    with pytest.raises(FieldErrors) as refused:
        parse(OrderRequest, sample_order(details="vip"))
    assert refused.value.fields == ["details"]
