"""The reason codes a refund carries beside its free text: why it was
requested (``reason``, optional at creation) and why it was denied
(``declineReason``, required by DENY). Closed lists, so merchants can count
and filter by them (GET /v1/refunds, the export); the free text
(``description``, ``responseReason``) stays for people. Never used in a rule."""

from __future__ import annotations

# Why the customer or merchant asks for the refund (Stripe's reasons, and the returns' usual ones).
REFUND_REASONS = ("requested_by_customer", "damaged", "wrong_item", "not_as_described", "duplicate", "fraudulent",
                  "other")
# Why support denied it.
DECLINE_REASONS = ("return_period_ended", "final_sale", "not_eligible", "other")
