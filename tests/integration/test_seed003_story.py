"""Seed 003's client (tests/integration/seed003_client.py, written from the
seed's document alone) runs its story against the local runtime: with a
Bearer token and with an API key, the whole order, items of discounted
lines, a second refund once the first is issued, more units than remain
(422), a price refused, returnedDate given and null, 201 and its fields.

What the document leaves to the deployment is set up through our own API
(/v1) and the admin command, as the merchant's other systems would: its
orders (the order system), its tokens and keys, its store connection, and
the support decisions 003 has no route for."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest

from localrun.seed import LOCAL_ACCOUNTS
from tests.conftest import as_function
from tests.integration.conftest import standard_library_imports_only
from tests.integration.seed003_client import Refused, Seed003Client, problems

pytestmark = pytest.mark.server

CLIENT_SOURCE = Path(__file__).with_name("seed003_client.py")
CONTACT = "refunds@story3.example.com"
DEMO_CONNECTION = next(a.connection_id for a in LOCAL_ACCOUNTS if a.login == "demo")

# Shoes: 3 at 40.00 with 12.00 off the line (36.00 a unit paid, 3.60 of tax each); socks: 2 at 5.00.
LINES = [{"itemId": "shoes", "name": "Shoes", "quantity": 3, "unitPrice": "40.00", "discount": "12.00",
          "tax": "10.80"},
         {"itemId": "socks", "name": "Socks", "quantity": 2, "unitPrice": "5.00", "tax": "0.80"}]


class Shop:
    """A fresh merchant of our API with one store connection, and its seed 003 clients."""

    def __init__(self, api, accounts, connections):
        self.api, self._connections = api, connections
        self.merchant_id, self.login = f"s3-{uuid.uuid4().hex[:8]}", f"s3-{uuid.uuid4().hex[:8]}"
        accounts.create_merchant(self.merchant_id, contact_email=CONTACT)
        accounts.create_login(self.login, "a-long-password", accounts.Role.MERCHANT, self.merchant_id)
        self.connection = self.new_connection()
        answer = api.request("POST", "/v1/auth/token", json_body={"login": self.login, "password": "a-long-password"})
        assert answer.status == 200, answer
        self.token = answer.body["token"]
        key = api.request("POST", "/v1/api-keys", json_body={"name": "seed 003 client"}, token=self.token)
        assert key.status == 201, key
        self.with_token = Seed003Client(api.base_url, token=self.token)
        self.with_key = Seed003Client(api.base_url, api_key=key.body["data"]["key"])

    def new_connection(self) -> str:
        """One more store connection, as the admin command creates it."""
        return self._connections.create(self.merchant_id, "web shop")["id"]

    def order(self, status: str = "paid") -> str:
        """A new order pushed by the order system."""
        order_id = f"so-{uuid.uuid4().hex[:10]}"
        answer = self.api.request("PUT", f"/v1/orders/{order_id}", login="orders-service", json_body={
            "merchantId": self.merchant_id, "number": "SO-3", "status": status, "currency": "USD",
            "lineItems": LINES, "shipping": {"price": "7.00", "tax": "0.00"}})
        assert answer.status == 200, answer
        return order_id

    def issue(self, refund: dict) -> None:
        """Our support approves it and pays it out (003 has no route for it), through /v1."""
        for action in ("APPROVE", "ISSUE"):
            answer = self.api.request("PATCH", f"/v1/refunds/{refund['id']}", login="support",
                                      json_body={"action": action})
            assert answer.status == 200, answer


@pytest.fixture(scope="module")
def shop(api, runtime):
    from refunds_core.logic import accounts, connections

    with as_function(runtime, "CreateConnectionRefundFunction"):
        yield Shop(api, accounts, connections)


def _refused(call, *args, **kwargs) -> tuple[int, list[int], list[str]]:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    entries = caught.value.body["errors"]
    return caught.value.status, [entry["error"] for entry in entries], [entry["message"] for entry in entries]


def _lines(refund: dict) -> list[tuple[str, int, str, str]]:
    return [(item["itemId"], item["quantity"], item["amount"], item["tax"]) for item in refund["items"]]


def test_the_client_is_written_from_the_document_alone():
    """It imports the standard library only: nothing of this project leaks into it."""
    assert standard_library_imports_only(CLIENT_SOURCE) == set()


def test_items_of_discounted_lines_then_a_second_refund_once_the_first_is_issued(shop):
    order_id = shop.order()

    # Bearer: one unit of the discounted line, at what was paid for it; returnedDate given
    first = shop.with_token.refund_order(shop.connection, order_id, items=[{"itemId": "shoes", "quantity": 1}],
                                         batch_id="returns-11-20", returned_date="2026-11-20T15:00:00+01:00")
    assert shop.with_token.last.status == 201 and problems(first) == []
    assert (first["connectionId"], first["batchId"], first["returnedDate"]) == (
        shop.connection, "returns-11-20", "2026-11-20T14:00:00.000Z")  # the instant sent, in UTC
    assert _lines(first) == [("shoes", 1, "36.00", "3.60")] and first["amount"] == "39.60"
    assert datetime.fromisoformat(first["createdDate"]).tzinfo is not None and first["id"].startswith("rf_")

    # A second partial refund while the first is open: one open request per order
    assert _refused(shop.with_key.refund_order, shop.connection, order_id,
                    items=[{"itemId": "socks", "quantity": 1}])[:2] == (422, [15050])

    # Once the first is issued, the API key refunds the rest of the line and a sock; returnedDate null
    shop.issue(first)
    second = shop.with_key.refund_order(shop.connection, order_id, returned_date=None,
                                        items=[{"itemId": "shoes", "quantity": 2}, {"itemId": "socks", "quantity": 1}])
    assert problems(second) == [] and (second["returnedDate"], second["batchId"]) == (None, None)
    assert _lines(second) == [("shoes", 2, "72.00", "7.20"), ("socks", 1, "5.00", "0.40")]
    assert second["amount"] == "84.60"
    shop.issue(second)

    # More units than remain of a line: 422
    assert _refused(shop.with_key.refund_order, shop.connection, order_id,
                    items=[{"itemId": "shoes", "quantity": 1}])[:2] == (422, [15090])
    assert _refused(shop.with_key.refund_order, shop.connection, order_id,
                    items=[{"itemId": "socks", "quantity": 2}])[:2] == (422, [15090])

    # No items: everything that remains (the last sock and the shipping); then nothing is left: 422
    rest = shop.with_token.refund_order(shop.connection, order_id)
    assert _lines(rest) == [("socks", 1, "5.00", "0.40")] and rest["shipping"] == {"amount": "7.00", "tax": "0.00"}
    assert rest["amount"] == "12.40" and rest["returnedDate"] is None
    shop.issue(rest)
    assert _refused(shop.with_token.refund_order, shop.connection, order_id)[:2] == (422, [15030])


def test_an_empty_list_refunds_the_entire_order(shop):
    whole = shop.with_key.refund_order(shop.connection, shop.order(), items=[], batch_id="whole")
    assert problems(whole) == []
    assert _lines(whole) == [("shoes", 3, "108.00", "10.80"), ("socks", 2, "10.00", "0.80")]
    assert whole["amount"] == "136.60"  # the order's total: items after discounts, tax, shipping


def test_v1_shows_the_same_refund(shop, api):
    created = shop.with_token.refund_order(shop.connection, shop.order(), items=[{"itemId": "socks", "quantity": 1}],
                                           batch_id="seen-on-v1")
    v1 = api.request("GET", f"/v1/refunds/{created['id']}", token=shop.token).body["data"]
    assert (v1["kind"], v1["batchId"], v1["email"], v1["amount"], v1["status"]) == (
        "items", "seen-on-v1", CONTACT, "5.40", "REQUESTED")


def test_a_retry_with_the_same_idempotency_key_gets_the_same_refund(shop):
    client, order_id = shop.with_key, shop.order()
    first = client.refund_order(shop.connection, order_id, items=[{"itemId": "socks", "quantity": 1}],
                                idempotency_key="k-3")
    again = client.refund_order(shop.connection, order_id, items=[{"itemId": "socks", "quantity": 1}],
                                idempotency_key="k-3")
    assert again == first and client.last.headers.get("idempotent-replayed") == "true"
    assert _refused(client.refund_order, shop.connection, order_id, idempotency_key="k-3")[:2] == (422, [15130])


# ------------------------------------------------------------------ refusals

@pytest.mark.parametrize(("body", "fields"), [
    ('{"items": [{"itemId": "shoes", "quantity": 1, "price": "36.00"}]}', ["items[0].price"]),
    ('{"items": [{"itemId": "shoes", "quantity": 1, "tax": "3.60"}]}', ["items[0].tax"]),
    ('{"items": [{"itemId": "shoes", "quantity": 1, "unitPrice": 40}]}', ["items[0].unitPrice"]),
    ('{"amount": "10.00"}', ["amount"]),
    ('{"tax": "1.00", "items": [{"itemId": "shoes", "quantity": 1}]}', ["tax"]),
    ('{"items": [{"itemId": "shoes", "quantity": 0}]}', ["items[0].quantity"]),
    ('{"items": [{"itemId": "hat", "quantity": 1}]}', ["items[0].itemId"]),  # no such line
    ('{"items": [{"itemId": "shoes", "quantity": 1}, {"itemId": "shoes", "quantity": 1}]}', ["items[1].itemId"]),
    ('{"returnedDate": "yesterday"}', ["returnedDate"]),
    ('{"returnedDate": "2026-11-20T15:00:00"}', ["returnedDate"]),  # no offset: which instant?
    ('{"batchId": null, "items": null}', ["batchId", "items"]),
])
def test_a_bad_field_or_a_price_is_400_15010_naming_it(shop, body, fields):
    answer = shop.with_token.send(shop.connection, shop.order(), body)
    assert answer.status == 400, answer
    assert [(entry["error"], entry["message"]) for entry in answer.body["errors"]] == [
        (15010, f"Invalid field value: {field}") for field in fields]


def test_what_the_order_cannot_do_is_422_and_what_is_not_there_404(shop, api):
    client = shop.with_token
    assert _refused(client.refund_order, shop.connection, shop.order(status="pending"))[:2] == (422, [15030])
    assert _refused(client.refund_order, shop.connection, "no-such-order")[:2] == (404, [15060])
    assert _refused(client.refund_order, shop.connection, "1001")[:2] == (404, [15060])  # demo's order
    order_id = shop.order()
    for connection in (DEMO_CONNECTION, str(uuid.uuid4()), "not-a-connection"):  # demo's, nobody's, no UUID
        assert _refused(client.refund_order, connection, order_id)[:2] == (404, [15240])


def test_a_connection_is_read_under_the_callers_merchant_and_an_id_no_uuid_is_read_nowhere(handlers):
    """demo2's request for demo's connection reads demo2's connections only; ids
    that are no UUID as we write them are 404 without a read."""
    def connection_reads(connection: str) -> list[tuple[str, str]]:
        answer = handlers.request("POST", f"/v1/connections/{connection}/orders/1001/refunds", json_body={},
                                  login="demo2")
        assert (answer.status, answer.codes) == (404, [15240]), answer
        return [read for read in answer.reads if read[1].endswith("#CONNECTIONS")]

    assert connection_reads(DEMO_CONNECTION) == [("GetItem", "MERCHANT#demo2#CONNECTIONS")]
    for not_ours in ("not-a-connection", DEMO_CONNECTION.upper(), DEMO_CONNECTION + "0", "{" + DEMO_CONNECTION + "}",
                     DEMO_CONNECTION.replace("-", "")):
        assert connection_reads(not_ours) == []


def test_any_connection_of_the_merchant_reaches_its_orders(shop):
    other = shop.new_connection()
    created = shop.with_key.refund_order(other, shop.order(), items=[{"itemId": "socks", "quantity": 1}])
    assert created["connectionId"] == other != shop.connection


def test_who_may_refund_is_the_merchant(shop, api):
    for login in ("support", "orders-service"):
        client = Seed003Client(api.base_url, token=api.token(login))
        assert _refused(client.refund_order, shop.connection, shop.order())[:2] == (403, [15120])
    customer = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"}, token=shop.token)
    client = Seed003Client(api.base_url, token=customer.body["token"])
    assert _refused(client.refund_order, shop.connection, shop.order())[:2] == (403, [15120])
    assert _refused(Seed003Client(api.base_url, token="not-a-token").refund_order, shop.connection,
                    shop.order())[:2] == (401, [101])


def test_get_v1_connections_pages_the_merchants_connections(shop, api):
    while len(api.request("GET", "/v1/connections?limit=100", token=shop.token).body["data"]) < 3:
        shop.new_connection()
    everything = api.request("GET", "/v1/connections?limit=100", token=shop.token).body
    assert everything["nextCursor"] is None and shop.connection in [c["id"] for c in everything["data"]]
    seen, cursor = [], None
    while True:
        page = api.request("GET", "/v1/connections?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                           token=shop.token)
        assert page.status == 200 and len(page.body["data"]) <= 2, page
        seen += page.body["data"]
        cursor = page.body["nextCursor"]
        if cursor is None:
            break
    assert seen == everything["data"] and all(c["name"] == "web shop" for c in seen)
    demo = api.request("GET", "/v1/connections", login="demo").body["data"]
    assert [c["id"] for c in demo] == [DEMO_CONNECTION]  # the local merchant's own, and only it
