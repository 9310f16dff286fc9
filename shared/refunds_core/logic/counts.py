"""GET /v1/refunds/counts: how many refunds wait in each open status.

A merchant counts its own refunds (``ByMerchantStatus``); support counts every
merchant's (``ByStatus``), or one merchant's with ``merchantId``. Each status
is counted by ``Select=COUNT`` Queries of its one index partition, never a
Scan; counting stops past ``CAP``, so a count costs at most ``CAP + 1`` index
entries read, however many refunds wait (docs/listing.md, "Counts").
"""

from __future__ import annotations

from refunds_core import shapes, statuses
from refunds_core.auth import require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.dal import keys, refund_queries
from refunds_core.listing_query import CountsQuery, parse_query

# A queue's badge says "1000+" past this: an exact figure would cost a read of every waiting refund.
CAP = 1000


def open_counts(caller: Caller, params: dict[str, str]) -> shapes.OpenCounts:
    require_active_account(caller)
    query = parse_query(params, merchant_filter_allowed=caller.role is Role.SUPPORT, model=CountsQuery)
    merchant_id = query.merchantId if caller.role is Role.SUPPORT else caller.merchant_id
    counts = {}
    for status in statuses.OPEN_IN_ORDER:
        if merchant_id is None:  # support, across merchants
            index, partition = "ByStatus", keys.by_status(status)
        else:
            index, partition = "ByMerchantStatus", keys.by_merchant_status(merchant_id, status)
        # One more than the cap: "capped" says there are more, not that there are exactly CAP.
        counted = refund_queries.count(index, partition, at_most=CAP + 1)
        counts[status] = shapes.StatusCount(count=min(counted, CAP), capped=counted > CAP)
    return shapes.OpenCounts(**counts)
