"""Seed 004's client (tests/integration/seed004_client.py, written from the
seed's document alone) runs its story against the local runtime: a full
refund with no body, the answer's fields and types, AllRefunded false then
true once the refund is issued, 406 on a refunded order, 422 on a blank or
malformed id, 404, and 403 for a key without the write_order scope.

What the document leaves to the deployment is set up through our own API
(/v1), as the merchant's other systems would: its orders and their details
(the order system), its API keys, and the support decisions 004 has no
route for."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import as_function
from tests.integration.conftest import standard_library_imports_only
from tests.integration.seed004_client import FullOrderRefundClient, Refused, money, problems

pytestmark = pytest.mark.server

CLIENT_SOURCE = Path(__file__).with_name("seed004_client.py")
CONTACT = "refunds@story004.example.com"
NOT_REFUNDABLE = "After-sales is not included in current order."
DETAILS = {
    "note": "Leave at the door", "tags": "vip, gift", "paymentMethod": "card", "fulfillmentStatus": "fulfilled",
    "customer": {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com", "phone": "+1 555 0100"},
    "shippingAddress": {"firstName": "Jane", "lastName": "Doe", "address1": "1 Main St", "city": "Springfield",
                        "zip": "62701", "countryCode": "US"},
    "shippingLine": {"name": "Express Delivery", "description": "Delivery within 2 days"},
}


class Shop:
    """A fresh merchant of our API, its seed 004 clients, and what our API sets up for them."""

    def __init__(self, api, admin):
        self.api = api
        self.merchant_id, login = f"s4-{uuid.uuid4().hex[:8]}", f"s4-{uuid.uuid4().hex[:8]}"
        admin.create_merchant(self.merchant_id, contact_email=CONTACT)
        admin.create_login(login, "a-long-password", admin.Role.MERCHANT, self.merchant_id)
        answer = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
        assert answer.status == 200, answer
        self.token = answer.body["token"]
        self.client = FullOrderRefundClient(api.base_url, token=self.token)

    def key(self, *scopes: str) -> FullOrderRefundClient:
        """A client with an API key of these scopes."""
        created = self.api.request("POST", "/v1/api-keys", json_body={"scopes": list(scopes)}, token=self.token)
        assert created.status == 201, created
        return FullOrderRefundClient(self.api.base_url, api_key=created.body["data"]["key"])

    def order(self, status: str = "paid", currency: str = "USD", **fields) -> str:
        """A new order pushed by the order system: 2 x 25.00 - 5.00 discount + 4.50 tax + 10.00 shipping."""
        order_id = f"s4o-{uuid.uuid4().hex[:10]}"
        body = {"merchantId": self.merchant_id, "number": f"SPZ{uuid.uuid4().int % 10**8:08d}", "status": status,
                "currency": currency, "customerId": "user_001",
                "lineItems": [{"itemId": "sku-1", "name": "Widget", "quantity": 2, "unitPrice": "25.00",
                               "discount": "5.00", "tax": "4.50"}],
                "shipping": {"price": "10.00", "tax": "0.00"}, **fields}
        answer = self.api.request("PUT", f"/v1/orders/{order_id}", json_body=body, login="orders-service")
        assert answer.status == 200, answer
        return order_id

    def support(self, refund_id: str, *actions: str) -> None:
        """Decisions of our support (004 has no route for them), through /v1."""
        for action in actions:
            answer = self.api.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"action": action},
                                      login="support")
            assert answer.status == 200, answer


@pytest.fixture(scope="module")
def shop(api, runtime):
    from refunds_core.logic import accounts

    with as_function(runtime, "CreateFullRefundFunction"):
        yield Shop(api, accounts)


def _refused(call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value


def test_the_client_is_written_from_the_document_alone():
    """It imports the standard library only: nothing of this project leaks into it."""
    assert standard_library_imports_only(CLIENT_SOURCE) == set()


def test_the_whole_story(shop):
    client, order_id = shop.client, shop.order(details=DETAILS)

    # No body at all: everything that remains of the order, in the document's fields and types
    opened = client.refund_order(order_id)
    assert problems(opened) == []
    assert (opened["Status"], opened["RefundStatus"], opened["AllRefunded"]) == ("pending", "pending", False)
    assert (opened["Note"], opened["RefundFailReason"]) == ("", "")
    order = opened["Order"]
    assert order["Number"].startswith("SPZ") and opened["Number"] == order["Number"] + "-R1"
    assert (order["Id"], order["Status"], order["FinancialStatus"], order["Currency"]) == (
        order_id, "paid", "paid", "USD")
    assert {name: money(order[name]) for name in ("TotalPrice", "SubTotal", "TotalDiscount", "TotalTax",
                                                  "TotalShipping", "LineItemDiscountTotal", "TotalRefundPrice")} == {
        "TotalPrice": Decimal("59.50"), "SubTotal": Decimal("45.00"), "TotalDiscount": Decimal("5.00"),
        "TotalTax": Decimal("4.50"), "TotalShipping": Decimal("10.00"), "LineItemDiscountTotal": Decimal("5.00"),
        "TotalRefundPrice": 0}
    assert order["TotalPrice"] == "59.50"  # exact, with the currency's decimals
    assert order["ShippingLine"] == {"Name": "Express Delivery", "Desc": "Delivery within 2 days",
                                     "ShippingPrice": "10.00"}
    assert order["Customer"] == {"UserId": "user_001", "FirstName": "Jane", "LastName": "Doe",
                                 "Email": "jane@example.com", "Phone": "+1 555 0100"}
    assert order["ShippingAddress"]["Address1"] == "1 Main St" and order["BillingAddress"] is None
    assert (order["Note"], order["Tags"], order["PaymentMethod"], order["FulfillmentStatus"]) == (
        "Leave at the door", "vip, gift", "card", "fulfilled")
    assert money(opened["Refund"]["Amount"]) == money(order["TotalPrice"])  # items, shipping and tax

    # Read later: the same answer
    assert client.get_refund(order_id, opened["Id"]) == opened

    # Issued (our support's decisions): AllRefunded, finished
    shop.support(opened["Id"], "APPROVE", "ISSUE")
    issued = client.get_refund(order_id, opened["Id"])
    assert problems(issued) == []
    assert (issued["Status"], issued["RefundStatus"], issued["AllRefunded"]) == ("finished", "finished", True)
    assert (issued["Order"]["FinancialStatus"], issued["Order"]["TotalRefundPrice"]) == ("refunded", "59.50")

    # A refunded order has no after-sales left: 406, in the document's errors body, with our code
    refused = _refused(client.refund_order, order_id)
    assert (refused.status, refused.messages) == (406, [NOT_REFUNDABLE])
    assert refused.body == {"errors": [NOT_REFUNDABLE], "code": 15030}


@pytest.mark.parametrize("body", [{}, {"note": "Customer changed their mind"}, {"note": None}],
                         ids=["empty object", "a note", "a null note"])
def test_the_body_is_optional_and_may_carry_a_note(shop, body):
    opened = shop.client.refund_order(shop.order(), body=body)
    assert problems(opened) == [] and opened["Note"] == (body.get("note") or "")


def test_an_order_that_cannot_be_refunded_is_406(shop):
    client = shop.client
    order_id = shop.order()
    client.refund_order(order_id)
    assert _refused(client.refund_order, order_id).body == {"errors": [NOT_REFUNDABLE], "code": 15050}  # open
    assert _refused(client.refund_order, shop.order(status="pending")).body == {"errors": [NOT_REFUNDABLE],
                                                                                  "code": 15030}  # not paid


@pytest.mark.parametrize("order_id", [" ", "  \t", "bad id", "a" * 65, "-leading-dash", "%", "ö"],
                         ids=["a space", "blanks", "a space inside", "too long", "a leading dash", "percent",
                              "not ASCII"])
def test_a_blank_or_malformed_id_is_422_invalid_id(shop, order_id):
    refused = _refused(shop.client.refund_order, order_id)
    assert (refused.status, refused.body) == (422, {"errors": ["Invalid ID"], "code": 15250})


def test_an_empty_id_is_answered_by_api_gateway_before_us(shop):
    """`/v1/orders//full-refund` matches no route (a path parameter is never empty): the gateway's 404."""
    refused = _refused(shop.client.refund_order, "")
    assert refused.status == 404 and refused.body["errors"][0]["error"] == 104


def test_an_order_that_does_not_exist_for_the_caller_is_404(shop, api):
    assert _refused(shop.client.refund_order, f"nope-{uuid.uuid4().hex[:8]}").body == {
        "errors": ["Order not found"], "code": 15060}
    other = api.paid_order(merchant_id="demo2")
    assert _refused(shop.client.refund_order, other).body == {"errors": ["Order not found"], "code": 15060}
    order_id = shop.order()
    opened = shop.client.refund_order(order_id)
    elsewhere = _refused(shop.client.get_refund, shop.order(), opened["Id"])  # a refund of another order
    assert (elsewhere.status, elsewhere.body["code"]) == (404, 15070)
    assert _refused(shop.client.get_refund, order_id, "rf_1").body == {"errors": ["Invalid ID"], "code": 15250}


def test_a_key_needs_the_write_order_scope(shop):
    """The document: "Requires write_order access scope"."""
    reader, writer = shop.key("read_order"), shop.key("write_order")
    order_id = shop.order()
    refused = _refused(reader.refund_order, order_id)
    assert (refused.status, refused.body["code"]) == (403, 15120)
    opened = writer.refund_order(order_id)
    assert problems(opened) == [] and opened["Refund"]["Requester"].startswith("apikey:")
    assert reader.get_refund(order_id, opened["Id"])["Id"] == opened["Id"]  # reading takes read_order
    assert _refused(writer.get_refund, order_id, opened["Id"]).status == 403


def test_without_credentials_it_is_401_and_a_bad_body_400_in_its_errors_body(shop, api):
    anonymous = FullOrderRefundClient(api.base_url, api_key="")
    assert _refused(anonymous.refund_order, shop.order()).body == {"errors": ["Unsuccessful authorization."],
                                                                   "code": 101}
    bad = _refused(shop.client.refund_order, shop.order(), body={"note": "x" * 501, "amount": "1.00"})
    assert (bad.status, bad.body) == (400, {"errors": ["Invalid field value: note", "Invalid field value: amount"],
                                            "code": 15010})


def test_money_keeps_the_currency_s_decimals(shop):
    order_id = shop.order(currency="KWD", lineItems=[{"itemId": "a", "name": "A", "quantity": 1,
                                                      "unitPrice": "1.250", "tax": "0.125"}],
                          shipping={"price": "0.500", "tax": "0"})
    opened = shop.client.refund_order(order_id)
    assert (opened["Order"]["TotalPrice"], opened["Refund"]["Amount"]) == ("1.875", "1.875")
