"""Lists of the caller's refunds, newest first: GET /v1/refunds's pages (a
cursor; ``order=oldest``: oldest first), and windows (``page`` and ``size``:
seed 002's GET /api/v2/refunds).

Every page is exactly one Query on the index that fits the filters, with
``Limit`` = the page size (docs/data-model.md, "Listing refunds"):

| filters (after the caller's scope) | index | partition | filtered after the read |
|---|---|---|---|
| ``orderId`` (any others) | ByOrder | the order | tenancy, status, valid, batchId (in code) |
| customer, no ``orderId`` | ByCustomer | merchant + customer | status / valid, batchId (FilterExpression) |
| ``batchId`` (+ ``status`` / ``valid``) | ByMerchantBatch | merchant + batch | status / valid (FilterExpression) |
| support, no ``merchantId``: ``batchId`` | none: 15010 ``merchantId`` | | |
| ``status`` (+ a ``valid`` that agrees) | ByMerchantStatus | merchant + status | - |
| ``valid`` only | ByMerchantValidity | merchant + validity | - |
| none | ByMerchant | merchant | - |
| support, no ``merchantId``: ``status`` | ByStatus | status | - |
| support, no ``merchantId``, no ``orderId``, no ``status`` | none: 15010 ``merchantId`` | | |

``status`` with a ``valid`` that contradicts it is an empty page without any
Query. The merchant is the caller's own; support chooses it with ``merchantId``
(merchants and customers may not send it: 15010). A customer's ``batchId``
filters their own partition (ByCustomer), never the merchant's batch: a page
and its cursor then say nothing of another customer's refunds. Several
statuses at once (``Filters.statuses``: seed 002's ``DENIED`` is our DENIED and
FAILED) read the validity partition that holds them all, or the merchant's,
and drop the others with a FilterExpression.

``createdFrom`` / ``createdTo`` narrow whichever index the other filters chose
with a key condition on its sort key (the refund id, whose head is its
creation millisecond): refunds outside the range are never read. ``reason``
and ``declineReason`` are FilterExpressions (in code on ByOrder) on the
partition the other filters chose: no index of their own, since each refund
write would pay for it and a deployment can add one index to the table at a
time. ``declineReason`` implies DENIED (only a denied refund has one), so it
reads the DENIED partition (ByMerchantStatus, or ByStatus for support across
merchants); ``reason`` alone reads the merchant's partition (ByMerchant). Like
every filter, they drop items from the page's ``Limit`` read, never read more:
a page costs at most ``limit`` items whatever they match, and may come back
short (or empty) with a cursor.

A window (``window``: seed 002's ``page`` and ``size``) is the same plan, read
from the newest refund on: Query after Query, each with ``Limit`` = what is
still missing (at least twice the last where a filter drops items), until
``(page + 1) * size`` refunds are kept. It costs reads in
proportion to that depth, so the depth is capped (``MAX_WINDOW_DEPTH``, deeper
is 15010 ``page``), and so are the items read where a filter drops some (the
same figure: beyond it, 15010 ``page`` too). A cursor page of GET /v1/refunds
costs one Query at any depth (docs/listing.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from refunds_core import shapes, statuses
from refunds_core.auth import derived_key, require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.dal import keys, refund_queries
from refunds_core.errors import FieldErrors
from refunds_core.listing_query import (
    NEWEST,
    CreatedRange,
    ListQuery,
    created_range,
    cursor_owner,
    open_cursor,
    parse_query,
    seal_cursor,
)
from refunds_core.logic.refunds import PRESENTED_ATTRIBUTES, present
from refunds_core.shapes import Page

CURSOR_KEY_PURPOSE = "list-refunds-cursor"
# The deepest refund a window may show, and the most items it may read.
MAX_WINDOW_DEPTH = 10_000


@dataclass(frozen=True)
class Filters:
    """What a list keeps, whichever route asked (None: no filter). ``statuses``
    keeps the refunds in any of them; GET /v1/refunds names at most one."""

    orderId: str | None = None  # noqa: N815 - the names of GET /v1/refunds's parameters
    batchId: str | None = None  # noqa: N815
    statuses: frozenset[str] | None = None
    valid: bool | None = None
    merchantId: str | None = None  # noqa: N815 - support only
    reason: str | None = None
    declineReason: str | None = None  # noqa: N815
    created: CreatedRange | None = None

    @classmethod
    def of(cls, query: ListQuery) -> Filters:
        return cls(query.orderId, query.batchId, frozenset({query.status}) if query.status else None, query.valid,
                   query.merchantId, query.reason, query.declineReason,
                   created_range(query.createdFrom, query.createdTo))

    def matching(self) -> tuple[tuple[str, str], ...]:
        """The (attribute, value) equalities no index answers."""
        return tuple((name, value) for name, value in (("reason", self.reason), ("declineReason", self.declineReason))
                     if value is not None)

    def wanted(self) -> frozenset[str] | None:
        """The statuses a refund may have to be kept (None: any); empty when
        ``statuses`` and ``valid`` contradict each other."""
        by_validity = None if self.valid is None else frozenset(
            statuses.VALID if self.valid else set(statuses.ALL) - statuses.VALID)
        if self.statuses is None:
            return by_validity
        return self.statuses if by_validity is None else self.statuses & by_validity


@dataclass(frozen=True)
class Plan:
    """The one Query a page is: an index partition, and what is dropped from what it reads.

    ``whole_order_of`` (ByOrder only) is the (merchant, customer) every refund
    of the order must belong to; when one does not, the order is not the
    caller's and the page is empty, with no cursor (nothing tells another
    tenant's order from one without refunds). ``only_statuses`` keeps the
    refunds in those statuses and ``only_batch`` those of that batch: in code
    on ByOrder (so tenancy sees every item read), as a FilterExpression
    elsewhere."""

    index: str
    partition: str
    only_statuses: frozenset[str] | None = None
    whole_order_of: tuple[str | None, str | None] | None = None
    only_batch: str | None = None
    matching: tuple[tuple[str, str], ...] = ()   # (attribute, value): dropped like only_batch
    created: tuple[str, str] | None = None       # sort key bounds: a key condition


def page(caller: Caller, params: dict[str, str]) -> Page:
    require_active_account(caller)
    query = parse_query(params, merchant_filter_allowed=caller.role is Role.SUPPORT)
    plan = plan_for(caller, query)
    context = cursor_context(caller, query, plan)
    key = derived_key(CURSOR_KEY_PURPOSE)
    start_key = None
    if query.cursor is not None:
        start_key = open_cursor(query.cursor, context, key)
        if plan is None or set(start_key) != refund_queries.key_attributes(plan.index):
            raise FieldErrors(["cursor"])  # never issued for this query: nothing comes after it
    if plan is None:
        return Page([], None)

    in_code = plan.whole_order_of is not None
    items, last_key = refund_queries.page(plan.index, plan.partition, limit=query.limit, start_key=start_key,
                                          attributes=PRESENTED_ATTRIBUTES,
                                          only_statuses=None if in_code else plan.only_statuses,
                                          only_batch=None if in_code else plan.only_batch,
                                          oldest_first=query.order != NEWEST,
                                          created=plan.created, matching=() if in_code else plan.matching)
    if in_code:
        merchant_id, customer_id = plan.whole_order_of
        if not all(_belongs(item, merchant_id, customer_id) for item in items):
            return Page([], None)
        items = [item for item in items if _kept_in_code(plan, item)]
    return Page([present(item) for item in items], seal_cursor(last_key, context, key) if last_key else None)


def _kept_in_code(plan: Plan, item: dict) -> bool:
    """What the FilterExpression would keep, for ByOrder (filtered after tenancy is checked)."""
    return ((plan.only_statuses is None or item["status"] in plan.only_statuses)
            and (plan.only_batch is None or item.get("batchId") == plan.only_batch)
            and all(item.get(name) == value for name, value in plan.matching))


def plan_for(caller: Caller, query: ListQuery | Filters) -> Plan | None:
    """The Query for this caller and these filters; None when the filters
    cannot match anything (a status and a validity that contradict it, a
    ``declineReason`` with a status other than DENIED, a time range narrower
    than a millisecond)."""
    filters = query if isinstance(query, Filters) else Filters.of(query)
    if filters.declineReason is not None:  # only a denied refund has one: DENIED's partition
        filters = replace(filters, statuses=(filters.statuses or frozenset(statuses.ALL)) & {statuses.DENIED})
    wanted = filters.wanted()
    if (wanted is not None and not wanted) or (filters.created is not None and filters.created.empty):
        return None
    plan = _plan(caller, filters, wanted)
    created = keys.created_between(*filters.created) if filters.created is not None else None
    return replace(plan, matching=filters.matching(), created=created)


def _plan(caller: Caller, filters: Filters, wanted: frozenset[str] | None) -> Plan:
    """The index partition for these filters (``plan_for``), before the filters no index answers."""
    customer_id = caller.customer_id if caller.role is Role.CUSTOMER else None
    merchant_id = filters.merchantId if caller.role is Role.SUPPORT else caller.merchant_id

    if filters.orderId is not None:
        return Plan("ByOrder", keys.by_order(filters.orderId), wanted, (merchant_id, customer_id),
                    only_batch=filters.batchId)
    if customer_id is not None:
        # A customer's batch is read from their own refunds, not from the
        # merchant's batch with a customer filter: the cursor of a page that
        # filter emptied would tell a customer the batch holds others' refunds.
        return Plan("ByCustomer", keys.by_customer(merchant_id, customer_id), wanted,
                    only_batch=filters.batchId)
    if filters.batchId is not None:
        if merchant_id is None:  # support: a batch is one merchant's
            raise FieldErrors(["merchantId"])
        return Plan("ByMerchantBatch", keys.by_merchant_batch(merchant_id, filters.batchId), wanted)
    one_status = next(iter(wanted)) if filters.statuses is not None and len(wanted) == 1 else None
    if merchant_id is None:  # support, across merchants
        if one_status is not None:
            return Plan("ByStatus", keys.by_status(one_status))
        # No index holds every merchant's refunds by time (it would be one
        # partition taking every write of the system), and a Scan is not a page.
        raise FieldErrors(["merchantId"])
    if one_status is not None:
        return Plan("ByMerchantStatus", keys.by_merchant_status(merchant_id, one_status))
    if filters.statuses is not None:  # several: the validity partition holding them all, else the merchant's
        for valid, holds in ((True, statuses.VALID), (False, frozenset(statuses.ALL) - statuses.VALID)):
            if wanted <= holds:
                return Plan("ByMerchantValidity", keys.by_merchant_validity(merchant_id, valid), wanted)
        return Plan("ByMerchant", keys.by_merchant(merchant_id), wanted)
    if filters.valid is not None:
        return Plan("ByMerchantValidity", keys.by_merchant_validity(merchant_id, filters.valid))
    return Plan("ByMerchant", keys.by_merchant(merchant_id))


def window(caller: Caller, filters: Filters, *, page: int, size: int) -> list[shapes.Refund]:
    """Refunds ``page * size`` to ``(page + 1) * size`` of the caller's list,
    newest first (seed 002's GET /api/v2/refunds); 15010 ``page`` beyond
    MAX_WINDOW_DEPTH. Another tenant's order lists like one without refunds."""
    require_active_account(caller)
    if page < 0 or size < 1 or (page + 1) * size > MAX_WINDOW_DEPTH:
        raise FieldErrors(["page"])
    plan = plan_for(caller, filters)
    if plan is None:
        return []
    kept = _read_window(plan, page * size + size)
    return [present(item) for item in kept[page * size:]]


def _read_window(plan: Plan, depth: int) -> list[dict]:
    """The first ``depth`` refunds the plan keeps, newest first: Query after
    Query, each asking for what is still missing, reading at most
    MAX_WINDOW_DEPTH items (else 15010 ``page``: too deep for these filters).
    Where a filter drops items, each Query asks for at least twice what the
    last one did: a filter that keeps few costs a handful of round trips (15
    at most to the cap) rather than one per item read (asking for only what is
    missing, 10 000 Queries of one item each), for reading past the window's
    last refund at most what the last Query asked for."""
    in_code = plan.whole_order_of is not None
    drops = in_code or plan.only_statuses is not None or plan.only_batch is not None
    kept: list[dict] = []
    read, start_key, limit = 0, None, 0
    while len(kept) < depth:
        if read >= MAX_WINDOW_DEPTH:
            raise FieldErrors(["page"])
        limit = min(max(depth - len(kept), 2 * limit if drops else 0), MAX_WINDOW_DEPTH - read)
        found = refund_queries.query(plan.index, plan.partition, limit=limit,
                                     start_key=start_key, attributes=PRESENTED_ATTRIBUTES,
                                     only_statuses=None if in_code else plan.only_statuses,
                                     only_batch=None if in_code else plan.only_batch,
                                     created=plan.created, matching=() if in_code else plan.matching)
        read += found.read
        items = found.items
        if in_code:
            merchant_id, customer_id = plan.whole_order_of
            if not all(_belongs(item, merchant_id, customer_id) for item in items):
                return []  # not the caller's order: as one without refunds
            items = [item for item in items if _kept_in_code(plan, item)]
        kept += items
        start_key = found.last_key
        if start_key is None:
            break
    return kept[:depth]


def _belongs(refund: dict, merchant_id: str | None, customer_id: str | None) -> bool:
    return ((merchant_id is None or refund.get("merchantId") == merchant_id)
            and (customer_id is None or refund.get("customerId") == customer_id))


def cursor_context(caller: Caller, query: ListQuery, plan: Plan | None) -> dict:
    """What a cursor is bound to: who asked, and the whole query but the cursor.
    The order is named only when it is not the default, so the cursors issued
    before ``order`` existed (newest first) still open."""
    return {
        "caller": {**cursor_owner(caller), "customerId": caller.customer_id},
        "index": plan.index if plan else None, "partition": plan.partition if plan else None,
        "orderId": query.orderId, "batchId": query.batchId, "status": query.status, "valid": query.valid,
        "merchantId": query.merchantId, "limit": query.limit,
        **({"order": query.order} if query.order != NEWEST else {}),
        # Named only when given: the cursors issued before these filters existed still open.
        **{name: value for name in _NEWER_FILTERS if (value := getattr(query, name)) is not None},
    }


_NEWER_FILTERS = ("reason", "declineReason", "createdFrom", "createdTo")
