// The refund state machine, as the console needs it: which action each role
// may take from which status. It mirrors TRANSITIONS in
// shared/refunds_core/logic/transitions.py; tests/unit/test_console.py reads
// the table between the markers below as JSON and fails when the two differ.
// The API decides all the same: a button shown here can still be refused (15080).

// transitions:start
export const TRANSITIONS = {
  "APPROVE": {"route": "PATCH", "roles": ["support"], "from": ["REQUESTED"], "fields": [], "onlyIf": null},
  "SHIP_INIT": {"route": "PATCH", "roles": ["customer", "merchant"], "from": ["REQUESTED", "WAITING"],
    "fields": ["carrierName", "trackingId"], "onlyIf": "goodsComeBack"},
  "ISSUE": {"route": "PATCH", "roles": ["support"], "from": ["PROCESSING"], "fields": [], "onlyIf": null},
  "DENY": {"route": "PATCH", "roles": ["support"], "from": ["PROCESSING", "REQUESTED", "WAITING"],
    "fields": ["responseReason"], "onlyIf": null},
  "FAIL": {"route": "PATCH", "roles": ["support"], "from": ["PROCESSING"], "fields": ["responseReason"],
    "onlyIf": null},
  "CANCEL": {"route": "DELETE", "roles": ["customer", "merchant"], "from": ["REQUESTED", "WAITING"], "fields": [],
    "onlyIf": null}
};
// transitions:end

// The webhook event each action publishes (refunds_core.events.TYPE_OF_ACTION).
// events:start
export const EVENT_OF_ACTION = {"CREATE": "refund.created", "APPROVE": "refund.approved",
  "SHIP_INIT": "refund.shipment_provided", "ISSUE": "refund.issued", "DENY": "refund.denied",
  "CANCEL": "refund.cancelled", "FAIL": "refund.failed"};
// events:end

// Statuses in the lifecycle's order; the open ones hold the order's lock.
export const STATUSES = ["REQUESTED", "WAITING", "PROCESSING", "ISSUED", "DENIED", "CANCELLED", "FAILED"];
export const OPEN_STATUSES = ["REQUESTED", "WAITING", "PROCESSING"];

const CONDITIONS = {
  goodsComeBack: (refund) => refund.refundOnly === false,
};

// The buttons the console offers, in this order (SHIP_INIT has none: the
// merchant's systems send the tracking through the API).
export const BUTTONS = [
  {action: "APPROVE", label: "Approve"},
  {action: "DENY", label: "Deny", reason: "responseReason"},
  {action: "ISSUE", label: "Issue"},
  {action: "FAIL", label: "Fail", reason: "responseReason"},
  {action: "CANCEL", label: "Cancel request"},
];

/** The actions `role` may take on `refund` as it is now. */
export function allowedActions(refund, role) {
  return Object.entries(TRANSITIONS)
    .filter(([, t]) => t.roles.includes(role) && t.from.includes(refund.status)
      && (t.onlyIf === null || CONDITIONS[t.onlyIf](refund)))
    .map(([action]) => action);
}

/** The buttons to show for `refund` to `role`: exactly the allowed actions. */
export function buttonsFor(refund, role) {
  const allowed = new Set(allowedActions(refund, role));
  return BUTTONS.filter((button) => allowed.has(button.action));
}
