// A merchant's webhook endpoints: register (the secret shown once), list,
// delete, rotate the secret; an endpoint's deliveries, and replaying an event.

import {idempotencyKey, request, segment} from "../api.js";
import {field, h, replace, table} from "../dom.js";
import {time} from "../format.js";
import {EVENT_OF_ACTION} from "../lifecycle.js";
import {attempt, messages} from "./common.js";
import {deliveryList} from "./deliveries.js";

// What an endpoint may subscribe to: every event type, in the lifecycle's order.
const EVENT_TYPES = Object.values(EVENT_OF_ACTION);

export function webhooksView() {
  const region = messages();
  const list = h("div", {"aria-live": "polite"});
  const secret = h("div", {class: "once"});
  const url = h("input", {name: "url", type: "url", required: true, autocomplete: "off"});
  const types = EVENT_TYPES.map((type) => h("input", {type: "checkbox", name: "events", value: type, checked: true}));

  async function refresh() {
    const answer = await attempt(region, () => request("GET", "/v1/webhooks"));
    if (!answer) return;
    replace(list, table("Your webhook endpoints, oldest first", [
      ["URL", (w) => h("a", {href: `#/webhooks/${encodeURIComponent(w.id)}`,
        "aria-label": `Deliveries to ${w.url}`}, w.url)],
      ["Events", (w) => w.events.join(", ")],
      ["Registered", (w) => time(w.createdAt)],
      ["", (w) => h("div", {class: "actions"},
        h("button", {type: "button", class: "secondary", "aria-label": `Rotate the secret of ${w.url}`,
          onclick: () => rotate(w)}, "Rotate secret"),
        h("button", {type: "button", class: "danger", "aria-label": `Delete ${w.url}`,
          onclick: () => remove(w)}, "Delete"))],
    ], answer.data, {empty: "No webhook endpoints."}));
  }

  function showSecret(text, value) {
    replace(secret, h("p", {role: "status"}, text), h("p", {}, h("code", {class: "secret"}, value)));
  }

  async function rotate(w) {
    region.clear();
    const answer = await attempt(region, () => request("POST", `/v1/webhooks/${segment(w.id)}/rotate-secret`,
      {body: {}, idempotencyKey: idempotencyKey()}));
    if (answer) {
      showSecret(`The new secret of ${w.url}, shown this once; the previous one keeps signing until `
        + `${answer.data.previousSecretExpiresAt}.`, answer.data.secret);
    }
  }

  async function remove(w) {
    region.clear();
    const answer = await attempt(region, () => request("DELETE", `/v1/webhooks/${segment(w.id)}`,
      {idempotencyKey: idempotencyKey()}));
    if (answer) {
      region.notice(`Deleted ${w.url}.`);
      secret.replaceChildren();
      refresh();
    }
  }

  const form = h("form", {class: "register", onsubmit: async (event) => {
    event.preventDefault();
    region.clear();
    const events = types.filter((box) => box.checked).map((box) => box.value);
    const answer = await attempt(region, () => request("POST", "/v1/webhooks",
      {body: {url: url.value.trim(), events}, idempotencyKey: idempotencyKey()}));
    if (!answer) return;
    url.value = "";
    showSecret(`Registered ${answer.data.url}. Its signing secret, shown this once: copy it now.`,
      answer.data.secret);
    refresh();
  }},
  field("URL", url, "https only; your endpoint receives each event signed (Standard Webhooks)."),
  h("fieldset", {}, h("legend", {}, "Events"),
    types.map((box) => h("label", {class: "choice"}, box, ` ${box.value}`))),
  h("button", {type: "submit"}, "Register"));

  refresh();
  return {node: h("section", {}, h("h1", {}, "Webhooks"), region.node, h("h2", {}, "Register an endpoint"),
    form, secret, h("h2", {}, "Endpoints"), list)};
}

/** One endpoint's deliveries, newest first, each event with a Replay button. */
export function deliveriesView(who, id) {
  const region = messages();

  async function replay(eventId) {
    region.clear();
    const answer = await attempt(region, () => request("POST", `/v1/webhooks/${segment(id)}/replay`,
      {body: {eventId}, idempotencyKey: idempotencyKey()}));
    if (answer) region.notice(`Event ${eventId} queued again (${answer.data.queued}).`);
  }

  const list = deliveryList({
    path: `/v1/webhooks/${segment(id)}/deliveries`, caption: "Every delivery attempt, newest first",
    empty: "No deliveries yet.", replay, fail: (problem) => region.error(problem),
  });
  return {node: h("section", {},
    h("p", {class: "crumbs"}, h("a", {href: "#/webhooks"}, "Webhooks")),
    h("h1", {}, "Deliveries"), region.node, list.node,
    h("button", {type: "button", class: "secondary", onclick: () => { region.clear(); list.reload(); }},
      "Refresh"))};
}
