// One request's page: the order (lines, what each paid, shipping, tax, what
// was already refunded), what is requested, the customer and merchant,
// return tracking, the full history with the event each action published
// (and a link to those events), and the webhook deliveries of those events;
// the decisions the API says the reader may take now (the refund's
// `actions`) and, in test mode, those its merchant may simulate (its
// `simulations`); the merchant's metadata, which the merchant may change.

import {ApiError, CODES, idempotencyKey, request, segment} from "../api.js";
import {facts, field, h, replace, table, uniqueId} from "../dom.js";
import {badge, money, time} from "../format.js";
import {buttonsFor, EVENT_OF_ACTION} from "../lifecycle.js";
import {describe, messages} from "./common.js";
import {deliveryList} from "./deliveries.js";
import {eventsOf} from "./events.js";
import {metadataChanges, metadataEditor} from "./metadata.js";

export function requestView(who, id) {
  const region = messages();
  const body = h("div", {class: "request", "aria-busy": "true"}, h("p", {}, "Loading…"));
  const node = h("section", {}, region.node, body);
  const page = {who, id, region, body, pending: null};
  load(page);
  return {node};
}

async function load(page) {
  try {
    const refund = (await request("GET", `/v1/refunds/${segment(page.id)}`, {query: {expand: "order"}})).data;
    page.refund = refund;
    render(page);
  } catch (problem) {
    if (problem instanceof ApiError && problem.status === 404) {
      replace(page.body, h("h1", {}, "Request not found"), h("p", {role: "alert"}, problem.message),
        h("p", {}, h("a", {href: "#/requests"}, "Back to the requests")));
    } else {
      page.region.error(problem);
    }
  }
  page.body.setAttribute("aria-busy", "false");
}

function render(page) {
  const {refund} = page;
  const decisions = h("div", {class: "decisions"});
  const simulations = h("div", {class: "simulations"});
  const deliveries = h("section", {}, h("h2", {}, "Webhook deliveries"));
  replace(page.body,
    h("p", {class: "crumbs"}, h("a", {href: "#/requests"}, "Requests")),
    h("h1", {}, refund.number ?? refund.id),
    h("p", {class: "status-line"}, "Status: ", badge(refund.status)),
    decisions,
    simulations,
    summary(refund),
    page.who.role === "merchant" ? metadataEditing(page) : null,
    orderSection(refund),
    requestedSection(refund),
    returnSection(refund),
    historySection(refund, eventsOf(page.who, refund)),
    deliveries);
  showDecisions(page, decisions, OWN);
  showDecisions(page, simulations, SIMULATED);
  showDeliveries(refund, deliveries);
}

// ------------------------------------------------------------ decisions

// A request's page offers two groups of decisions, with one code for both: the
// reader's own (its `actions`: support's decisions, a merchant's cancel) and,
// for its merchant in test mode, support's decisions simulated (its
// `simulations`: docs/test-mode.md). They differ only in where a decision
// goes; the buttons, the reason asked, the Idempotency-Key and a lost race
// are the same.
const OWN = {
  names: (refund) => refund.actions,
  heading: (id) => h("h2", {id, class: "visually-hidden"}, "Decision"),
  intro: (button) => `${button.label} this request: the merchant sees the reason.`,
  call(refund, action, fields) {
    const path = `/v1/refunds/${segment(refund.id)}`;
    return action === "CANCEL" ? {method: "DELETE", path} : {method: "PATCH", path, body: {action, ...fields}};
  },
};
const SIMULATED = {
  names: (refund) => refund.simulations,
  heading: (id) => [h("h2", {id}, "Simulate"),
    h("p", {}, "Test mode: take support's decisions on this test request yourself.")],
  intro: (button) => `${button.label} this request as support would: the reason is kept as support's.`,
  call: (refund, action, fields) => ({method: "POST", path: `/v1/test/refunds/${segment(refund.id)}/simulate`,
    body: {action, ...fields}}),
};
const DECIDING = ".decisions button, .simulations button";

function showDecisions(page, node, kind) {
  const buttons = buttonsFor(kind.names(page.refund));
  if (buttons.length === 0) {
    replace(node);
    return;
  }
  const reasonSlot = h("div", {class: "reason"});
  const heading = uniqueId("decisions");
  replace(node, h("div", {role: "group", "aria-labelledby": heading}, kind.heading(heading),
    h("div", {class: "actions"}, buttons.map((button) => h("button", {
      type: "button", class: button.action === "DENY" || button.action === "FAIL" || button.action === "CANCEL"
        ? "danger" : null,
      onclick: () => (button.reason ? askReason(page, kind, button, reasonSlot) : decide(page, kind, button, {})),
    }, button.label))),
    reasonSlot));
}

function askReason(page, kind, button, slot) {
  const reason = h("textarea", {name: "reason", required: true, maxlength: 500, rows: 3});
  // A decision that also takes a code (Deny: its declineReason) offers exactly the API's values.
  const code = button.code ? h("select", {name: button.code.field, required: true},
    h("option", {value: ""}, "Choose…"),
    button.code.values.map((value) => h("option", {value}, value))) : null;
  // novalidate: the missing reason is said in the page's own alert, not a browser bubble.
  replace(slot, h("form", {class: "reason-form", "aria-label": `${button.label} this request`, novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      if (code && !code.value) {
        page.region.error(new Error(`Choose a ${button.code.label.toLowerCase()}.`));
        code.focus();
        return;
      }
      if (!reason.value.trim()) {
        page.region.error(new Error("Give a reason."));
        reason.focus();
        return;
      }
      const chosen = code ? {[button.code.field]: code.value} : {};
      decide(page, kind, button, {[button.reason]: reason.value.trim(), ...chosen});
    }},
  h("p", {}, kind.intro(button)),
  code ? field(button.code.label, code) : null,
  field("Reason", reason),
  h("div", {class: "actions"},
    h("button", {type: "submit"}, "Confirm"),
    h("button", {type: "button", class: "secondary", onclick: () => slot.replaceChildren()}, "Back"))));
  (code ?? reason).focus();
}

async function decide(page, kind, button, fields) {
  const call = kind.call(page.refund, button.action, fields);
  // A retry of the same decision (after a network failure) sends the same key: applied once.
  const sent = JSON.stringify(call);
  if (page.pending?.sent !== sent) page.pending = {sent, key: idempotencyKey()};
  for (const control of page.body.querySelectorAll(DECIDING)) control.disabled = true;
  try {
    await request(call.method, call.path, {body: call.body, idempotencyKey: page.pending.key});
    page.pending = null;
    await load(page);
    page.region.notice(`Done: the request is now ${page.refund.status}.`);
  } catch (problem) {
    if (problem instanceof TypeError) {  // nothing answered: the same key goes with a retry
      page.region.error(problem);
      for (const control of page.body.querySelectorAll(DECIDING)) control.disabled = false;
      return;
    }
    page.pending = null;
    if (problem instanceof ApiError && (problem.has(CODES.TRANSITION_NOT_ALLOWED) || problem.has(CODES.CONFLICT))) {
      // Someone else decided first: show what they did, and what may still be done.
      await load(page);
      page.region.error(new Error(`Someone else changed this request first. ${problem.message} `
        + `It is now ${page.refund?.status ?? "changed"}.`));
      return;
    }
    page.region.error(problem);
    for (const control of page.body.querySelectorAll(DECIDING)) control.disabled = false;
  }
}

// ------------------------------------------------------------- sections

function summary(refund) {
  return h("section", {}, h("h2", {}, "Request"), facts([
    ["Amount", money(refund.amount, refund.currency)],
    ["Kind", refund.kind],
    ["Merchant", refund.merchantId],
    ["Customer", refund.customerId ?? "-"],
    ["Email", refund.email],
    ["Requested by", refund.requester],
    ["Order", refund.order ? `${refund.order.number} (${refund.orderId})` : refund.orderId],
    ["Batch", refund.batchId],
    ["Description", refund.description ?? "-"],
    ["Request reason", refund.reason ?? "-"],
    ["Decline reason", refund.declineReason],
    ["Reason", refund.responseReason],
    ["Metadata", metadataFacts(refund.metadata)],
    ["Created", time(refund.createdAt)],
    ["Updated", time(refund.updatedAt)],
    ["Approved", refund.confirmedAt ? time(refund.confirmedAt) : null],
    ["Issued", refund.issuedAt ? time(refund.issuedAt) : null],
  ]));
}

/**
 * Edit metadata (the refund's merchant only): its keys and values as rows,
 * saved as one PATCH naming what changed (a key removed is sent as null).
 */
function metadataEditing(page) {
  const slot = h("div", {class: "metadata-edit"});
  let pending = null;  // a retry of the same change (after a network failure) sends the same key

  const closed = () => replace(slot, h("button", {type: "button", class: "secondary", onclick: open},
    "Edit metadata"));

  function open() {
    const editor = metadataEditor(page.refund.metadata);
    replace(slot, h("form", {"aria-label": "Edit metadata", onsubmit: async (event) => {
      event.preventDefault();
      const read = editor.read();
      if (read.problem) {
        page.region.error(new Error(read.problem));
        return;
      }
      const body = {metadata: metadataChanges(page.refund.metadata, read.metadata)};
      if (Object.keys(body.metadata).length === 0) {
        page.region.notice("Nothing changed.");
        closed();
        return;
      }
      if (pending?.json !== JSON.stringify(body)) pending = {json: JSON.stringify(body), key: idempotencyKey()};
      page.region.clear();
      try {
        await request("PATCH", `/v1/refunds/${segment(page.refund.id)}`, {body, idempotencyKey: pending.key});
      } catch (problem) {
        if (!(problem instanceof TypeError)) pending = null;  // answered: a retry is another request
        page.region.error(problem);
        return;
      }
      pending = null;
      await load(page);
      page.region.notice("Metadata saved.");
    }},
    editor.node,
    h("div", {class: "actions"}, h("button", {type: "submit"}, "Save metadata"),
      h("button", {type: "button", class: "secondary", onclick: closed}, "Back"))));
    (slot.querySelector("input") ?? slot.querySelector("button")).focus();
  }

  closed();
  return slot;
}

/** The merchant's own keys and values, each as text (they are the merchant's strings, never markup). */
function metadataFacts(metadata) {
  const pairs = Object.entries(metadata ?? {});
  return pairs.length === 0 ? "-" : facts(pairs);
}

function orderSection(refund) {
  const order = refund.order;
  if (!order) return null;
  const cur = order.currency;
  return h("section", {}, h("h2", {}, `Order ${order.number}`),
    table("The order's lines", [
      ["Item", (line) => line.name],
      ["Item id", (line) => line.itemId],
      ["Quantity", (line) => String(line.quantity)],
      ["Unit price", (line) => money(line.unitPrice, cur)],
      ["Discount", (line) => money(line.discount, cur)],
      ["Paid", (line) => money(line.amount, cur)],
      ["Tax", (line) => money(line.tax, cur)],
      ["Already refunded (units)", (line) => String(line.refundedQuantity)],
    ], order.lineItems),
    facts([
      ["Order status", order.status],
      ["Shipping", `${money(order.shipping.price, cur)} + ${money(order.shipping.tax, cur)} tax`],
      ["Items", money(order.totals.items, cur)],
      ["Tax", money(order.totals.tax, cur)],
      ["Total", money(order.totals.total, cur)],
      ["Already refunded", money(order.refundedAmount, cur)],
      ["Left to refund", money(order.refundableAmount, cur)],
    ]));
}

function requestedSection(refund) {
  const cur = refund.currency;
  const names = new Map((refund.order?.lineItems ?? []).map((line) => [line.itemId, line.name]));
  return h("section", {}, h("h2", {}, "Requested"),
    refund.kind === "items" || refund.items.length > 0
      ? table("The requested items", [
        ["Item", (item) => names.get(item.itemId) ?? item.itemId],
        ["Quantity", (item) => String(item.quantity)],
        ["Amount", (item) => money(item.amount, cur)],
        ["Tax", (item) => money(item.tax, cur)],
      ], refund.items)
      : h("p", {}, refund.kind === "full" ? "Everything the order has left." : "An amount, no items."),
    facts([
      ["Shipping", `${money(refund.shipping.amount, cur)} + ${money(refund.shipping.tax, cur)} tax`],
      ["Tax", money(refund.tax, cur)],
      ["Total", money(refund.amount, cur)],
    ]));
}

function returnSection(refund) {
  return h("section", {}, h("h2", {}, "Return"), facts([
    ["Goods come back", refund.refundOnly ? "No (refund only)" : "Yes"],
    ["Tracking", refund.trackingId ?? "-"],
    ["Carrier", refund.carrierName ?? "-"],
  ]));
}

function historySection(refund, events) {
  return h("section", {}, h("h2", {}, "History"),
    h("p", {}, h("a", {href: events}, "This request's events"), " (each as its webhooks carried it)"),
    table("Every action, oldest first", [
      ["When", (entry) => time(entry.at)],
      ["Action", (entry) => entry.action],
      ["Event", (entry) => EVENT_OF_ACTION[entry.action] ?? "-"],
      ["Status", (entry) => entry.status],
      ["Who", (entry) => `${entry.actor} (${entry.role})`],
      ["Reason", (entry) => entry.reason ?? "-"],
    ], refund.history));
}

/** The attempts to deliver the request's events to the merchant's endpoints, newest first. */
function showDeliveries(refund, section) {
  const list = deliveryList({
    path: `/v1/refunds/${segment(refund.id)}/deliveries`,
    caption: "Webhook deliveries of this request's events, newest first",
    empty: "No webhook deliveries: the merchant's endpoints have received none of its events yet.",
    moreLabel: "Show more deliveries", endpoint: true,
    fail: (problem) => replace(section, h("h2", {}, "Webhook deliveries"),
      h("p", {}, `The deliveries of this request cannot be shown: ${describe(problem)}`)),
  });
  section.append(list.node);
}
