"""GET /v1/refunds without AWS: the query string, the index each filter
combination reads, and what a page does with what the Query returned."""

from __future__ import annotations

from decimal import Decimal

import pytest

from refunds_core import statuses
from refunds_core.callers import Caller, Role
from refunds_core.dal import keys, refund_queries
from refunds_core.errors import FieldErrors
from refunds_core.listing_query import ListQuery, created_range, parse_query
from refunds_core.logic import listing
from refunds_core.shapes import Page

MERCHANT = Caller("demo", Role.MERCHANT, "demo")
CUSTOMER = Caller("customer:cust-1", Role.CUSTOMER, "demo", "cust-1", minted_by="demo")
SUPPORT = Caller("support", Role.SUPPORT, None)


def bad_fields(params: dict, *, support: bool = False) -> list[str]:
    with pytest.raises(FieldErrors) as caught:
        parse_query(params, merchant_filter_allowed=support)
    return caught.value.fields


# ---------------------------------------------------------- query string

def test_query_strings_are_parsed_deliberately():
    query = parse_query({"limit": "20", "valid": "true", "status": "ISSUED", "orderId": "o-1"},
                        merchant_filter_allowed=False)
    assert (query.limit, query.valid, query.status, query.orderId) == (20, True, "ISSUED", "o-1")
    assert parse_query({"valid": "false"}, merchant_filter_allowed=False).valid is False
    assert parse_query({}, merchant_filter_allowed=False) == ListQuery(limit=20)
    assert parse_query({"limit": "1"}, merchant_filter_allowed=False).limit == 1
    assert parse_query({"limit": "100"}, merchant_filter_allowed=False).limit == 100


@pytest.mark.parametrize("limit", ["0", "101", "-1", "+5", " 5", "5 ", "05", "2.5", "1e1", "abc", "", "٣", "1000"])
def test_a_limit_other_than_1_to_100_is_15010(limit):
    assert bad_fields({"limit": limit}) == ["limit"]


@pytest.mark.parametrize("valid", ["1", "0", "True", "FALSE", "yes", "", "true "])
def test_valid_is_true_or_false(valid):
    assert bad_fields({"valid": valid}) == ["valid"]


@pytest.mark.parametrize("status", ["requested", "PENDING", "", "REQUESTED,WAITING", " ISSUED"])
def test_status_is_one_of_the_statuses(status):
    assert bad_fields({"status": status}) == ["status"]


@pytest.mark.parametrize("status", statuses.ALL)
def test_every_status_is_a_filter(status):
    assert parse_query({"status": status}, merchant_filter_allowed=False).status == status


def test_every_bad_and_unknown_parameter_is_one_entry():
    assert bad_fields({"limit": "0", "status": "x", "valid": "x", "orderId": "a b", "page": "1", "size": "5"}) == [
        "orderId", "status", "valid", "limit", "page", "size"]


def test_a_batch_id_is_an_identifier():
    assert parse_query({"batchId": "b-2026.01:x_1"}, merchant_filter_allowed=False).batchId == "b-2026.01:x_1"
    assert parse_query({"batchId": "b" * 64}, merchant_filter_allowed=False).batchId == "b" * 64


@pytest.mark.parametrize("batch_id", ["", "b" * 65, "a b", "-b", "b#1", "b/1", "bé", " b", "b\n"])
def test_a_batch_id_that_is_not_an_identifier_is_15010(batch_id):
    assert bad_fields({"batchId": batch_id}) == ["batchId"]


def test_the_order_is_newest_or_oldest_first():
    assert parse_query({}, merchant_filter_allowed=False).order == "newest"
    assert parse_query({"order": "oldest"}, merchant_filter_allowed=False).order == "oldest"
    assert parse_query({"order": "newest"}, merchant_filter_allowed=False).order == "newest"


@pytest.mark.parametrize("order", ["OLDEST", "asc", "desc", "", "oldest ", "oldest,newest"])
def test_any_other_order_is_15010(order):
    assert bad_fields({"order": order}) == ["order"]


def test_only_support_filters_by_merchant():
    assert bad_fields({"merchantId": "demo"}) == ["merchantId"]
    assert bad_fields({"merchantId": "demo", "limit": "0"}) == ["limit", "merchantId"]
    assert parse_query({"merchantId": "demo"}, merchant_filter_allowed=True).merchantId == "demo"
    assert bad_fields({"merchantId": "no such/merchant"}, support=True) == ["merchantId"]


# ------------------------------------------------------ index per filter

@pytest.mark.parametrize(("caller", "params", "index", "partition", "only"), [
    (MERCHANT, {}, "ByMerchant", "MERCHANT#demo", None),
    (MERCHANT, {"status": "WAITING"}, "ByMerchantStatus", "MERCHANT#demo#STATUS#WAITING", None),
    (MERCHANT, {"status": "ISSUED", "valid": "true"}, "ByMerchantStatus", "MERCHANT#demo#STATUS#ISSUED", None),
    (MERCHANT, {"status": "FAILED", "valid": "false"}, "ByMerchantStatus", "MERCHANT#demo#STATUS#FAILED", None),
    (MERCHANT, {"valid": "true"}, "ByMerchantValidity", "MERCHANT#demo#VALID#true", None),
    (MERCHANT, {"valid": "false"}, "ByMerchantValidity", "MERCHANT#demo#VALID#false", None),
    (MERCHANT, {"orderId": "o-1"}, "ByOrder", "ORDER#o-1", None),
    (MERCHANT, {"orderId": "o-1", "status": "DENIED"}, "ByOrder", "ORDER#o-1", {"DENIED"}),
    (MERCHANT, {"orderId": "o-1", "valid": "true"}, "ByOrder", "ORDER#o-1", statuses.VALID),
    (CUSTOMER, {}, "ByCustomer", "MERCHANT#demo#CUSTOMER#cust-1", None),
    (CUSTOMER, {"status": "REQUESTED"}, "ByCustomer", "MERCHANT#demo#CUSTOMER#cust-1", {"REQUESTED"}),
    (CUSTOMER, {"valid": "false"}, "ByCustomer", "MERCHANT#demo#CUSTOMER#cust-1", statuses.FINAL - {"ISSUED"}),
    (CUSTOMER, {"orderId": "o-1"}, "ByOrder", "ORDER#o-1", None),
    (SUPPORT, {"status": "PROCESSING"}, "ByStatus", "STATUS#PROCESSING", None),
    (SUPPORT, {"orderId": "o-1"}, "ByOrder", "ORDER#o-1", None),
    (SUPPORT, {"merchantId": "demo2"}, "ByMerchant", "MERCHANT#demo2", None),
    (SUPPORT, {"merchantId": "demo2", "status": "ISSUED"}, "ByMerchantStatus", "MERCHANT#demo2#STATUS#ISSUED", None),
    (SUPPORT, {"merchantId": "demo2", "valid": "true"}, "ByMerchantValidity", "MERCHANT#demo2#VALID#true", None),
    (MERCHANT, {"batchId": "b-1"}, "ByMerchantBatch", "MERCHANT#demo#BATCH#b-1", None),
    (MERCHANT, {"batchId": "b-1", "status": "ISSUED"}, "ByMerchantBatch", "MERCHANT#demo#BATCH#b-1", {"ISSUED"}),
    (MERCHANT, {"batchId": "b-1", "valid": "true"}, "ByMerchantBatch", "MERCHANT#demo#BATCH#b-1", statuses.VALID),
    (MERCHANT, {"batchId": "b-1", "status": "DENIED", "valid": "false"}, "ByMerchantBatch",
     "MERCHANT#demo#BATCH#b-1", {"DENIED"}),
    (SUPPORT, {"merchantId": "demo2", "batchId": "b-1"}, "ByMerchantBatch", "MERCHANT#demo2#BATCH#b-1", None),
    (SUPPORT, {"merchantId": "demo2", "batchId": "b-1", "status": "WAITING"}, "ByMerchantBatch",
     "MERCHANT#demo2#BATCH#b-1", {"WAITING"}),
    (CUSTOMER, {"batchId": "b-1"}, "ByCustomer", "MERCHANT#demo#CUSTOMER#cust-1", None),
    (CUSTOMER, {"batchId": "b-1", "status": "REQUESTED"}, "ByCustomer", "MERCHANT#demo#CUSTOMER#cust-1",
     {"REQUESTED"}),
    (MERCHANT, {"orderId": "o-1", "batchId": "b-1"}, "ByOrder", "ORDER#o-1", None),
    (CUSTOMER, {"orderId": "o-1", "batchId": "b-1", "status": "DENIED"}, "ByOrder", "ORDER#o-1", {"DENIED"}),
    (SUPPORT, {"orderId": "o-1", "batchId": "b-1"}, "ByOrder", "ORDER#o-1", None),
])
def test_each_filter_combination_has_its_index(caller, params, index, partition, only):
    query = parse_query(params, merchant_filter_allowed=caller.role is Role.SUPPORT)
    plan = listing.plan_for(caller, query)
    assert (plan.index, plan.partition) == (index, partition)
    assert plan.only_statuses == (frozenset(only) if only is not None else None)
    # A batch is a partition of its own on ByMerchantBatch; elsewhere it is dropped from what was read.
    assert plan.only_batch == (params.get("batchId") if index != "ByMerchantBatch" else None)


def test_a_filter_on_an_order_keeps_the_callers_tenancy():
    def owner(caller, **params):
        query = parse_query(params, merchant_filter_allowed=caller.role is Role.SUPPORT)
        return listing.plan_for(caller, query).whole_order_of

    assert owner(MERCHANT, orderId="o-1") == ("demo", None)
    assert owner(CUSTOMER, orderId="o-1") == ("demo", "cust-1")
    assert owner(SUPPORT, orderId="o-1") == (None, None)
    assert owner(SUPPORT, orderId="o-1", merchantId="demo2") == ("demo2", None)


@pytest.mark.parametrize("params", [{"status": s, "valid": str(s not in statuses.VALID).lower()}
                                    for s in statuses.ALL])
def test_a_status_with_a_validity_that_contradicts_it_has_no_query(params):
    for caller in (MERCHANT, CUSTOMER):
        assert listing.plan_for(caller, parse_query(params, merchant_filter_allowed=False)) is None


@pytest.mark.parametrize("params", [{}, {"valid": "true"}, {"valid": "false"}, {"limit": "5"}, {"batchId": "b-1"},
                                    {"batchId": "b-1", "status": "ISSUED"}])
def test_support_names_a_merchant_an_order_or_a_status(params):
    with pytest.raises(FieldErrors) as caught:
        listing.plan_for(SUPPORT, parse_query(params, merchant_filter_allowed=True))
    assert caught.value.fields == ["merchantId"]


def test_the_partitions_queried_are_the_ones_refunds_are_written_under():
    refund = {"id": "rf_01J", "orderId": "o-1", "merchantId": "demo", "customerId": "cust-1", "status": "ISSUED",
              "batchId": "b-1"}
    written = keys.refund_indexes(refund)
    queried = {
        "ByMerchant": keys.by_merchant("demo"),
        "ByMerchantStatus": keys.by_merchant_status("demo", "ISSUED"),
        "ByOrder": keys.by_order("o-1"),
        "ByMerchantValidity": keys.by_merchant_validity("demo", True),
        "ByCustomer": keys.by_customer("demo", "cust-1"),
        "ByStatus": keys.by_status("ISSUED"),
        "ByMerchantBatch": keys.by_merchant_batch("demo", "b-1"),
    }
    assert {index: written[pk] for index, (pk, _) in keys.INDEXES.items()} == queried
    assert all(written[sk] == "rf_01J" for _, sk in keys.INDEXES.values())


def test_the_sparse_indexes_hold_only_refunds_with_a_customer_or_a_batch():
    refund = {"id": "rf_01J", "orderId": "o-1", "merchantId": "demo", "status": "REQUESTED"}
    for without in (refund, {**refund, "customerId": None, "batchId": None}):
        written = keys.refund_indexes(without)
        assert not {"GSI5PK", "GSI5SK", "GSI7PK", "GSI7SK"} & set(written)
    written = keys.refund_indexes({**refund, "batchId": "b-1"})
    assert (written["GSI7PK"], written["GSI7SK"]) == ("MERCHANT#demo#BATCH#b-1", "rf_01J")


def test_one_batch_id_is_a_partition_per_merchant():
    assert keys.by_merchant_batch("demo", "b-1") != keys.by_merchant_batch("demo2", "b-1")


# ---------------------------------------------------------------- a page

def _refund(refund_id: str, status: str = "REQUESTED", merchant_id: str = "demo", customer_id: str = "cust-1"):
    return {"id": refund_id, "orderId": "o-1", "merchantId": merchant_id, "customerId": customer_id,
            "status": status, "email": "m@example.com", "amount": Decimal("59.5"), "currency": "USD",
            "requester": "demo", "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}


LAST = {"PK": {"S": "REFUND#rf_2"}, "SK": {"S": "REFUND"}, "GSI3PK": {"S": "ORDER#o-1"}, "GSI3SK": {"S": "rf_2"}}


@pytest.fixture
def stored(monkeypatch):
    """listing.page with a fake Query: ``stored.items``/``stored.last`` is what it returns."""

    class Stored:
        items: list[dict] = []
        last: dict | None = None
        calls: list[dict] = []

    def fake_page(index, partition, **kwargs):
        Stored.calls.append({"index": index, "partition": partition, **kwargs})
        return Stored.items, Stored.last

    Stored.calls = []
    monkeypatch.setattr(listing, "require_active_account", lambda caller: None)
    monkeypatch.setattr(listing, "derived_key", lambda purpose: b"k" * 32)
    monkeypatch.setattr(refund_queries, "page", fake_page)
    return Stored


def test_an_order_of_another_merchant_is_an_empty_page_without_a_cursor(stored):
    stored.items, stored.last = [_refund("rf_2", merchant_id="demo2")], LAST
    assert listing.page(MERCHANT, {"orderId": "o-1", "limit": "1"}) == Page([], None)


def test_one_foreign_refund_hides_the_whole_order(stored):
    stored.items, stored.last = [_refund("rf_3"), _refund("rf_2", customer_id="cust-2")], None
    assert listing.page(CUSTOMER, {"orderId": "o-1"}).items == []
    assert [r["id"] for r in listing.page(MERCHANT, {"orderId": "o-1"}).items] == ["rf_3", "rf_2"]


def test_statuses_on_an_order_are_filtered_after_tenancy_is_checked(stored):
    stored.items, stored.last = [_refund("rf_3", "DENIED"), _refund("rf_2", "REQUESTED")], LAST
    page = listing.page(MERCHANT, {"orderId": "o-1", "valid": "false", "limit": "2"})
    assert [r["id"] for r in page.items] == ["rf_3"] and page.next_cursor is not None
    assert stored.calls[0]["only_statuses"] is None  # DynamoDB returns every item read, so tenancy sees them
    assert stored.calls[0]["limit"] == 2


def test_a_cursor_continues_the_same_query_only(stored):
    stored.items, stored.last = [_refund("rf_3")], LAST
    params = {"orderId": "o-1", "limit": "1"}
    cursor = listing.page(MERCHANT, params).next_cursor
    stored.last = None
    assert listing.page(MERCHANT, {**params, "cursor": cursor}).next_cursor is None
    assert stored.calls[1]["start_key"] == LAST
    for other in ({"orderId": "o-2", "limit": "1"}, {"orderId": "o-1", "limit": "2"}, {"limit": "1"},
                  {"orderId": "o-1", "limit": "1", "status": "DENIED"}):
        with pytest.raises(FieldErrors):
            listing.page(MERCHANT, {**other, "cursor": cursor})
    with pytest.raises(FieldErrors):
        listing.page(Caller("demo-clerk", Role.MERCHANT, "demo"), {**params, "cursor": cursor})


BATCH_LAST = {"PK": {"S": "REFUND#rf_2"}, "SK": {"S": "REFUND"}, "GSI7PK": {"S": "MERCHANT#demo#BATCH#b-1"},
              "GSI7SK": {"S": "rf_2"}}


def test_a_batch_is_read_from_its_partition_and_filtered_by_status_in_the_query(stored):
    stored.items, stored.last = [_refund("rf_3", "DENIED")], BATCH_LAST
    page = listing.page(MERCHANT, {"batchId": "b-1", "valid": "false", "limit": "2"})
    assert [r["id"] for r in page.items] == ["rf_3"] and page.next_cursor is not None
    call, = stored.calls
    assert (call["index"], call["partition"], call["limit"]) == ("ByMerchantBatch", "MERCHANT#demo#BATCH#b-1", 2)
    assert call["only_statuses"] == statuses.FINAL - {"ISSUED"} and call["only_batch"] is None


def test_a_customers_batch_is_filtered_in_their_own_partition(stored):
    stored.items, stored.last = [], None
    listing.page(CUSTOMER, {"batchId": "b-1"})
    call, = stored.calls
    assert (call["index"], call["partition"]) == ("ByCustomer", "MERCHANT#demo#CUSTOMER#cust-1")
    assert call["only_batch"] == "b-1" and call["only_statuses"] is None


def test_a_batch_on_an_order_is_filtered_after_tenancy_is_checked(stored):
    in_batch, no_batch = {**_refund("rf_3"), "batchId": "b-1"}, _refund("rf_2", "DENIED")
    stored.items, stored.last = [in_batch, no_batch], LAST
    page = listing.page(MERCHANT, {"orderId": "o-1", "batchId": "b-1", "limit": "2"})
    assert [r["id"] for r in page.items] == ["rf_3"] and page.items[0]["batchId"] == "b-1"
    assert page.next_cursor is not None
    assert stored.calls[0]["only_batch"] is None and stored.calls[0]["only_statuses"] is None
    stored.items = [in_batch, {**_refund("rf_2", merchant_id="demo2"), "batchId": "b-1"}]
    assert listing.page(MERCHANT, {"orderId": "o-1", "batchId": "b-1"}) == Page([], None)


def test_a_cursor_is_bound_to_its_batch(stored):
    stored.items, stored.last = [_refund("rf_3")], BATCH_LAST
    params = {"batchId": "b-1", "limit": "1"}
    cursor = listing.page(MERCHANT, params).next_cursor
    stored.last = None
    assert listing.page(MERCHANT, {**params, "cursor": cursor}).next_cursor is None
    assert stored.calls[1]["start_key"] == BATCH_LAST
    for other in ({"batchId": "b-2", "limit": "1"}, {"limit": "1"}, {"batchId": "b-1", "limit": "2"},
                  {"batchId": "b-1", "limit": "1", "status": "REQUESTED"}):
        with pytest.raises(FieldErrors) as caught:
            listing.page(MERCHANT, {**other, "cursor": cursor})
        assert caught.value.fields == ["cursor"]
    for caller in (Caller("demo2", Role.MERCHANT, "demo2"), CUSTOMER):
        with pytest.raises(FieldErrors):
            listing.page(caller, {**params, "cursor": cursor})
    # An order's cursor does not continue that order's refunds of one batch either.
    stored.last = LAST
    order_cursor = listing.page(MERCHANT, {"orderId": "o-1", "limit": "1"}).next_cursor
    with pytest.raises(FieldErrors):
        listing.page(MERCHANT, {"orderId": "o-1", "batchId": "b-1", "limit": "1", "cursor": order_cursor})


@pytest.mark.parametrize(("caller", "params"), [
    (MERCHANT, {}), (MERCHANT, {"status": "WAITING"}), (MERCHANT, {"valid": "true"}), (MERCHANT, {"orderId": "o-1"}),
    (MERCHANT, {"batchId": "b-1"}), (CUSTOMER, {}), (SUPPORT, {"status": "REQUESTED"}),
    (SUPPORT, {"merchantId": "demo2"}),
])
def test_oldest_first_reads_the_same_index_from_its_other_end(stored, caller, params):
    stored.items, stored.last = [], None
    listing.page(caller, params)
    listing.page(caller, {**params, "order": "oldest"})
    newest, oldest = stored.calls
    assert (newest["oldest_first"], oldest["oldest_first"]) == (False, True)
    assert {**newest, "oldest_first": True} == oldest  # the same Query but its direction


def test_a_cursor_is_bound_to_its_order(stored):
    stored.items, stored.last = [_refund("rf_3")], LAST
    params = {"orderId": "o-1", "limit": "1"}
    newest = listing.page(MERCHANT, params).next_cursor
    oldest = listing.page(MERCHANT, {**params, "order": "oldest"}).next_cursor
    for cursor, order in ((newest, "oldest"), (oldest, "newest"), (oldest, None)):
        with pytest.raises(FieldErrors) as caught:
            listing.page(MERCHANT, {**params, **({"order": order} if order else {}), "cursor": cursor})
        assert caught.value.fields == ["cursor"]
    listing.page(MERCHANT, {**params, "order": "oldest", "cursor": oldest})
    listing.page(MERCHANT, {**params, "order": "newest", "cursor": newest})
    assert [call["start_key"] for call in stored.calls[2:]] == [LAST, LAST]


def test_a_cursor_issued_before_the_order_parameter_existed_still_opens(stored):
    """Cursors do not expire: one sealed with the context as it was (no
    ``order``) continues the newest-first listing it came from."""
    from refunds_core.listing_query import seal_cursor

    stored.items, stored.last = [], None
    before = {"caller": {"login": "demo", "role": "merchant", "merchantId": "demo", "customerId": None},
              "index": "ByMerchant", "partition": "MERCHANT#demo", "orderId": None, "batchId": None, "status": None,
              "valid": None, "merchantId": None, "limit": 5}
    last = {"PK": {"S": "REFUND#rf_2"}, "SK": {"S": "REFUND"}, "GSI1PK": {"S": "MERCHANT#demo"},
            "GSI1SK": {"S": "rf_2"}}
    cursor = seal_cursor(last, before, b"k" * 32)
    listing.page(MERCHANT, {"limit": "5", "cursor": cursor})
    assert stored.calls[0]["start_key"] == last


def test_a_contradiction_is_an_empty_page_and_its_cursor_check_still_applies(stored):
    assert listing.page(MERCHANT, {"status": "DENIED", "valid": "true"}) == Page([], None)
    assert stored.calls == []
    with pytest.raises(FieldErrors) as caught:
        listing.page(MERCHANT, {"status": "DENIED", "valid": "true", "cursor": "abc.def"})
    assert caught.value.fields == ["cursor"]


def test_a_listed_refund_is_presented_from_the_attributes_a_list_reads():
    """A list reads only PRESENTED_ATTRIBUTES (a ProjectionExpression): what
    present() shows must come from them alone, or a list would show less than GET."""
    from refunds_core.logic.refunds import PRESENTED_ATTRIBUTES, present

    stored = {
        "PK": "REFUND#r1", "SK": "REFUND", "GSI1PK": "MERCHANT#m", "GSI1SK": "r1", "type": "Refund", "version": 4,
        "id": "r1", "numericId": Decimal(7), "number": "SO-1-R1", "orderId": "o1", "merchantId": "m",
        "customerId": "c", "status": "ISSUED",
        "refundOnly": False, "description": "d", "email": "a@b.co", "batchId": "b", "kind": "items",
        "items": [{"itemId": "i", "quantity": 1, "amount": Decimal("1.00"), "tax": Decimal("0.10")}],
        "shipping": {"amount": Decimal("2.00"), "tax": Decimal("0")}, "tax": Decimal("0.10"),
        "amount": Decimal("3.10"), "currency": "USD", "requester": {"login": "m", "role": "merchant"},
        "responseReason": "ok", "trackingId": "t", "carrierName": "c", "confirmedAt": "x", "issuedAt": "y",
        "createdAt": "z", "updatedAt": "w", "reason": "damaged", "declineReason": None, "metadata": {"erp": "E-1"},
        "history": [{"status": "ISSUED", "action": "ISSUE", "actor": "s", "role": "support", "at": "y",
                     "reason": None}],
    }
    projected = {name: value for name, value in stored.items() if name in PRESENTED_ATTRIBUTES}
    assert present(projected) == present(stored)

    class Reads(dict):
        """A stored refund that notes which attributes present() reads."""

        read: set[str] = set()

        def __getitem__(self, name):
            self.read.add(name)
            return super().__getitem__(name)

        def get(self, name, default=None):
            self.read.add(name)
            return super().get(name, default)

    present(Reads(stored))
    assert Reads.read <= set(PRESENTED_ATTRIBUTES), Reads.read - set(PRESENTED_ATTRIBUTES)


# -------------------------------------------------------- a window (page, size)

@pytest.fixture
def partition(monkeypatch):
    """listing.window over a fake partition: ``partition.items`` newest first, its
    Queries recorded; a FilterExpression (only_statuses) drops items DynamoDB read."""

    class Partition:
        items: list[dict] = []
        calls: list[dict] = []

    def fake_query(index, partition_key, *, limit, start_key=None, only_statuses=None, only_batch=None, **_):
        Partition.calls.append({"index": index, "partition": partition_key, "limit": limit,
                                "only_statuses": only_statuses})
        start = 0 if start_key is None else start_key["at"]
        read = Partition.items[start:start + limit]
        kept = [item for item in read if only_statuses is None or item["status"] in only_statuses]
        more = start + limit < len(Partition.items)
        return refund_queries.Read(kept, {"at": start + limit} if more else None, len(read))

    Partition.items, Partition.calls = [], []
    monkeypatch.setattr(listing, "require_active_account", lambda caller: None)
    monkeypatch.setattr(refund_queries, "query", fake_query)
    return Partition


def _ids(refunds) -> list[str]:
    return [refund["id"] for refund in refunds]


def test_a_window_reads_its_depth_with_one_query_and_shows_its_last_page(partition):
    partition.items = [_refund(f"rf_{n}") for n in range(9, 0, -1)]
    assert _ids(listing.window(MERCHANT, listing.Filters(), page=1, size=3)) == ["rf_6", "rf_5", "rf_4"]
    assert partition.calls == [{"index": "ByMerchant", "partition": "MERCHANT#demo", "limit": 6,
                                "only_statuses": None}]
    assert _ids(listing.window(MERCHANT, listing.Filters(), page=3, size=3)) == []  # past the end


def test_a_filter_that_drops_items_reads_on_until_the_window_is_full(partition):
    partition.items = [_refund(f"rf_{n}", "CANCELLED" if n % 2 else "DENIED") for n in range(9, 0, -1)]
    shown = listing.window(MERCHANT, listing.Filters(statuses=frozenset({"DENIED", "FAILED"})), page=1, size=2)
    assert _ids(shown) == ["rf_4", "rf_2"]
    # DENIED or FAILED: both invalid, read from the invalid partition; each Query asks for what is missing.
    assert {(c["index"], c["partition"]) for c in partition.calls} == {("ByMerchantValidity",
                                                                        "MERCHANT#demo#VALID#false")}
    # Read 9-6, kept 8 and 6; then at least twice as many: 5-1, kept 4 and 2.
    assert [c["limit"] for c in partition.calls] == [4, 8]
    assert partition.calls[0]["only_statuses"] == {"DENIED", "FAILED"}


def test_a_filter_that_keeps_few_costs_a_few_round_trips_not_one_per_item(partition):
    """1 DENIED among 5 000 CANCELLED: asking each Query for only what is
    missing (one refund) would make 5 000 round trips of one item each."""
    partition.items = [_refund(f"rf_{n}", "CANCELLED") for n in range(5_000)] + [_refund("rf_x", "DENIED")]
    shown = listing.window(MERCHANT, listing.Filters(statuses=frozenset({"DENIED", "FAILED"})), page=0, size=1)
    assert _ids(shown) == ["rf_x"]
    assert len(partition.calls) == 13  # 1, 2, 4 ... 4 096: 8 191 read
    assert sum(call["limit"] for call in partition.calls) < 2 * 5_001


def test_a_window_without_a_filter_reads_only_what_it_shows(partition):
    """No item is dropped: a Query cut short (1 MB) is followed by one for what is missing, no more."""
    partition.items = [_refund(f"rf_{n}") for n in range(50)]
    real_query, asked = refund_queries.query, []

    def at_most_7(*args, limit, **kwargs):
        asked.append(limit)
        return real_query(*args, limit=min(limit, 7), **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(refund_queries, "query", at_most_7)
        assert len(listing.window(MERCHANT, listing.Filters(), page=0, size=20)) == 20
    assert asked == [20, 13, 6]


@pytest.mark.parametrize(("page", "size"), [(100, 100), (9999, 2), (10_000, 1), (-1, 20)])
def test_a_window_deeper_than_10_000_is_15010_page_without_a_read(partition, page, size):
    with pytest.raises(FieldErrors) as caught:
        listing.window(MERCHANT, listing.Filters(), page=page, size=size)
    assert caught.value.fields == ["page"] and partition.calls == []


def test_the_deepest_window_is_served(partition):
    partition.items = [_refund(f"rf_{n}") for n in range(3)]
    assert listing.window(MERCHANT, listing.Filters(), page=99, size=100) == []
    assert partition.calls[0]["limit"] == 10_000


def test_a_filter_that_keeps_too_few_of_10_000_reads_is_15010_page(partition):
    """The reads are capped as the depth is: a rare status deep in a customer's refunds."""
    partition.items = [_refund(f"rf_{n}", "CANCELLED") for n in range(10_001)] + [_refund("rf_x", "DENIED")]
    with pytest.raises(FieldErrors) as caught:
        listing.window(CUSTOMER, listing.Filters(statuses=frozenset({"DENIED"})), page=0, size=1)
    assert caught.value.fields == ["page"]
    assert sum(call["limit"] for call in partition.calls) == 10_000


def test_another_tenants_order_is_an_empty_window(partition):
    partition.items = [_refund("rf_3"), _refund("rf_2", merchant_id="demo2")]
    assert listing.window(MERCHANT, listing.Filters(orderId="o-1"), page=0, size=20) == []
    partition.items = [_refund("rf_3", "DENIED"), _refund("rf_2")]
    shown = listing.window(MERCHANT, listing.Filters(orderId="o-1", statuses=frozenset({"DENIED"})), page=0, size=20)
    assert _ids(shown) == ["rf_3"] and partition.calls[-1]["only_statuses"] is None  # filtered in code


@pytest.mark.parametrize(("wanted", "valid", "index", "only"), [
    ({"DENIED", "FAILED"}, None, "ByMerchantValidity", {"DENIED", "FAILED"}),
    ({"DENIED", "FAILED"}, False, "ByMerchantValidity", {"DENIED", "FAILED"}),
    ({"REQUESTED", "ISSUED"}, None, "ByMerchantValidity", {"REQUESTED", "ISSUED"}),
    ({"ISSUED", "DENIED"}, None, "ByMerchant", {"ISSUED", "DENIED"}),
    ({"ISSUED", "DENIED"}, True, "ByMerchantStatus", None),
])
def test_several_statuses_read_the_narrowest_partition_holding_them(wanted, valid, index, only):
    plan = listing.plan_for(MERCHANT, listing.Filters(statuses=frozenset(wanted), valid=valid))
    assert plan.index == index and plan.only_statuses == (frozenset(only) if only else None)
    assert listing.plan_for(MERCHANT, listing.Filters(statuses=frozenset({"DENIED", "FAILED"}), valid=True)) is None


# ---------------------------------------------- reason codes and time ranges

@pytest.mark.parametrize(("name", "value"), [("reason", "damaged"), ("reason", "other"),
                                             ("declineReason", "final_sale"), ("declineReason", "other")])
def test_a_reason_code_is_a_filter(name, value):
    assert getattr(parse_query({name: value}, merchant_filter_allowed=False), name) == value


@pytest.mark.parametrize(("name", "value"), [("reason", "Damaged"), ("reason", "final_sale"), ("reason", ""),
                                             ("declineReason", "damaged"), ("declineReason", "other ")])
def test_a_code_of_another_list_or_none_is_15010(name, value):
    assert bad_fields({name: value}) == [name]


@pytest.mark.parametrize("time", ["2026-05-01T00:00:00Z", "2026-05-01T02:00:00+02:00", "2026-05-01T00:00:00.123456Z",
                                  "2026-05-01T00:00Z", "2026-05-01 00:00:00-05:30"])
def test_a_time_with_its_offset_bounds_the_range(time):
    assert parse_query({"createdFrom": time}, merchant_filter_allowed=False).createdFrom == time


@pytest.mark.parametrize("time", ["2026-05-01", "2026-05-01T00:00:00", "yesterday", "1714521600", "",
                                  "2026-05-01T00:00:00 02:00", "2026-13-01T00:00:00Z",
                                  "2026-05-01T00:00:00Z" + " " * 50])
def test_a_time_without_an_offset_or_not_a_time_is_15010(time):
    assert bad_fields({"createdTo": time}) == ["createdTo"]


@pytest.mark.parametrize(("start", "end"), [
    ("2026-05-02T00:00:00Z", "2026-05-01T00:00:00Z"),
    ("2026-05-01T03:00:00+02:00", "2026-05-01T00:00:00Z"),         # an hour after, in another offset
])
def test_an_inverted_range_names_both_bounds(start, end):
    assert bad_fields({"createdFrom": start, "createdTo": end}) == ["createdFrom", "createdTo"]


@pytest.mark.parametrize(("start", "end"), [
    ("2026-05-01T00:00:00Z", "2026-05-01T00:00:00Z"),              # createdTo is excluded
    ("2026-05-01T02:00:00+02:00", "2026-05-01T00:00:00Z"),         # the same instant, in two offsets
])
def test_an_empty_range_is_a_query_of_nothing(start, end):
    query = parse_query({"createdFrom": start, "createdTo": end}, merchant_filter_allowed=False)
    assert created_range(query.createdFrom, query.createdTo).empty


@pytest.mark.parametrize(("start", "end", "first", "last"), [
    ("2026-05-01T00:00:00Z", "2026-05-01T00:00:01Z", 1777593600000, 1777593600999),
    ("2026-05-01T02:00:00+02:00", "2026-05-01T00:00:01Z", 1777593600000, 1777593600999),
    # Refunds are created on whole milliseconds: the first at or after the start, the last before the end.
    ("2026-05-01T00:00:00.0005Z", "2026-05-01T00:00:00.0025Z", 1777593600001, 1777593600002),
    ("2026-05-01T00:00:00.0001Z", "2026-05-01T00:00:00.0009Z", 1777593600001, 1777593600000),  # none
    (None, "1970-01-01T00:00:00.001Z", None, 0),
])
def test_a_range_is_the_whole_milliseconds_it_holds(start, end, first, last):
    span = created_range(start, end)
    assert (span.first_ms, span.last_ms) == (first, last)
    assert span.empty is (first is not None and first > last)


def test_the_sort_key_bounds_hold_exactly_the_refunds_created_in_the_range():
    from refunds_core import refund_ids

    first, last = keys.created_between(1777593600001, 1777593600002)
    number_at = lambda ms, low: ((ms - refund_ids.EPOCH_MS) << refund_ids.RANDOM_BITS) | low  # noqa: E731
    inside = [refund_ids.refund_id(number_at(ms, low)) for ms in (1777593600001, 1777593600002) for low in (0, 4095)]
    outside = [refund_ids.refund_id(number_at(1777593600000, 4095)), refund_ids.refund_id(number_at(1777593600003, 0))]
    assert all(first <= refund_id <= last for refund_id in inside)
    assert not any(first <= refund_id <= last for refund_id in outside)
    assert keys.created_between(None, None) == ("rf_" + "0" * 26, "rf_7" + "Z" * 25)


@pytest.mark.parametrize(("caller", "params", "index", "partition", "only", "matching"), [
    (MERCHANT, {"reason": "damaged"}, "ByMerchant", "MERCHANT#demo", None, (("reason", "damaged"),)),
    (MERCHANT, {"reason": "damaged", "status": "ISSUED"}, "ByMerchantStatus", "MERCHANT#demo#STATUS#ISSUED", None,
     (("reason", "damaged"),)),
    (MERCHANT, {"declineReason": "final_sale"}, "ByMerchantStatus", "MERCHANT#demo#STATUS#DENIED", None,
     (("declineReason", "final_sale"),)),
    (MERCHANT, {"declineReason": "other", "status": "DENIED", "valid": "false"}, "ByMerchantStatus",
     "MERCHANT#demo#STATUS#DENIED", None, (("declineReason", "other"),)),
    (MERCHANT, {"declineReason": "other", "reason": "duplicate"}, "ByMerchantStatus", "MERCHANT#demo#STATUS#DENIED",
     None, (("reason", "duplicate"), ("declineReason", "other"))),
    (MERCHANT, {"declineReason": "other", "batchId": "b-1"}, "ByMerchantBatch", "MERCHANT#demo#BATCH#b-1",
     {"DENIED"}, (("declineReason", "other"),)),
    (MERCHANT, {"reason": "damaged", "orderId": "o-1"}, "ByOrder", "ORDER#o-1", None, (("reason", "damaged"),)),
    (CUSTOMER, {"declineReason": "final_sale"}, "ByCustomer", "MERCHANT#demo#CUSTOMER#cust-1", {"DENIED"},
     (("declineReason", "final_sale"),)),
    (SUPPORT, {"declineReason": "final_sale"}, "ByStatus", "STATUS#DENIED", None, (("declineReason", "final_sale"),)),
    (SUPPORT, {"merchantId": "demo2", "reason": "fraudulent"}, "ByMerchant", "MERCHANT#demo2", None,
     (("reason", "fraudulent"),)),
])
def test_reason_codes_filter_the_partition_the_other_filters_choose(caller, params, index, partition, only,
                                                                    matching):
    plan = listing.plan_for(caller, parse_query(params, merchant_filter_allowed=caller.role is Role.SUPPORT))
    assert (plan.index, plan.partition, plan.matching, plan.created) == (index, partition, matching, None)
    assert plan.only_statuses == (frozenset(only) if only is not None else None)


@pytest.mark.parametrize("params", [{"declineReason": "other", "status": "ISSUED"},
                                    {"declineReason": "other", "valid": "true"},
                                    {"createdFrom": "2026-05-01T00:00:00.0001Z",
                                     "createdTo": "2026-05-01T00:00:00.0009Z"}])
def test_filters_nothing_can_match_read_nothing(stored, params):
    assert listing.plan_for(MERCHANT, parse_query(params, merchant_filter_allowed=False)) is None
    assert listing.page(MERCHANT, params) == Page([], None) and stored.calls == []


def test_support_needs_a_merchant_for_a_reason_alone():
    with pytest.raises(FieldErrors) as caught:
        listing.plan_for(SUPPORT, parse_query({"reason": "damaged"}, merchant_filter_allowed=True))
    assert caught.value.fields == ["merchantId"]


@pytest.mark.parametrize(("caller", "params", "index"), [
    (MERCHANT, {}, "ByMerchant"), (MERCHANT, {"status": "ISSUED"}, "ByMerchantStatus"),
    (MERCHANT, {"valid": "true"}, "ByMerchantValidity"), (MERCHANT, {"orderId": "o-1"}, "ByOrder"),
    (MERCHANT, {"batchId": "b-1"}, "ByMerchantBatch"), (CUSTOMER, {}, "ByCustomer"),
    (SUPPORT, {"status": "DENIED"}, "ByStatus"), (MERCHANT, {"declineReason": "other"}, "ByMerchantStatus"),
])
def test_a_time_range_is_a_key_condition_on_whichever_index_is_read(caller, params, index):
    query = parse_query({**params, "createdFrom": "2026-05-01T00:00:00Z", "createdTo": "2026-06-01T00:00:00Z"},
                        merchant_filter_allowed=caller.role is Role.SUPPORT)
    plan = listing.plan_for(caller, query)
    assert plan.index == index and plan.created == keys.created_between(1777593600000, 1780272000000 - 1)


def test_reason_and_range_reach_the_query_and_a_cursor_is_bound_to_them(stored):
    stored.items, stored.last = [{**_refund("rf_3"), "reason": "damaged"}], {
        "PK": {"S": "REFUND#rf_3"}, "SK": {"S": "REFUND"}, "GSI1PK": {"S": "MERCHANT#demo"}, "GSI1SK": {"S": "rf_3"}}
    params = {"reason": "damaged", "createdFrom": "2026-05-01T00:00:00Z", "limit": "1"}
    cursor = listing.page(MERCHANT, params).next_cursor
    call, = stored.calls
    assert call["matching"] == (("reason", "damaged"),) and call["created"][0] == keys.created_between(
        1777593600000, None)[0]
    for other in ({**params, "reason": "other"}, {**params, "createdFrom": "2026-05-02T00:00:00Z"},
                  {key: value for key, value in params.items() if key != "createdFrom"}):
        with pytest.raises(FieldErrors) as caught:
            listing.page(MERCHANT, {**other, "cursor": cursor})
        assert caught.value.fields == ["cursor"]


def test_reason_codes_on_an_order_are_filtered_after_tenancy_is_checked(stored):
    stored.items, stored.last = [{**_refund("rf_3"), "reason": "damaged"}, _refund("rf_2")], None
    assert [r["id"] for r in listing.page(MERCHANT, {"orderId": "o-1", "reason": "damaged"}).items] == ["rf_3"]
    assert stored.calls[0]["matching"] == ()
    stored.items = [{**_refund("rf_3"), "reason": "damaged"}, _refund("rf_2", merchant_id="demo2")]
    assert listing.page(MERCHANT, {"orderId": "o-1", "reason": "damaged"}) == Page([], None)


def test_cursors_issued_before_the_new_filters_still_open():
    query = parse_query({"status": "ISSUED"}, merchant_filter_allowed=False)
    context = listing.cursor_context(MERCHANT, query, listing.plan_for(MERCHANT, query))
    assert not {"reason", "declineReason", "createdFrom", "createdTo"} & set(context)


def test_the_oldest_of_a_time_range_is_one_query_from_its_first_millisecond_and_its_cursor_holds_both(stored):
    """order (i15) and createdFrom/createdTo (i19) together: the support queue
    reads a range oldest first; a cursor of it does not continue either alone."""
    stored.items, stored.last = [_refund("rf_3")], {
        "PK": {"S": "REFUND#rf_3"}, "SK": {"S": "REFUND"}, "GSI1PK": {"S": "MERCHANT#demo"}, "GSI1SK": {"S": "rf_3"}}
    params = {"order": "oldest", "createdFrom": "2026-05-01T00:00:00Z", "limit": "1"}
    cursor = listing.page(MERCHANT, params).next_cursor
    call, = stored.calls
    assert call["oldest_first"] is True and call["created"] == keys.created_between(1777593600000, None)
    for other in ({**params, "order": "newest"}, {key: value for key, value in params.items() if key != "order"},
                  {key: value for key, value in params.items() if key != "createdFrom"}):
        with pytest.raises(FieldErrors) as caught:
            listing.page(MERCHANT, {**other, "cursor": cursor})
        assert caught.value.fields == ["cursor"]
    listing.page(MERCHANT, {**params, "cursor": cursor})
    assert stored.calls[-1]["start_key"] == stored.last and stored.calls[-1]["oldest_first"] is True
