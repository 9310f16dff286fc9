"""GET /v1/refunds/export: a merchant's refunds created in a time range, as CSV for reconciliation."""

from refunds_core import errors, shapes
from refunds_core.api import build_app, caller, lambda_handler_for, query_parameters
from refunds_core.callers import Role
from refunds_core.listing_query import ExportQuery
from refunds_core.logic import export
from refunds_core.routes import route

app = build_app()


@route(app, "GET", "/v1/refunds/export", summary="The refunds created in a time range, as CSV", tag="refunds",
       roles=(Role.MERCHANT, Role.SUPPORT), query=ExportQuery, answer=shapes.RefundsCsv, envelope=None,
       media_type=export.MEDIA_TYPE, errors=(errors.EXPORT_TOO_LARGE,),
       description="For reconciliation: one row per refund created at or after `createdFrom` and before "
                   "`createdTo`, newest first, with a header row (RFC 4180, UTF-8). Columns: "
                   + ", ".join(f"`{column}`" for column in export.COLUMNS) + ". Money is the exact decimal "
                   "string; `items` summarises the refunded items (`sku-1 x2 (45.00 + 4.50 tax); ...`); "
                   "`metadata` is a JSON object. A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage "
                   "return starts with `'` (so no spreadsheet runs it as a formula). A range whose CSV would be "
                   "over 6 MB is 15300: export it in parts. Support names the merchant (`merchantId`).")
def export_refunds():
    return export.export(caller(app), query_parameters(app))


lambda_handler = lambda_handler_for(app)
