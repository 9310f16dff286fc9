// The list of requests: support's queue (open requests, oldest first, with
// counts per status) and a merchant's own requests (newest first). Filters
// Status, Merchant (support), Order, Batch, Reason, Decline reason and a range
// of days, all combined; refreshed every REFRESH_MS without a reload; the
// range's refunds downloaded as CSV.

import {request} from "../api.js";
import {field, h, replace, table} from "../dom.js";
import {createdRange} from "../dates.js";
import {badge, money, time} from "../format.js";
import {merged} from "../merge.js";
import {DECLINE_REASONS, OPEN_STATUSES, REFUND_REASONS, STATUSES} from "../lifecycle.js";
import {attempt, messages} from "./common.js";
import {downloadCsv} from "./export.js";
import {choice, dayRange, keepInAddress} from "./filters.js";

const REFRESH_MS = 10_000;
const PAGE = 50;
const MAX_PAGE = 100;  // the API's largest page; a cursor goes with the limit of its page

export function requestsView(who, params) {
  const support = who.role === "support";
  const filters = {
    status: params.get("status") || (support ? "open" : "all"),
    merchant: support ? params.get("merchant") || "" : "",
    order: params.get("order") || "",
    batch: params.get("batch") || "",
    reason: params.get("reason") || "",
    decline: params.get("decline") || "",
    from: params.get("from") || "",
    to: params.get("to") || "",
  };
  const region = messages();
  const exported = messages();  // Download CSV's own: the list's refresh clears the other
  const counts = h("div", {class: "counts"});
  const results = h("div", {class: "results", "aria-live": "polite", "aria-busy": "true"});
  const more = h("button", {type: "button", class: "secondary", hidden: true, onclick: () => list.more()},
    "Show more");
  const list = new MergedList(support ? "oldest" : "newest", results, more, region, support);

  const status = h("select", {name: "status"},
    h("option", {value: "open"}, "Open (REQUESTED, WAITING, PROCESSING)"),
    h("option", {value: "all"}, "All statuses"),
    STATUSES.map((s) => h("option", {value: s}, s)));
  status.value = filters.status;
  const merchant = h("input", {name: "merchant", value: filters.merchant, autocomplete: "off"});
  const order = h("input", {name: "order", value: filters.order, autocomplete: "off"});
  const batch = h("input", {name: "batch", value: filters.batch, autocomplete: "off"});
  const reason = choice("reason", REFUND_REASONS, filters.reason, "Any");
  const decline = choice("declineReason", DECLINE_REASONS, filters.decline, "Any");
  const days = dayRange(params);

  const apply = () => {
    Object.assign(filters, {status: status.value, merchant: merchant.value.trim(), order: order.value.trim(),
      batch: batch.value.trim(), reason: reason.value, decline: decline.value, ...days.days()});
    keepInAddress("/requests", filters);
    refresh();
  };
  const form = h("form", {class: "filters", role: "search", "aria-label": "Filters",
    onsubmit: (event) => { event.preventDefault(); apply(); }},
    field("Status", status, support ? "All statuses needs a merchant or an order." : null),
    support ? field("Merchant", merchant) : null,
    field("Order", order),
    field("Batch", batch),
    field("Reason", reason),
    field("Decline reason", decline, "Only denied requests have one."),
    days.fields,
    h("div", {class: "actions"},
      h("button", {type: "submit"}, "Apply filters"),
      h("button", {type: "button", class: "secondary", onclick: () => refresh()}, "Refresh"),
      h("button", {type: "button", class: "secondary", onclick: () => downloadCsv(exported, who,
        {merchant: merchant.value.trim(), ...days.days()})}, "Download CSV")));
  status.addEventListener("change", apply);

  async function refresh() {
    region.clear();
    await Promise.all([list.load(queries(filters, support)), showCounts(counts, filters.merchant)]);
  }

  refresh();
  // A list the API refused (bad filters) stays as it is until the filters change: its alert is not repeated.
  const timer = setInterval(() => { if (!document.hidden && !list.failed) refresh(); }, REFRESH_MS);

  const node = h("section", {},
    h("div", {class: "title"}, h("h1", {}, support ? "Refund queue" : "Requests"),
      support ? null : h("button", {type: "button", onclick: () => { location.hash = "#/new"; }}, "New request")),
    counts, form, exported.node, region.node, results, more);
  return {node, dispose: () => clearInterval(timer)};
}

/** The API queries the filters make: one per status for "open" (the API filters one status at a time). */
function queries(filters, support) {
  const common = {orderId: filters.order || null, batchId: filters.batch || null,
    merchantId: support ? filters.merchant || null : null, reason: filters.reason || null,
    declineReason: filters.decline || null, ...createdRange(filters.from, filters.to)};
  if (filters.status === "open") return OPEN_STATUSES.map((status) => ({...common, status}));
  if (filters.status === "all") return [common];
  return [{...common, status: filters.status}];
}

/**
 * How many requests wait in each open status (GET /v1/refunds/counts): the
 * merchant's own, or for support every merchant's or the Merchant filter's.
 * Left out when they cannot be read: the list is still right.
 */
async function showCounts(node, merchantId) {
  try {
    const answer = await request("GET", "/v1/refunds/counts", {query: {merchantId: merchantId || null}});
    replace(node, h("h2", {class: "visually-hidden"}, "Open requests per status"),
      h("ul", {class: "count-list", "aria-label": merchantId ? `Open requests of ${merchantId}` : "Open requests"},
        OPEN_STATUSES.filter((status) => answer.data[status]).map((status) => {
          const {count, capped} = answer.data[status];
          return h("li", {}, badge(status), " ", h("span", {class: "count"}, `${count}${capped ? "+" : ""}`));
        })));
  } catch {
    node.replaceChildren();
  }
}

/** Several listings (one per status) shown as one, in order (js/merge.js); "Show more" reads on. */
class MergedList {
  constructor(order, node, moreButton, region, support) {
    Object.assign(this, {order, node, moreButton, region, support, streams: [], generation: 0, failed: false});
  }

  async load(queries) {
    const generation = ++this.generation;  // a slower, older load never overwrites a newer one
    // A refresh reads as far as the reader had read (one page of up to 100), so "Show more" is not undone.
    const read = new Map(this.streams.map((s) => [JSON.stringify(s.query), s.items.length]));
    const streams = queries.map((query) => ({query, items: [], cursor: null, done: false,
      limit: Math.min(MAX_PAGE, Math.max(PAGE, read.get(JSON.stringify(query)) ?? 0))}));
    const loaded = await attempt(this.region, () => Promise.all(streams.map((s) => this.page(s))));
    if (generation !== this.generation) return;
    this.failed = loaded === undefined;
    this.node.setAttribute("aria-busy", "false");
    if (this.failed) {
      this.shown = null;
      this.node.replaceChildren();
      this.moreButton.hidden = true;
      return;
    }
    this.streams = streams;
    this.show();
  }

  async more() {
    const {held} = merged(this.streams, this.order);
    if (!held) return;
    await attempt(this.region, () => this.page(held));
    this.show();
  }

  async page(stream) {
    // A page may be empty and still have a next one (docs/listing.md): read on, a few pages at most.
    for (let read = 0; read < 5; read++) {
      const answer = await request("GET", "/v1/refunds",
        {query: {...stream.query, order: this.order, limit: stream.limit, cursor: stream.cursor}});
      stream.items.push(...answer.data);
      stream.cursor = answer.nextCursor;
      stream.done = !answer.nextCursor;
      if (stream.done || answer.data.length > 0) return;
    }
  }

  show() {
    const {rows, held} = merged(this.streams, this.order);
    this.moreButton.hidden = !held;
    // Unchanged rows are left alone: a refresh never moves the reader's focus for nothing.
    const shown = JSON.stringify(rows);
    if (shown === this.shown) return;
    this.shown = shown;
    replace(this.node, table(`Requests, ${this.order} first`, columns(this.support), rows,
      {empty: "No requests match these filters."}));
  }
}

function columns(support) {
  return [
    ["Number", (r) => h("a", {href: `#/requests/${encodeURIComponent(r.id)}`}, r.number ?? r.id)],
    ["Status", (r) => badge(r.status)],
    support ? ["Merchant", (r) => r.merchantId] : null,
    ["Order", (r) => r.orderId],
    ["Amount", (r) => money(r.amount, r.currency)],
    ["Reason", (r) => r.reason ?? "-"],
    ["Created", (r) => time(r.createdAt)],
  ].filter(Boolean);
}
