// The events API in the console: a merchant's events of the last 30 days
// (support: one merchant's, named, as the API requires), newest first,
// filtered by type, request and days; an event's page shows the body its
// webhooks carried, as JSON text, so a merchant can reconcile what its
// endpoint missed.

import {ApiError, request, segment} from "../api.js";
import {facts, field, h, replace} from "../dom.js";
import {badge, time} from "../format.js";
import {ENDPOINT_EVENTS, EVENT_OF_ACTION} from "../lifecycle.js";
import {messages} from "./common.js";
import {choice, dayRange, keepInAddress} from "./filters.js";
import {pagedTable} from "./paged.js";

// The Type filter: every type the API keeps, in the lifecycle's order.
const TYPES = [...Object.values(EVENT_OF_ACTION), ...ENDPOINT_EVENTS];

/** The address of the events of `refund` (its page links there). */
export function eventsOf(who, refund) {
  const query = new URLSearchParams({refund: refund.id});
  if (who.role === "support") query.set("merchant", refund.merchantId);
  return `#/events?${query}`;
}

export function eventsView(who, params) {
  const support = who.role === "support";
  const region = messages();
  const results = h("div", {class: "results"});
  const type = choice("type", TYPES, params.get("type"), "Any");
  const refund = h("input", {name: "refund", value: params.get("refund") || "", autocomplete: "off"});
  const merchant = h("input", {name: "merchant", value: params.get("merchant") || "", autocomplete: "off"});
  const days = dayRange(params, "In your time zone; events are kept 30 days.");

  function show() {
    region.clear();
    const chosen = {type: type.value, refund: refund.value.trim(), merchant: support ? merchant.value.trim() : "",
      ...days.days()};
    keepInAddress("/events", chosen);
    if (support && !chosen.merchant) {
      replace(results, h("p", {class: "empty"}, "Name a merchant to see its events."));
      return;
    }
    const list = pagedTable({
      path: "/v1/events", caption: "Events, newest first", empty: "No events match these filters.",
      query: {type: chosen.type || null, refundId: chosen.refund || null, merchantId: chosen.merchant || null,
        ...days.range()},
      columns: columns(who, chosen.merchant), fail: (problem) => region.error(problem),
    });
    replace(results, list.node);
  }

  const form = h("form", {class: "filters", role: "search", "aria-label": "Filters",
    onsubmit: (event) => { event.preventDefault(); show(); }},
    support ? field("Merchant", merchant, "Support reads one merchant's events.") : null,
    field("Type", type),
    field("Request", refund, "A request's id (rf_…)."),
    days.fields,
    h("div", {class: "actions"}, h("button", {type: "submit"}, "Apply filters")));
  show();
  return {node: h("section", {}, h("h1", {}, "Events"),
    h("p", {}, "Every change of a request as its webhooks carried it, kept 30 days: read here what an endpoint "
      + "missed."), form, region.node, results)};
}

function columns(who, merchant) {
  return [
    ["Event", (e) => h("a", {href: eventAddress(e.id, merchant)}, h("code", {class: "id"}, e.id))],
    ["Type", (e) => e.type],
    ["About", (e) => about(who, e)],
    ["Created", (e) => time(e.createdAt)],
  ];
}

function eventAddress(id, merchant) {
  return `#/events/${encodeURIComponent(id)}${merchant ? `?${new URLSearchParams({merchant})}` : ""}`;
}

/** What the event is about: a request (its number and its status after the change) or an endpoint. */
function about(who, event) {
  if (ENDPOINT_EVENTS.includes(event.type)) {
    return who.role === "merchant"
      ? h("a", {href: `#/webhooks/${encodeURIComponent(event.data.id)}`}, `Endpoint ${event.data.id}`)
      : `Endpoint ${event.data.id}`;
  }
  return [h("a", {href: `#/requests/${encodeURIComponent(event.data.id)}`}, event.data.number ?? event.data.id),
    " ", badge(event.data.status)];
}

/** One event: what it is, then its body as its webhooks carried it, pretty-printed as text. */
export function eventView(who, id, params) {
  const merchant = who.role === "support" ? params.get("merchant") || "" : "";
  const region = messages();
  const body = h("div", {"aria-busy": "true"}, h("p", {}, "Loading…"));
  const back = `#/events${merchant ? `?${new URLSearchParams({merchant})}` : ""}`;

  async function load() {
    try {
      const event = (await request("GET", `/v1/events/${segment(id)}`,
        {query: {merchantId: merchant || null}})).data;
      replace(body, h("h1", {}, `Event ${event.id}`),
        facts([["Type", event.type], ["Created", time(event.createdAt)], ["Merchant", event.merchantId],
          ["About", about(who, event)], ["Sequence", event.sequence === undefined ? null : String(event.sequence)]]),
        h("h2", {}, "Payload"),
        h("p", {}, "The body its webhooks carried; its id is their webhook-id header."),
        h("pre", {class: "payload"}, JSON.stringify(event, null, 2)));
    } catch (problem) {
      if (problem instanceof ApiError && problem.status === 404) {
        replace(body, h("h1", {}, "Event not found"), h("p", {role: "alert"}, problem.message));
      } else {
        body.replaceChildren();
        region.error(problem);
      }
    }
    body.setAttribute("aria-busy", "false");
  }

  load();
  return {node: h("section", {}, h("p", {class: "crumbs"}, h("a", {href: back}, "Events")), region.node, body)};
}
