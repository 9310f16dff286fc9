"""GET /v1/refunds (filters, pages, cursors, tenants and roles) and the refunds
GET /v1/orders/{orderId} shows, against the local runtime; and, in this
process, that every page is one Query of page size on the index its filters
call for.

Each test makes a fresh merchant, so counts are exact. Refunds in statuses the
lifecycle would reach are written straight into the table by
``store_refund`` (the item create writes, with the index keys
``keys.refund_indexes`` gives that status): listing reads what is stored,
whichever route stored it.
"""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal

import pytest
from ulid import ULID

from refunds_core import auth, aws, statuses
from refunds_core.callers import Caller, Role
from refunds_core.clock import now_iso
from refunds_core.dal import keys
from refunds_core.dal.codec import to_item
from refunds_core.listing_query import seal_cursor
from refunds_core.shapes import Page
from tests.conftest import as_function

pytestmark = pytest.mark.server


# ---------------------------------------------------------------- helpers

class Merchant:
    """A fresh merchant with a merchant login, its orders and refunds."""

    def __init__(self, api, admin, dynamodb, table_name):
        self.api, self.admin, self.dynamodb, self.table_name = api, admin, dynamodb, table_name
        self.id, self.login = f"m-{uuid.uuid4().hex[:10]}", f"u-{uuid.uuid4().hex[:10]}"
        admin.create_merchant(self.id)
        admin.create_login(self.login, "a-long-password", Role.MERCHANT, self.id)
        answer = api.request("POST", "/v1/auth/token", json_body={"login": self.login, "password": "a-long-password"})
        assert answer.status == 200, answer
        self.token = answer.body["token"]

    def order(self, customer_id: str = "cust-1") -> str:
        return self.api.paid_order(merchant_id=self.id, customerId=customer_id)

    def create_refund(self, order_id: str | None = None, batch_id: str | None = None, **fields) -> str:
        """A REQUESTED refund opened through the API (on a new order unless one is given)."""
        order_id = order_id or self.order()
        body = {"email": "m@example.com", **({"batchId": batch_id} if batch_id else {}), **fields}
        answer = self.api.request("POST", f"/v1/order/{order_id}/refund", json_body=body, token=self.token)
        assert answer.status == 200, answer
        assert answer.body["data"]["batchId"] == batch_id
        return answer.body["data"]["id"]

    def store_refund(self, status: str, order_id: str | None = None, customer_id: str = "cust-1",
                     batch_id: str | None = None, **fields) -> str:
        """A refund in any status, written straight into the table (test helper).
        Without an order id it gets an id of its own, and no order item (listing
        never reads orders). ``fields``: more attributes (``declineReason``...)."""
        now = now_iso()
        order_id = order_id or f"o-{uuid.uuid4().hex[:12]}"
        refund = {"id": f"rf_{ULID()}", "orderId": order_id, "merchantId": self.id,
                  "customerId": customer_id, "status": status, "email": "m@example.com", "refundOnly": True,
                  "amount": Decimal("59.50"), "currency": "USD", "requester": self.login, "createdAt": now,
                  "updatedAt": now, "version": 1, "history": [], "batchId": batch_id, **fields}
        item = {**keys.refund(refund["id"]), **to_item({"type": "Refund", **refund, **keys.refund_indexes(refund)})}
        self.dynamodb.put_item(TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(PK)")
        return refund["id"]

    def list(self, token: str | None = None, **params):
        query = "&".join(f"{name}={value}" for name, value in params.items())
        return self.api.request("GET", "/v1/refunds" + (f"?{query}" if query else ""), token=token or self.token)

    def all_pages(self, token: str | None = None, **params) -> list[list[str]]:
        """The ids of every page, following nextCursor to the end."""
        pages, cursor = [], None
        for _ in range(50):
            answer = self.list(token, **params, **({"cursor": cursor} if cursor else {}))
            assert answer.status == 200, answer
            pages.append([refund["id"] for refund in answer.body["data"]])
            cursor = answer.body["nextCursor"]
            if cursor is None:
                return pages
        raise AssertionError("nextCursor never ended")


@pytest.fixture
def merchant(api, admin, dynamodb, table_name) -> Merchant:
    return Merchant(api, admin, dynamodb, table_name)


@pytest.fixture
def other_merchant(api, admin, dynamodb, table_name) -> Merchant:
    return Merchant(api, admin, dynamodb, table_name)


@pytest.fixture(scope="module")
def shared_merchant(runtime, api, dynamodb, table_name) -> Merchant:
    """One merchant for the tests that only read (the admin fixture, once per module)."""
    from refunds_core.logic import accounts

    with as_function(runtime, "CreateRefundFunction"):
        yield Merchant(api, accounts, dynamodb, table_name)


def customer_token(merchant: Merchant, customer_id: str) -> str:
    """A customer token minted in this process (needs the admin fixture's environment)."""
    caller = Caller(login=f"customer:{customer_id}", role=Role.CUSTOMER, merchant_id=merchant.id,
                    customer_id=customer_id, minted_by=merchant.login)
    return auth.issue_token(caller, ttl=300)[0]


def ids(answer) -> list[str]:
    assert answer.status == 200, answer
    return [refund["id"] for refund in answer.body["data"]]


def messages(answer) -> list[str]:
    return [entry["message"] for entry in answer.body["errors"]]


# -------------------------------------------------------------- pagination

def test_pages_through_every_refund_newest_first(merchant):
    created = [merchant.create_refund() for _ in range(7)]
    pages = merchant.all_pages(limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [rid for page in pages for rid in page] == created[::-1]  # newest first, no duplicates, no gaps


def test_a_page_shows_each_refund_as_the_refund_entity(merchant):
    created = merchant.create_refund()
    answer = merchant.list()
    assert answer.status == 200 and answer.body["nextCursor"] is None
    refund, = answer.body["data"]
    assert refund["id"] == created and refund["merchantId"] == merchant.id
    assert refund["status"] == "REQUESTED" and refund["valid"] is True and refund["amount"] == "59.50"
    assert refund["requester"] == merchant.login and refund["history"][0]["action"] == "CREATE"


def test_the_default_page_is_20_refunds(merchant):
    for _ in range(21):
        merchant.store_refund(statuses.DENIED)
    first = merchant.list()
    assert len(first.body["data"]) == 20 and first.body["nextCursor"] is not None
    assert len(merchant.list(cursor=first.body["nextCursor"]).body["data"]) == 1


def test_pages_with_filters_hold_only_matching_refunds(merchant):
    kinds = [statuses.REQUESTED, statuses.REQUESTED, statuses.DENIED] * 3 + [statuses.REQUESTED]
    created = [merchant.create_refund() if status == statuses.REQUESTED else merchant.store_refund(status)
               for status in kinds]
    requested = [rid for rid, status in zip(created, kinds, strict=True) if status == statuses.REQUESTED]
    denied = [rid for rid, status in zip(created, kinds, strict=True) if status == statuses.DENIED]

    by_status = merchant.all_pages(status="REQUESTED", limit=3)
    assert [len(page) for page in by_status] == [3, 3, 1]
    assert [rid for page in by_status for rid in page] == requested[::-1]
    invalid = merchant.all_pages(valid="false", limit=2)
    assert [len(page) for page in invalid] == [2, 1]
    assert [rid for page in invalid for rid in page] == denied[::-1]
    everything = merchant.all_pages(limit=4)
    assert [len(page) for page in everything] == [4, 4, 2]
    assert [rid for page in everything for rid in page] == created[::-1]


# ----------------------------------------------------------------- filters

@pytest.fixture(scope="module")
def catalogue(shared_merchant):
    """One refund in each status; order A has three, order B one."""
    merchant = shared_merchant
    order_a, order_b = merchant.order(), merchant.order()
    made = {
        "A-DENIED": merchant.store_refund(statuses.DENIED, order_a),
        "B-ISSUED": merchant.store_refund(statuses.ISSUED, order_b),
        "A-CANCELLED": merchant.store_refund(statuses.CANCELLED, order_a),
        "C-FAILED": merchant.store_refund(statuses.FAILED),
        "D-WAITING": merchant.store_refund(statuses.WAITING),
        "E-PROCESSING": merchant.store_refund(statuses.PROCESSING),
        "A-REQUESTED": merchant.create_refund(order_a),
    }
    return merchant, {"A": order_a, "B": order_b}, made


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["A-REQUESTED", "E-PROCESSING", "D-WAITING", "C-FAILED", "A-CANCELLED", "B-ISSUED", "A-DENIED"]),
    ({"status": "REQUESTED"}, ["A-REQUESTED"]),
    ({"status": "WAITING"}, ["D-WAITING"]),
    ({"status": "ISSUED"}, ["B-ISSUED"]),
    ({"status": "FAILED"}, ["C-FAILED"]),
    ({"valid": "true"}, ["A-REQUESTED", "E-PROCESSING", "D-WAITING", "B-ISSUED"]),
    ({"valid": "false"}, ["C-FAILED", "A-CANCELLED", "A-DENIED"]),
    ({"status": "ISSUED", "valid": "true"}, ["B-ISSUED"]),
    ({"status": "DENIED", "valid": "false"}, ["A-DENIED"]),
    ({"status": "DENIED", "valid": "true"}, []),
    ({"status": "PROCESSING", "valid": "false"}, []),
    ({"orderId": "A"}, ["A-REQUESTED", "A-CANCELLED", "A-DENIED"]),
    ({"orderId": "A", "status": "CANCELLED"}, ["A-CANCELLED"]),
    ({"orderId": "A", "valid": "true"}, ["A-REQUESTED"]),
    ({"orderId": "A", "valid": "false"}, ["A-CANCELLED", "A-DENIED"]),
    ({"orderId": "A", "status": "ISSUED"}, []),
    ({"orderId": "B", "status": "ISSUED", "valid": "true"}, ["B-ISSUED"]),
    ({"orderId": "B", "status": "ISSUED", "valid": "false"}, []),
])
def test_each_filter_and_their_combinations(catalogue, filters, expected):
    merchant, orders, made = catalogue
    params = {**filters, **({"orderId": orders[filters["orderId"]]} if "orderId" in filters else {})}
    answer = merchant.list(**params)
    assert ids(answer) == [made[name] for name in expected]
    assert answer.body["nextCursor"] is None
    assert all(refund["valid"] == (refund["status"] in statuses.VALID) for refund in answer.body["data"])


# --------------------------------------------------------- tenant isolation

def test_a_merchant_never_sees_another_merchants_refunds(merchant, other_merchant):
    theirs = [other_merchant.create_refund() for _ in range(2)]
    mine = merchant.create_refund()
    for params in ({}, {"status": "REQUESTED"}, {"valid": "true"}, {"limit": "100"}):
        assert ids(merchant.list(**params)) == [mine]
    assert ids(other_merchant.list()) == theirs[::-1]


def test_demo2_never_sees_demos_refunds(api):
    order_id = api.paid_order()  # merchant demo's
    created = api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com"}, login="demo")
    assert created.status == 200
    theirs = api.request("POST", f"/v1/order/{api.paid_order(merchant_id='demo2')}/refund",
                         json_body={"email": "m@example.com"}, login="demo2")
    assert theirs.status == 200
    listed = api.request("GET", "/v1/refunds?limit=100", login="demo2")
    assert listed.status == 200
    assert {refund["merchantId"] for refund in listed.body["data"]} == {"demo2"}  # its own, and only its own
    mine = api.request("GET", f"/v1/refunds?orderId={order_id}", login="demo")
    assert ids(mine) == [created.body["data"]["id"]]


def test_another_merchants_order_lists_exactly_like_an_order_that_does_not_exist(merchant, other_merchant):
    their_order = other_merchant.order()
    other_merchant.store_refund(statuses.DENIED, their_order)
    other_merchant.create_refund(their_order)
    for params in ({}, {"limit": "1"}, {"status": "REQUESTED"}, {"valid": "false", "limit": "1"}):
        theirs = merchant.list(orderId=their_order, **params)
        missing = merchant.list(orderId="never-created", **params)
        assert theirs.status == missing.status == 200
        assert theirs.body == missing.body == {"data": [], "nextCursor": None}
    assert len(ids(other_merchant.list(orderId=their_order))) == 2


def test_a_customer_sees_only_the_refunds_of_their_own_orders(admin, merchant, other_merchant):
    mine_old = merchant.store_refund(statuses.DENIED, customer_id="cust-1")
    neighbour = merchant.create_refund(merchant.order("cust-2"))
    mine_new = merchant.create_refund(merchant.order("cust-1"))
    same_name_elsewhere = other_merchant.create_refund(other_merchant.order("cust-1"))
    token = customer_token(merchant, "cust-1")

    assert ids(merchant.list(token)) == [mine_new, mine_old]
    assert ids(merchant.list(token, status="REQUESTED")) == [mine_new]
    assert ids(merchant.list(token, valid="false")) == [mine_old]
    pages = merchant.all_pages(token, limit=1)
    assert [rid for page in pages for rid in page] == [mine_new, mine_old]
    assert ids(customer_token_list(merchant, "cust-2")) == [neighbour]
    assert same_name_elsewhere not in ids(merchant.list(token, limit="100"))


def customer_token_list(merchant: Merchant, customer_id: str):
    return merchant.list(customer_token(merchant, customer_id))


def test_a_customer_listing_an_order_that_is_not_theirs_gets_an_empty_page(admin, merchant, other_merchant):
    neighbours_order = merchant.order("cust-2")
    merchant.store_refund(statuses.DENIED, neighbours_order, customer_id="cust-2")
    merchant.create_refund(neighbours_order)
    elsewhere = other_merchant.order("cust-1")
    other_merchant.create_refund(elsewhere)
    own_order = merchant.order("cust-1")
    own = merchant.create_refund(own_order)
    token = customer_token(merchant, "cust-1")

    for order_id in (neighbours_order, elsewhere):
        for params in ({}, {"limit": "1"}):
            assert merchant.list(token, orderId=order_id, **params).body == {"data": [], "nextCursor": None}
    assert ids(merchant.list(token, orderId=own_order)) == [own]


# ----------------------------------------------------------------- batches

def new_batch_id() -> str:
    return f"batch-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def batch(merchant):
    """Refunds on separate orders (one open request per order), some in one
    batch (through the API and stored), some in none, one in another batch:
    (merchant, batch id, made, the orders of in-3 and none-1)."""
    batch_id, other_batch = new_batch_id(), new_batch_id()
    orders = {"in-3": merchant.order(), "none-1": merchant.order()}
    made = {
        "in-1": merchant.create_refund(batch_id=batch_id),
        "none-1": merchant.create_refund(orders["none-1"]),
        "in-2-DENIED": merchant.store_refund(statuses.DENIED, batch_id=batch_id),
        "other-1": merchant.create_refund(batch_id=other_batch),
        "in-3": merchant.create_refund(orders["in-3"], batch_id=batch_id),
        "none-2-DENIED": merchant.store_refund(statuses.DENIED),
        "in-4-ISSUED": merchant.store_refund(statuses.ISSUED, batch_id=batch_id),
        "in-5": merchant.create_refund(batch_id=batch_id),
    }
    return merchant, batch_id, made, orders


def test_a_batch_lists_exactly_its_refunds_newest_first(batch):
    merchant, batch_id, made, _ = batch
    in_batch = [made[name] for name in ("in-5", "in-4-ISSUED", "in-3", "in-2-DENIED", "in-1")]
    answer = merchant.list(batchId=batch_id)
    assert ids(answer) == in_batch and answer.body["nextCursor"] is None
    assert {refund["batchId"] for refund in answer.body["data"]} == {batch_id}
    pages = merchant.all_pages(batchId=batch_id, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [rid for page in pages for rid in page] == in_batch  # newest first, no duplicates, no gaps
    assert merchant.list(batchId=new_batch_id()).body == {"data": [], "nextCursor": None}
    everything = ids(merchant.list(limit=100))
    assert set(everything) == set(made.values())  # a batch changes nothing of the other lists


@pytest.mark.parametrize(("filters", "expected"), [
    ({"status": "REQUESTED"}, ["in-5", "in-3", "in-1"]),
    ({"status": "DENIED"}, ["in-2-DENIED"]),
    ({"status": "WAITING"}, []),
    ({"valid": "true"}, ["in-5", "in-4-ISSUED", "in-3", "in-1"]),
    ({"valid": "false"}, ["in-2-DENIED"]),
    ({"status": "ISSUED", "valid": "true"}, ["in-4-ISSUED"]),
    ({"status": "ISSUED", "valid": "false"}, []),
    ({"orderId": "in-3"}, ["in-3"]),
    ({"orderId": "in-3", "status": "DENIED"}, []),
    ({"orderId": "none-1"}, []),
])
def test_a_batch_combines_with_the_other_filters(batch, filters, expected):
    merchant, batch_id, made, orders = batch
    if "orderId" in filters:  # the order of that refund
        filters = {**filters, "orderId": orders[filters["orderId"]]}
    assert ids(merchant.list(batchId=batch_id, **filters)) == [made[name] for name in expected]


def test_a_batch_filtered_by_status_pages_through_the_whole_batch(batch):
    merchant, batch_id, made, _ = batch
    pages = merchant.all_pages(batchId=batch_id, status="REQUESTED", limit=2)
    assert [rid for page in pages for rid in page] == [made["in-5"], made["in-3"], made["in-1"]]
    assert all(len(page) <= 2 for page in pages)


def test_a_batch_cursor_continues_that_batch_only(batch):
    merchant, batch_id, _, _ = batch
    next_cursor = merchant.list(batchId=batch_id, limit=1).body["nextCursor"]
    assert next_cursor is not None
    assert len(ids(merchant.list(batchId=batch_id, limit=1, cursor=next_cursor))) == 1
    for params in ({"limit": "1"}, {"batchId": new_batch_id(), "limit": "1"}, {"batchId": batch_id, "limit": "2"},
                   {"batchId": batch_id, "limit": "1", "status": "REQUESTED"}):
        answer = merchant.list(**params, cursor=next_cursor)
        assert answer.status == 400 and messages(answer) == ["Invalid field value: cursor"], params


def test_another_merchant_with_the_same_batch_id_sees_nothing_of_it(api):
    batch_id = new_batch_id()
    demos = []
    for _ in range(2):
        created = api.request("POST", f"/v1/order/{api.paid_order()}/refund",
                              json_body={"email": "m@example.com", "batchId": batch_id}, login="demo")
        assert created.status == 200, created
        demos.append(created.body["data"]["id"])
    for params in ("", "&limit=1", "&status=REQUESTED", "&valid=true&limit=1"):
        theirs = api.request("GET", f"/v1/refunds?batchId={batch_id}{params}", login="demo2")
        never = api.request("GET", f"/v1/refunds?batchId={new_batch_id()}{params}", login="demo2")
        assert theirs.status == never.status == 200
        assert theirs.body == never.body == {"data": [], "nextCursor": None}  # nothing tells the two apart

    created = api.request("POST", f"/v1/order/{api.paid_order(merchant_id='demo2')}/refund",
                          json_body={"email": "m@example.com", "batchId": batch_id}, login="demo2")
    assert created.status == 200, created
    assert ids(api.request("GET", f"/v1/refunds?batchId={batch_id}", login="demo2")) == [created.body["data"]["id"]]
    assert ids(api.request("GET", f"/v1/refunds?batchId={batch_id}", login="demo")) == demos[::-1]
    support = f"/v1/refunds?batchId={batch_id}&merchantId="
    assert ids(api.request("GET", support + "demo2", login="support")) == [created.body["data"]["id"]]
    assert ids(api.request("GET", support + "demo", login="support")) == demos[::-1]


def test_support_names_the_merchant_of_a_batch(api):
    for params in ("", "&status=REQUESTED"):
        answer = api.request("GET", f"/v1/refunds?batchId={new_batch_id()}{params}", login="support")
        assert answer.status == 400 and messages(answer) == ["Invalid field value: merchantId"]


def test_a_customer_sees_only_their_own_refunds_in_a_batch(admin, merchant, other_merchant):
    batch_id = new_batch_id()
    mine_old = merchant.store_refund(statuses.DENIED, customer_id="cust-1", batch_id=batch_id)
    neighbours = merchant.create_refund(merchant.order("cust-2"), batch_id=batch_id)
    mine_unbatched = merchant.create_refund(merchant.order("cust-1"))
    mine_new = merchant.create_refund(merchant.order("cust-1"), batch_id=batch_id)
    same_name_elsewhere = other_merchant.create_refund(other_merchant.order("cust-1"), batch_id=batch_id)
    token = customer_token(merchant, "cust-1")

    assert ids(merchant.list(token, batchId=batch_id)) == [mine_new, mine_old]
    assert ids(merchant.list(token, batchId=batch_id, status="DENIED")) == [mine_old]
    assert ids(merchant.list(token, batchId=batch_id, valid="true")) == [mine_new]
    pages = merchant.all_pages(token, batchId=batch_id, limit=1)
    assert [rid for page in pages for rid in page] == [mine_new, mine_old]
    assert ids(merchant.list(token, limit=100)) == [mine_new, mine_unbatched, mine_old]
    assert ids(merchant.list(customer_token(merchant, "cust-2"), batchId=batch_id)) == [neighbours]
    assert same_name_elsewhere not in ids(merchant.list(token, batchId=batch_id, limit=100))


def test_a_customer_cannot_tell_others_refunds_in_a_batch_from_none(admin, merchant):
    """A customer's batch is read from their own refunds: paging through a
    batch that holds only other customers' refunds looks exactly like paging
    through one that was never used."""
    others = new_batch_id()
    for customer in ("cust-2", "cust-3", "cust-2"):
        merchant.create_refund(merchant.order(customer), batch_id=others)
    merchant.create_refund(merchant.order("cust-1"))
    token = customer_token(merchant, "cust-1")
    for limit in ("1", "2", "20"):
        assert ([len(page) for page in merchant.all_pages(token, batchId=others, limit=limit)]
                == [len(page) for page in merchant.all_pages(token, batchId=new_batch_id(), limit=limit)])
    assert ids(merchant.list(token, batchId=others, limit=100)) == []


# -------------------------------------------------------------------- roles

def test_support_lists_one_merchant_with_merchant_id(merchant, other_merchant, api):
    mine = [merchant.create_refund(), merchant.store_refund(statuses.ISSUED)]
    other_merchant.create_refund()
    support = api.token("support")
    assert ids(merchant.list(support, merchantId=merchant.id)) == mine[::-1]
    assert ids(merchant.list(support, merchantId=merchant.id, status="ISSUED")) == [mine[1]]
    assert ids(merchant.list(support, merchantId=merchant.id, valid="true", limit="1")) == [mine[1]]
    pages = merchant.all_pages(support, merchantId=merchant.id, limit=1)
    assert [rid for page in pages for rid in page] == mine[::-1]


def test_support_lists_a_status_across_merchants_and_any_order(merchant, other_merchant, api):
    first = merchant.store_refund(statuses.FAILED)
    second = other_merchant.store_refund(statuses.FAILED)
    support = api.token("support")
    assert ids(merchant.list(support, status="FAILED", limit="2")) == [second, first]
    order_id = merchant.order()
    created = merchant.create_refund(order_id)
    assert ids(merchant.list(support, orderId=order_id)) == [created]
    # Another merchant's order under a merchantId filter is not that merchant's.
    assert ids(merchant.list(support, orderId=order_id, merchantId=other_merchant.id)) == []


def test_support_reads_the_queue_oldest_first_page_by_page(merchant, other_merchant, api):
    stored = [merchant.store_refund(statuses.WAITING), other_merchant.store_refund(statuses.WAITING),
              merchant.store_refund(statuses.WAITING)]
    support = api.token("support")
    # ByStatus holds every merchant's WAITING refunds (other tests' too): only ours are compared.
    pages = merchant.all_pages(support, status="WAITING", order="oldest", limit=50)
    listed = [rid for page in pages for rid in page]
    assert [rid for rid in listed if rid in stored] == stored
    assert listed == sorted(listed)  # oldest first: ULIDs sort by time
    first = merchant.list(support, status="WAITING", order="oldest", limit="1")
    assert first.body["nextCursor"] is not None
    other_order = merchant.list(support, status="WAITING", limit="1", cursor=first.body["nextCursor"])
    assert other_order.status == 400 and messages(other_order) == ["Invalid field value: cursor"]


@pytest.mark.parametrize("params", [{}, {"valid": "true"}, {"limit": "5"}, {"batchId": "b-1"}])
def test_support_must_name_a_merchant_an_order_or_a_status(api, params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    answer = api.request("GET", f"/v1/refunds?{query}", login="support")
    assert answer.status == 400 and messages(answer) == ["Invalid field value: merchantId"]


def test_merchants_and_customers_may_not_filter_by_merchant(admin, merchant):
    for token in (merchant.token, customer_token(merchant, "cust-1")):
        answer = merchant.list(token, merchantId=merchant.id)
        assert answer.status == 400 and answer.body["errors"] == [
            {"error": 15010, "message": "Invalid field value: merchantId"}]


def test_the_order_system_may_not_list_refunds(api):
    answer = api.request("GET", "/v1/refunds", login="orders-service")
    assert answer.status == 403 and answer.codes == [15120]
    assert api.request("GET", "/v1/refunds").status == 401


# ------------------------------------------------------------------ cursors

def _flip(text: str, position: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[position] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.fixture
def cursor(merchant):
    for _ in range(3):
        merchant.create_refund()
    first = merchant.list(limit=1)
    assert first.body["nextCursor"] is not None
    return merchant, first.body["nextCursor"]


def test_a_cursor_resumes_after_the_page_it_came_with(cursor):
    merchant, next_cursor = cursor
    assert len(ids(merchant.list(limit=1, cursor=next_cursor))) == 1
    assert len(ids(merchant.list(limit=1, cursor=next_cursor))) == 1  # a cursor may be read again


def test_an_altered_cursor_is_15010(cursor):
    merchant, next_cursor = cursor
    payload, mac = next_cursor.split(".")
    altered = [
        f"{_flip(payload, 10)}.{mac}", f"{_flip(payload, -2)}.{mac}",
        f"{payload}.{_flip(mac, 0)}", f"{payload}.{mac[:-4]}", payload, f"{payload[:-8]}.{mac}", f"{payload}.",
        "abc.def", "not-a-cursor", next_cursor + "A",
    ]
    for bad in altered:
        answer = merchant.list(limit=1, cursor=bad)
        assert answer.status == 400, bad
        assert answer.body == {"errors": [{"error": 15010, "message": "Invalid field value: cursor"}]}, bad


def test_a_cursor_forged_without_our_key_is_15010(cursor):
    merchant, next_cursor = cursor
    payload = json.loads(base64.urlsafe_b64decode(next_cursor.split(".")[0] + "=="))
    forged = seal_cursor(payload["k"], payload["q"], b"\x00" * 32)
    assert merchant.list(limit=1, cursor=forged).codes == [15010]


def test_a_cursor_with_other_filters_or_page_size_is_15010(cursor):
    merchant, next_cursor = cursor
    for params in ({"limit": "2"}, {}, {"limit": "1", "status": "REQUESTED"}, {"limit": "1", "valid": "true"},
                   {"limit": "1", "status": "DENIED", "valid": "true"}):
        answer = merchant.list(**params, cursor=next_cursor)
        assert answer.status == 400 and messages(answer) == ["Invalid field value: cursor"], params


def test_another_callers_cursor_is_15010(api, admin, cursor, other_merchant):
    merchant, next_cursor = cursor
    assert other_merchant.list(limit=1, cursor=next_cursor).codes == [15010]
    assert merchant.list(customer_token(merchant, "cust-1"), limit=1, cursor=next_cursor).codes == [15010]
    support = api.token("support")
    assert merchant.list(support, merchantId=merchant.id, limit=1, cursor=next_cursor).codes == [15010]


# ----------------------------------------------------------- bad parameters

@pytest.mark.parametrize(("query", "bad"), [
    ("limit=0", ["limit"]), ("limit=101", ["limit"]), ("limit=-1", ["limit"]), ("limit=abc", ["limit"]),
    ("limit=2.5", ["limit"]), ("limit=", ["limit"]), ("limit=%2B5", ["limit"]), ("limit=1e1", ["limit"]),
    ("status=requested", ["status"]), ("status=PENDING", ["status"]), ("status=", ["status"]),
    ("valid=1", ["valid"]), ("valid=True", ["valid"]), ("valid=yes", ["valid"]), ("valid=", ["valid"]),
    ("orderId=", ["orderId"]), ("orderId=a%20b", ["orderId"]), ("cursor=", ["cursor"]),
    ("batchId=" + "b" * 65, ["batchId"]), ("batchId=a%20b", ["batchId"]), ("batchId=", ["batchId"]),
    ("batchId=b%23STATUS", ["batchId"]), ("batchId=-b", ["batchId"]), ("batchId=b&batchId=c", ["batchId"]),
    ("batchId=a%20b&limit=0&status=NOPE", ["batchId", "status", "limit"]),
    ("page=2", ["page"]), ("size=10", ["size"]), ("limit=5&limit=6", ["limit"]),
    ("limit=0&status=NOPE&valid=maybe&sort=asc", ["status", "valid", "limit", "sort"]),
])
def test_each_bad_parameter_is_one_15010(api, query, bad):
    answer = api.request("GET", f"/v1/refunds?{query}", login="demo")
    assert answer.status == 400
    assert answer.body["errors"] == [{"error": 15010, "message": f"Invalid field value: {name}"} for name in bad]


def test_a_batch_id_of_64_characters_is_accepted(merchant):
    batch_id = ("B" + uuid.uuid4().hex * 2)[:64]
    created = merchant.create_refund(batch_id=batch_id)
    assert len(batch_id) == 64 and ids(merchant.list(batchId=batch_id)) == [created]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_the_page_size_bounds_are_accepted(merchant, limit):
    merchant.create_refund()
    assert len(ids(merchant.list(limit=limit))) == 1


# ---------------------------------------------------- the order's refunds

def test_an_order_shows_its_refunds_newest_first(api, merchant):
    order_id = merchant.order()
    first = merchant.store_refund(statuses.DENIED, order_id)
    second = merchant.store_refund(statuses.CANCELLED, order_id)
    third = merchant.create_refund(order_id)
    merchant.create_refund()  # another order's
    answer = api.request("GET", f"/v1/orders/{order_id}", token=merchant.token)
    assert answer.status == 200
    refunds = answer.body["data"]["refunds"]
    assert [r["id"] for r in refunds] == [third, second, first]
    assert [r["status"] for r in refunds] == ["REQUESTED", "CANCELLED", "DENIED"]
    assert {r["amount"] for r in refunds} == {"59.50"}
    assert all(set(r) == {"id", "status", "amount", "createdAt"} and r["createdAt"].endswith("Z") for r in refunds)
    assert api.request("GET", f"/v1/orders/{order_id}", login="support").body["data"]["refunds"] == refunds


def test_an_order_without_refunds_shows_an_empty_list(api, merchant):
    order_id = merchant.order()
    answer = api.request("GET", f"/v1/orders/{order_id}", token=merchant.token)
    assert answer.status == 200 and answer.body["data"]["refunds"] == []


# ---------------------------------------- one Query per page, in this process

@pytest.fixture
def queries(runtime):
    """logic.listing.page runs here as ListRefundsFunction would; every
    DynamoDB call it makes is recorded (operation, parameters)."""
    calls: list[tuple[str, dict]] = []
    with as_function(runtime, "ListRefundsFunction", fresh_clients=True):
        aws.dynamodb().meta.events.register(
            "provide-client-params.dynamodb.*", lambda params, model, **_: calls.append((model.name, dict(params))))
        yield calls


def _data_calls(calls: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    # BatchGetItem resolves the caller's account (cached); everything else is the page's.
    return [(operation, params) for operation, params in calls if operation != "BatchGetItem"]


def test_every_page_is_one_query_of_page_size(queries, merchant):
    from refunds_core.logic import listing

    for _ in range(7):
        merchant.store_refund(statuses.REQUESTED)
    caller = Caller(merchant.login, Role.MERCHANT, merchant.id)
    params, seen = {"limit": "3", "status": "REQUESTED"}, []
    while True:
        queries.clear()
        page = listing.page(caller, params)
        seen += [refund["id"] for refund in page.items]
        calls = _data_calls(queries)
        assert [operation for operation, _ in calls] == ["Query"]
        (_, query), = calls
        assert query["IndexName"] == "ByMerchantStatus" and query["Limit"] == 3
        assert query["ScanIndexForward"] is False and "FilterExpression" not in query
        if page.next_cursor is None:
            break
        params = {**params, "cursor": page.next_cursor}
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(("role", "filters", "index", "filtered"), [
    (Role.MERCHANT, {}, "ByMerchant", False),
    (Role.MERCHANT, {"status": "WAITING"}, "ByMerchantStatus", False),
    (Role.MERCHANT, {"status": "ISSUED", "valid": "true"}, "ByMerchantStatus", False),
    (Role.MERCHANT, {"valid": "true"}, "ByMerchantValidity", False),
    (Role.MERCHANT, {"valid": "false"}, "ByMerchantValidity", False),
    (Role.MERCHANT, {"orderId": "o-1"}, "ByOrder", False),
    (Role.MERCHANT, {"orderId": "o-1", "status": "DENIED", "valid": "false"}, "ByOrder", False),
    (Role.CUSTOMER, {}, "ByCustomer", False),
    (Role.CUSTOMER, {"status": "REQUESTED"}, "ByCustomer", True),
    (Role.CUSTOMER, {"valid": "false"}, "ByCustomer", True),
    (Role.CUSTOMER, {"orderId": "o-1"}, "ByOrder", False),
    (Role.SUPPORT, {"status": "PROCESSING"}, "ByStatus", False),
    (Role.SUPPORT, {"orderId": "o-1"}, "ByOrder", False),
    (Role.SUPPORT, {"merchantId": "MERCHANT"}, "ByMerchant", False),
    (Role.SUPPORT, {"merchantId": "MERCHANT", "valid": "false"}, "ByMerchantValidity", False),
    (Role.SUPPORT, {"merchantId": "MERCHANT", "status": "ISSUED"}, "ByMerchantStatus", False),
    (Role.MERCHANT, {"batchId": "b-1"}, "ByMerchantBatch", False),
    (Role.MERCHANT, {"batchId": "b-1", "status": "ISSUED"}, "ByMerchantBatch", True),
    (Role.MERCHANT, {"batchId": "b-1", "valid": "false"}, "ByMerchantBatch", True),
    (Role.MERCHANT, {"orderId": "o-1", "batchId": "b-1"}, "ByOrder", False),
    (Role.CUSTOMER, {"batchId": "b-1"}, "ByCustomer", True),
    (Role.CUSTOMER, {"batchId": "b-1", "status": "REQUESTED"}, "ByCustomer", True),
    (Role.SUPPORT, {"merchantId": "MERCHANT", "batchId": "b-1"}, "ByMerchantBatch", False),
])
def test_each_filter_combination_reads_its_index(shared_merchant, queries, role, filters, index, filtered):
    from refunds_core.logic import listing

    merchant = shared_merchant
    caller = {Role.MERCHANT: Caller(merchant.login, Role.MERCHANT, merchant.id),
              Role.CUSTOMER: Caller("customer:cust-1", Role.CUSTOMER, merchant.id, "cust-1", merchant.login),
              Role.SUPPORT: Caller("support", Role.SUPPORT, None)}[role]
    params = {name: merchant.id if value == "MERCHANT" else value for name, value in filters.items()}
    listing.page(caller, {**params, "limit": "7"})
    listing.page(caller, {**params, "limit": "7", "order": "oldest"})
    (operation, query), (_, oldest) = _data_calls(queries)
    assert operation == "Query" and query["IndexName"] == index and query["Limit"] == 7
    assert ("FilterExpression" in query) is filtered
    # order=oldest reads the same index from its other end
    assert (query["ScanIndexForward"], oldest["ScanIndexForward"]) == (False, True)
    assert {**query, "ScanIndexForward": True} == oldest


def test_every_page_of_a_batch_is_one_query_of_page_size(queries, merchant):
    from refunds_core.logic import listing

    batch_id = new_batch_id()
    for status in [statuses.REQUESTED, statuses.DENIED] * 3 + [statuses.REQUESTED]:
        merchant.store_refund(status, batch_id=batch_id)
        merchant.store_refund(status)
    caller = Caller(merchant.login, Role.MERCHANT, merchant.id)
    for filters, count, filtered in (({}, 7, False), ({"status": "REQUESTED"}, 4, True)):
        params, seen = {"limit": "3", "batchId": batch_id, **filters}, []
        while True:
            queries.clear()
            page = listing.page(caller, params)
            seen += [refund["id"] for refund in page.items]
            (operation, query), = _data_calls(queries)
            assert operation == "Query" and query["IndexName"] == "ByMerchantBatch" and query["Limit"] == 3
            assert query["ScanIndexForward"] is False and ("FilterExpression" in query) is filtered
            assert query["ExpressionAttributeValues"][":pk"] == {"S": f"MERCHANT#{merchant.id}#BATCH#{batch_id}"}
            if page.next_cursor is None:
                break
            params = {**params, "cursor": page.next_cursor}
        assert len(seen) == len(set(seen)) == count


def test_a_status_and_a_validity_that_contradict_it_read_nothing(queries, merchant):
    from refunds_core.logic import listing

    queries.clear()  # the merchant's creation
    page = listing.page(Caller(merchant.login, Role.MERCHANT, merchant.id), {"status": "CANCELLED", "valid": "true"})
    assert page == Page([], None)
    assert _data_calls(queries) == []


# ---------------------------------------------- reason codes and time ranges

def test_reason_codes_filter_the_list_and_refunds_stored_before_them_have_none(merchant):
    damaged = merchant.create_refund(reason="damaged")
    merchant.create_refund(reason="duplicate")
    older = merchant.store_refund(statuses.DENIED)  # as stored before the codes existed
    final_sale = merchant.store_refund(statuses.DENIED, declineReason="final_sale")
    merchant.store_refund(statuses.DENIED, declineReason="other")
    assert [rid for page in merchant.all_pages(reason="damaged") for rid in page] == [damaged]
    assert [rid for page in merchant.all_pages(declineReason="final_sale") for rid in page] == [final_sale]
    assert merchant.all_pages(declineReason="final_sale", status="ISSUED") == [[]]
    shown = {refund["id"]: refund for refund in merchant.list(status="DENIED").body["data"]}
    assert (shown[older]["reason"], shown[older]["declineReason"], shown[older]["metadata"]) == (None, None, {})


def test_a_time_range_holds_the_refunds_created_from_its_start_and_before_its_end(merchant):
    created = [merchant.create_refund() for _ in range(4)]
    at = {refund["id"]: refund["createdAt"] for refund in merchant.list().body["data"]}
    start, end = at[created[1]], at[created[3]]
    assert start < end  # ids and createdAt are one millisecond: distinct refunds a millisecond apart at least
    inside = [rid for page in merchant.all_pages(createdFrom=start, createdTo=end, limit=1) for rid in page]
    assert inside == [rid for rid in created[::-1] if start <= at[rid] < end]
    assert created[1] in inside and created[3] not in inside and created[0] not in inside
    assert ids(merchant.list(createdFrom=at[created[3]])) == [created[3]]
    assert ids(merchant.list(createdTo=at[created[0]])) == []


def test_an_inverted_range_is_15010_for_both_bounds(merchant):
    answer = merchant.list(createdFrom="2026-05-02T00:00:00Z", createdTo="2026-05-01T00:00:00Z")
    assert answer.status == 400 and messages(answer) == ["Invalid field value: createdFrom",
                                                         "Invalid field value: createdTo"]


def test_a_time_range_is_a_key_condition_and_a_reason_a_filter_of_one_query(queries, merchant):
    from refunds_core.logic import listing

    merchant.store_refund(statuses.DENIED, declineReason="final_sale")
    queries.clear()
    caller = Caller(merchant.login, Role.MERCHANT, merchant.id)
    listing.page(caller, {"declineReason": "final_sale", "createdFrom": "2026-01-01T00:00:00Z", "limit": "5"})
    (operation, query), = _data_calls(queries)
    assert (operation, query["IndexName"], query["Limit"]) == ("Query", "ByMerchantStatus", 5)
    assert query["KeyConditionExpression"] == "#pk = :pk AND #sk BETWEEN :first AND :last"
    assert query["ExpressionAttributeNames"]["#sk"] == "GSI2SK"
    assert query["FilterExpression"] == "#m0 = :m0" and query["ExpressionAttributeValues"][":m0"] == {
        "S": "final_sale"}
