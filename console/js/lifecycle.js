// The lifecycle's words, as the console shows them. Which decisions a
// request offers is not decided here: GET /v1/refunds/{id} names them in its
// `actions` (from the API's state machine), and in test mode the ones its
// merchant may simulate in its `simulations`; the page shows exactly those.

// The webhook event each action publishes (refunds_core.events.TYPE_OF_ACTION;
// tests/unit/test_console.py checks the two agree).
// events:start
export const EVENT_OF_ACTION = {"CREATE": "refund.created", "APPROVE": "refund.approved",
  "SHIP_INIT": "refund.shipment_provided", "ISSUE": "refund.issued", "DENY": "refund.denied",
  "CANCEL": "refund.cancelled", "FAIL": "refund.failed"};
// events:end

// The events the events API lists beside the refunds' (refunds_core.events.KEPT_TYPES;
// tests/unit/test_console.py checks): an endpoint's own, never delivered.
export const ENDPOINT_EVENTS = ["webhook_endpoint.disabled"];

// Statuses in the lifecycle's order (the Status filter's); the open ones are the queue.
export const STATUSES = ["REQUESTED", "WAITING", "PROCESSING", "ISSUED", "DENIED", "CANCELLED", "FAILED"];
export const OPEN_STATUSES = ["REQUESTED", "WAITING", "PROCESSING"];

// Why a refund is requested (refunds_core.reasons.REFUND_REASONS; tests/unit/test_console.py
// checks the two agree): optional on a new request, a filter of the lists.
export const REFUND_REASONS = ["requested_by_customer", "damaged", "wrong_item", "not_as_described", "duplicate",
  "fraudulent", "other"];

// The codes support chooses from to deny (refunds_core.reasons.DECLINE_REASONS;
// tests/unit/test_console.py checks the two agree): the API requires one on DENY.
export const DECLINE_REASONS = ["return_period_ended", "final_sale", "not_eligible", "other"];

// The buttons the console has, in this order (SHIP_INIT has none: the
// merchant's systems send the tracking through the API).
export const BUTTONS = [
  {action: "APPROVE", label: "Approve"},
  {action: "DENY", label: "Deny", reason: "responseReason",
    code: {field: "declineReason", label: "Decline reason", values: DECLINE_REASONS}},
  {action: "ISSUE", label: "Issue"},
  {action: "FAIL", label: "Fail", reason: "responseReason"},
  {action: "CANCEL", label: "Cancel request"},
];

/**
 * The buttons for exactly the actions the API names (a refund's `actions`, or
 * its `simulations` in test mode), in the order above.
 */
export function buttonsFor(actions) {
  const allowed = new Set(actions ?? []);
  return BUTTONS.filter((button) => allowed.has(button.action));
}
