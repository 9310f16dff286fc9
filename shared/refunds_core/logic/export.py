"""GET /v1/refunds/export: a merchant's refunds created in a time range, as
CSV for reconciliation (docs/reconciliation.md).

Read page after page from the ByMerchant index with the range as a key
condition on its sort key (the refund id, whose head is its creation
millisecond): never a Scan, never a refund outside the range. The range is
parsed and refused as every list's (``listing_query.validated``): an empty one
is the header row alone, read from nothing. Each page's rows are written as it
arrives.

The answer is one Lambda response, which carries at most 6 MB; the CSV of a
range that would be larger is refused (``errors.EXPORT_TOO_LARGE``: narrow the
range) rather than cut short, as soon as the rows written pass the setting
``EXPORT_MAX_BYTES``, counted as the rows weigh once JSON-escaped in that
response. What a refused export reads is bounded by the same figure.

RFC 4180: a header row, CRLF line ends, a field with a comma, a quote or a
line break in quotes, quotes doubled; UTF-8, no byte order mark. Money is the
API's exact decimal string. A cell a spreadsheet would run as a formula (its
first character one of ``= + - @``, a tab or a carriage return) starts with
an apostrophe instead (OWASP's CSV injection advice): the API itself still
shows the value as stored.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from refunds_core import errors, shapes
from refunds_core.auth import require_active_account
from refunds_core.callers import Caller, Role
from refunds_core.clock import iso_of_ms
from refunds_core.dal import keys, refund_queries
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.listing_query import CreatedRange, created_range, parse_export_query
from refunds_core.logic.refunds import PRESENTED_ATTRIBUTES, present
from refunds_core.settings import settings

# One row per refund, these columns, in this order (the header row).
COLUMNS = (
    "id", "numericId", "number", "createdAt", "updatedAt", "status", "orderId", "merchantId", "customerId",
    "currency", "amount", "tax", "shippingAmount", "shippingTax", "kind", "items", "itemUnits", "reason",
    "description", "declineReason", "responseReason", "refundOnly", "batchId", "email", "requester",
    "trackingId", "carrierName", "confirmedAt", "issuedAt", "metadata",
)
# A row needs no history: not read back from the index.
_ATTRIBUTES = tuple(name for name in PRESENTED_ATTRIBUTES if name != "history")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPE = "text/csv; charset=utf-8; header=present"


def export(caller: Caller, params: dict[str, str]) -> shapes.Attachment:
    """15000, then the query (15010; support must name ``merchantId``), then
    the size (EXPORT_TOO_LARGE)."""
    require_active_account(caller)
    query = parse_export_query(params, merchant_filter_allowed=caller.role is Role.SUPPORT)
    merchant_id = query.merchantId if caller.role is Role.SUPPORT else caller.merchant_id
    if merchant_id is None:
        raise FieldErrors(["merchantId"])
    span = created_range(query.createdFrom, query.createdTo)
    text = render(_refunds(merchant_id, span), settings().EXPORT_MAX_BYTES)
    return shapes.Attachment(text, f"refunds-{merchant_id}-{_stamp(span.first_ms)}-{_stamp(span.last_ms + 1)}.csv")


def _refunds(merchant_id: str, span: CreatedRange) -> Iterator[shapes.Refund]:
    """The merchant's refunds created in the range, newest first, a Query at a time."""
    if span.empty:
        return
    start_key = None
    while True:
        found = refund_queries.query("ByMerchant", keys.by_merchant(merchant_id), limit=settings().EXPORT_PAGE_SIZE,
                                     attributes=_ATTRIBUTES, start_key=start_key,
                                     created=keys.created_between(*span))
        yield from (present(item) for item in found.items)
        start_key = found.last_key
        if start_key is None:
            return


def render(refunds: Iterator[shapes.Refund], max_bytes: int) -> str:
    """The CSV text: the header, then a row per refund; EXPORT_TOO_LARGE once
    the rows, JSON-escaped as a Lambda response carries them, pass ``max_bytes``."""
    # Each line is written alone and the lines joined once: reading a row back
    # out of one growing buffer copies all of it each time, which made an export
    # near the cap quadratic (25 s of CPU for 14 000 rows, past the function's timeout).
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\r\n")

    def text_of(cells) -> str:
        line.seek(0)
        line.truncate()
        writer.writerow(cells)
        return line.getvalue()

    lines = [text_of(COLUMNS)]
    weight = 0
    for refund in refunds:
        text = text_of([_cell(value) for value in row(refund)])
        # ensure_ascii: the larger of the two ways a runtime may escape it.
        weight += len(json.dumps(text)) - 2
        if weight > max_bytes:
            raise ApiError(errors.EXPORT_TOO_LARGE)
        lines.append(text)
    return "".join(lines)


def row(refund: shapes.Refund) -> list[str]:
    """A refund's cells, in COLUMNS' order: its items summarised in one cell
    (``sku-1 x2 (45.00 + 4.50 tax); ...``) and their units in another, its
    metadata as one JSON object."""
    items = "; ".join(f"{item['itemId']} x{item['quantity']} ({item['amount']} + {item['tax']} tax)"
                      for item in refund["items"])
    values = {
        **refund, "shippingAmount": refund["shipping"]["amount"], "shippingTax": refund["shipping"]["tax"],
        "items": items, "itemUnits": sum(item["quantity"] for item in refund["items"]),
        "refundOnly": "true" if refund["refundOnly"] else "false",
        "metadata": json.dumps(refund["metadata"], ensure_ascii=False, sort_keys=True) if refund["metadata"] else "",
    }
    return ["" if values[name] is None else str(values[name]) for name in COLUMNS]


def _cell(text: str) -> str:
    """What a spreadsheet would run as a formula, as text (an apostrophe before it)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _stamp(millis: int) -> str:
    """A time for a file name (``20260430T220000Z``), within the years 1970-9999."""
    return iso_of_ms(min(max(millis, 0), _LAST_MS))[:19].replace("-", "").replace(":", "") + "Z"


_LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
