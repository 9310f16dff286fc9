"""Seed 002's client (tests/integration/seed002_client.py, written from the
seed's document alone) runs its whole story against the local runtime:
create as SELLER, list by page and size and by each filter, get, SHIP_INIT as
CUSTOMER, cancel, every type as the document gives it, and each refusal.

What the document leaves to the deployment is set up through our own API
(/v1), as the merchant's other systems would: its orders (the order system),
its tokens, and the support decisions 002 has no route for."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import as_function
from tests.integration.conftest import standard_library_imports_only
from tests.integration.seed002_client import Refused, Seed002Client, problems

pytestmark = pytest.mark.server

CLIENT_SOURCE = Path(__file__).with_name("seed002_client.py")
CONTACT = "refunds@story.example.com"


def _order(merchant_id: str, currency: str = "USD", price: str = "50.00", status: str = "paid") -> dict:
    return {"merchantId": merchant_id, "number": "SO-002", "status": status, "currency": currency,
            "customerId": "cust-1", "lineItems": [{"itemId": "sku-1", "name": "Shoes", "quantity": 1,
                                                   "unitPrice": price}]}


class Shop:
    """A fresh merchant of our API, its seed 002 clients and what our API sets up for them."""

    def __init__(self, api, admin):
        self.api = api
        self.merchant_id, login = f"s2-{uuid.uuid4().hex[:8]}", f"s2-{uuid.uuid4().hex[:8]}"
        admin.create_merchant(self.merchant_id, contact_email=CONTACT)
        admin.create_login(login, "a-long-password", admin.Role.MERCHANT, self.merchant_id)
        self.login = login
        self.token = self._token({"login": login, "password": "a-long-password"})
        customer = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"},
                               token=self.token)
        assert customer.status == 200, customer
        self.seller = Seed002Client(api.base_url, token=self.token)
        self.customer = Seed002Client(api.base_url, token=customer.body["token"])

    def _token(self, credentials: dict) -> str:
        answer = self.api.request("POST", "/v1/auth/token", json_body=credentials)
        assert answer.status == 200, answer
        return answer.body["token"]

    def order(self, order_id: str | None = None, **kwargs) -> int | str:
        """A new order pushed by the order system; an integer id unless one is given."""
        order_id = order_id or str(10**14 + uuid.uuid4().int % (9 * 10**14))
        answer = self.api.request("PUT", f"/v1/orders/{order_id}", json_body=_order(self.merchant_id, **kwargs),
                                  login="orders-service")
        assert answer.status == 200, answer
        return int(order_id) if order_id.isdigit() else order_id

    def support(self, refund: dict, action: str, **fields) -> None:
        """A decision of our support (002 has no route for it), through /v1."""
        answer = self.api.request("PATCH", f"/v1/refunds/{refund['refundId']}", login="support",
                                  json_body={"action": action, **fields})
        assert answer.status == 200, answer


@pytest.fixture(scope="module")
def shop(api, runtime):
    from refunds_core.logic import accounts

    with as_function(runtime, "V2CreateRefundFunction"):
        yield Shop(api, accounts)


def _refused(call, *args, **kwargs) -> tuple[int, list[int], list[str]]:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    entries = caught.value.body["errors"]
    return caught.value.status, [entry["error"] for entry in entries], [entry["message"] for entry in entries]


def test_the_client_is_written_from_the_document_alone():
    """It imports the standard library only: nothing of this project leaks into it."""
    assert standard_library_imports_only(CLIENT_SOURCE) == set()


def test_the_whole_story(shop):
    seller, customer = shop.seller, shop.customer
    shoes, yen = shop.order(), shop.order(currency="JPY", price="3000")

    # Create as SELLER: the document's entity, its types, money exact
    created = seller.create_refund(shoes, "Wrong size", Decimal("22.50"), refund_only=False)
    assert problems(created) == []
    assert (created["order"], created["amount"], created["status"], created["valid"]) == (
        shoes, Decimal("22.50"), "REQUESTED", True)
    assert '"amount": 22.50' in seller.last.text  # a number, with the currency's decimals
    assert (created["requestReason"], created["refundOnly"], created["requester"]) == ("Wrong size", False, shop.login)
    assert created["createdAt"].endswith("Z") and created["confirmedAt"] is None and created["issuedAt"] is None
    assert 0 < created["id"] <= 2**53 - 1
    in_yen = seller.create_refund(yen, "Late", 1500, refund_only=True)
    assert (in_yen["amount"], in_yen["refundOnly"]) == (1500, True) and '"amount": 1500,' in seller.last.text

    # Get: the same refund, by its integer id
    assert seller.get_refund(created["id"]) == created
    assert customer.get_refund(created["id"]) == created  # the order's customer sees it too

    # List: newest first, page by page, and each filter
    everything = seller.list_refunds()
    assert [r["id"] for r in everything] == [in_yen["id"], created["id"]]
    assert all(problems(r) == [] for r in everything)
    assert seller.list_refunds(page=0, size=1) == [everything[0]]
    assert seller.list_refunds(page=1, size=1) == [everything[1]]
    assert seller.list_refunds(page=2, size=1) == []
    assert seller.list_refunds(order_id=shoes) == [created]
    assert seller.list_refunds(status="REQUESTED", size=5) == everything
    assert seller.list_refunds(status="CANCELLED") == []
    assert seller.list_refunds(valid=True) == everything and seller.list_refunds(valid=False) == []

    # SHIP_INIT as CUSTOMER, on the refund whose refundOnly is false
    shipped = customer.provide_shipment(created["id"], "1Z999AA10123456784", "UPS")
    assert (shipped["trackingId"], shipped["carrierName"], shipped["status"]) == ("1Z999AA10123456784", "UPS",
                                                                                  "REQUESTED")
    assert _refused(customer.provide_shipment, in_yen["id"], "1Z", "UPS")[:2] == (409, [15080])  # refundOnly true
    assert _refused(seller.provide_shipment, created["id"], "1Z", "UPS")[:2] == (403, [15120])  # CUSTOMER only

    # Cancel: the refund, CANCELLED, no longer valid; the order takes a new request
    cancelled = seller.cancel_refund(created["id"])
    assert (cancelled["id"], cancelled["status"], cancelled["valid"]) == (created["id"], "CANCELLED", False)
    assert seller.list_refunds(status="CANCELLED") == [cancelled]
    assert seller.list_refunds(valid=False) == [cancelled]
    assert _refused(seller.cancel_refund, created["id"])[:2] == (409, [15080])
    assert seller.create_refund(shoes, "Wrong size again", Decimal("10"), refund_only=True)["amount"] == 10


def test_statuses_support_moves_a_refund_through(shop):
    """Approved, paid out, or failed (which 002 has not: DENIED), as a 002 client reads them."""
    seller = shop.seller
    waiting = seller.create_refund(shop.order(), "Broken", Decimal("5.00"), refund_only=False)
    shop.support(waiting, "APPROVE")
    assert seller.get_refund(waiting["id"])["status"] == "WAITING"  # approved, its shipment still to come
    assert seller.cancel_refund(waiting["id"])["status"] == "CANCELLED"  # WAITING may be cancelled

    issued = seller.create_refund(shop.order(), "Broken", Decimal("5.00"), refund_only=True)
    shop.support(issued, "APPROVE")
    assert _refused(seller.cancel_refund, issued["id"])[:2] == (409, [15080])  # PROCESSING may not
    shop.support(issued, "ISSUE")
    shown = seller.get_refund(issued["id"])
    assert (shown["status"], shown["valid"]) == ("ISSUED", True) and shown["confirmedAt"] and shown["issuedAt"]

    failed = seller.create_refund(shop.order(), "Broken", Decimal("5.00"), refund_only=True)
    shop.support(failed, "APPROVE")
    shop.support(failed, "FAIL", responseReason="The card was closed.")
    shown = seller.get_refund(failed["id"])
    assert (shown["status"], shown["valid"], shown["responseReason"]) == ("DENIED", False, "The card was closed.")
    assert failed["id"] in [r["id"] for r in seller.list_refunds(status="DENIED")]
    assert failed["id"] not in [r["id"] for r in seller.list_refunds(status="ISSUED")]


def test_an_order_whose_id_is_no_integer_shows_as_null(shop, api):
    order_id = shop.order(f"so-{uuid.uuid4().hex[:8]}")
    opened = api.request("POST", f"/v1/order/{order_id}/refund", token=shop.token, json_body={"email": CONTACT})
    assert opened.status == 200, opened
    shown = shop.seller.get_refund(opened.body["data"]["numericId"])
    assert (shown["order"], shown["orderId"], shown["refundId"]) == (None, order_id, opened.body["data"]["id"])


def test_v1_shows_the_same_refund_with_its_integer_id(shop, api):
    created = shop.seller.create_refund(shop.order(), "Wrong colour", Decimal("7.25"), refund_only=True)
    v1 = api.request("GET", f"/v1/refunds/{created['refundId']}", token=shop.token).body["data"]
    assert (v1["numericId"], v1["amount"], v1["description"], v1["email"]) == (created["id"], "7.25", "Wrong colour",
                                                                                CONTACT)


def test_a_retry_with_the_same_idempotency_key_gets_the_same_refund(shop):
    seller, order_id = shop.seller, shop.order()
    first = seller.create_refund(order_id, "Wrong size", Decimal("9.99"), refund_only=True, idempotency_key="k-1")
    again = seller.create_refund(order_id, "Wrong size", Decimal("9.99"), refund_only=True, idempotency_key="k-1")
    assert again == first and seller.last.headers.get("idempotent-replayed") == "true"
    assert _refused(seller.create_refund, order_id, "Other", Decimal("1"), True, idempotency_key="k-1")[:2] == (
        422, [15130])


# ------------------------------------------------------------------ refusals

@pytest.mark.parametrize(("body", "fields"), [
    ("{}", ["orderId", "reason", "amount", "refundOnly"]),
    ('{"orderId": "ORDER", "reason": "x", "amount": 1, "refundOnly": true}', ["orderId"]),  # a string
    ('{"orderId": ORDER.5, "reason": "x", "amount": 1, "refundOnly": true}', ["orderId"]),
    ('{"orderId": ORDER, "reason": "x", "amount": "22.50", "refundOnly": true}', ["amount"]),  # money as text
    ('{"orderId": ORDER, "reason": "x", "amount": 22.505, "refundOnly": true}', ["amount"]),  # finer than a cent
    ('{"orderId": ORDER, "reason": "x", "amount": 0, "refundOnly": true}', ["amount"]),
    ('{"orderId": ORDER, "reason": "x", "amount": -1, "refundOnly": true}', ["amount"]),
    ('{"orderId": ORDER, "reason": null, "amount": 1, "refundOnly": "yes"}', ["reason", "refundOnly"]),
])
def test_a_bad_field_is_400_15010_naming_it(shop, body, fields):
    answer = shop.seller.send("POST", "/api/v2/refunds", body.replace("ORDER", str(shop.order())))
    assert answer.status == 400, answer.text
    assert answer.text.count('"error": 15010') == len(fields)
    for field in fields:
        assert f"Invalid field value: {field}" in answer.text


def test_each_rule_of_the_core_is_its_code(shop):
    seller = shop.seller
    open_one = shop.order()
    seller.create_refund(open_one, "First", Decimal("1"), refund_only=True)
    assert _refused(seller.create_refund, open_one, "Second", Decimal("1"), True)[:2] == (400, [15050])
    assert _refused(seller.create_refund, shop.order(), "Too much", Decimal("50.01"), True)[:2] == (400, [15100])
    assert _refused(seller.create_refund, shop.order(status="pending"), "Unpaid", Decimal("1"), True)[:2] == (
        400, [15030])
    assert _refused(seller.create_refund, 10**15 + 7, "No such order", Decimal("1"), True)[:2] == (404, [15060])
    assert _refused(seller.get_refund, 1)[:2] == (404, [15070])
    assert _refused(seller.get_refund, "not-a-number")[:2] == (404, [15070])
    assert _refused(seller.get_refund, -5)[:2] == (404, [15070])


@pytest.mark.parametrize(("query", "fields"), [
    ({"page": 100, "size": 100}, ["page"]),  # deeper than 10 000 refunds
    ({"size": 101}, ["size"]), ({"page": -1}, ["page"]), ({"status": "PENDING"}, ["status"]),
    ({"valid": "yes"}, ["valid"]), ({"order_id": "abc"}, ["orderId"]),
])
def test_a_bad_list_parameter_is_400_15010_naming_it(shop, query, fields):
    status, codes, messages = _refused(shop.seller.list_refunds, **query)
    assert (status, codes, messages) == (400, [15010] * len(fields), [f"Invalid field value: {f}" for f in fields])


def test_who_may_call_is_seller_and_customer_only(shop, api):
    """A SELLER calls with its token or its API key; support and the order system may not."""
    for login in ("support", "orders-service"):
        client = Seed002Client(api.base_url, token=api.token(login))
        assert _refused(client.list_refunds)[:2] == (403, [15120])
    assert _refused(Seed002Client(api.base_url, token="not-a-token").list_refunds)[:2] == (401, [101])
    key = api.request("POST", "/v1/api-keys", json_body={"name": "seed 002 client"}, token=shop.token).body["data"]
    with_key = Seed002Client(api.base_url, api_key=key["key"])
    created = with_key.create_refund(shop.order(), "From the back office", Decimal("3.10"), True)
    assert created["requester"] == f"apikey:{key['id']}" and with_key.list_refunds(size=1) == [created]
    assert api.request("DELETE", f"/v1/api-keys/{key['id']}", token=shop.token).status == 204


def test_another_merchants_refund_and_order_do_not_exist(shop, api):
    theirs = shop.seller.create_refund(shop.order(), "Mine", Decimal("1"), refund_only=True)
    other = Seed002Client(api.base_url, token=api.token("demo2"))
    assert _refused(other.get_refund, theirs["id"])[:2] == (404, [15070])
    assert _refused(other.cancel_refund, theirs["id"])[:2] == (404, [15070])
    assert other.list_refunds(order_id=theirs["order"]) == []  # as an order without refunds, never 403
    assert _refused(other.create_refund, theirs["order"], "Not mine", Decimal("1"), True)[:2] == (404, [15060])


def test_a_merchant_without_a_contact_email_is_told_how_to_set_one(api, admin):
    merchant_id, login = f"s2-{uuid.uuid4().hex[:8]}", f"s2-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    order_id = str(10**14 + uuid.uuid4().int % 10**14)
    assert api.request("PUT", f"/v1/orders/{order_id}", json_body=_order(merchant_id),
                       login="orders-service").status == 200
    client = Seed002Client(api.base_url, token=token.body["token"])
    status, codes, messages = _refused(client.create_refund, int(order_id), "x", Decimal("1"), True)
    assert (status, codes) == (400, [15010])
    assert messages[0].startswith("Invalid field value: email. ") and "set-contact-email" in messages[0]
    admin.set_contact_email(merchant_id, "ops@merchant.example.com")
    assert client.create_refund(int(order_id), "x", Decimal("1"), True)["status"] == "REQUESTED"
