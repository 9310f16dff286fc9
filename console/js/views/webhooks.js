// A merchant's webhook endpoints: register (the secret shown once), list with
// whether each receives its events, enable or disable, edit, send a test
// event, rotate the secret, delete; an endpoint's deliveries, and replaying
// an event.

import {idempotencyKey, request, segment} from "../api.js";
import {facts, field, h, replace, table} from "../dom.js";
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
  const outcome = h("div", {class: "once"});  // a test event's
  const editor = h("div", {});
  const fields = endpointFields();

  async function refresh() {
    const answer = await attempt(region, () => request("GET", "/v1/webhooks"));
    if (!answer) return;
    replace(list, table("Your webhook endpoints, oldest first", [
      ["URL", (w) => h("a", {href: `#/webhooks/${encodeURIComponent(w.id)}`,
        "aria-label": `Deliveries to ${w.url}`}, w.url)],
      ["Description", (w) => w.description ?? "-"],
      ["Events", (w) => w.events.join(", ")],
      ["State", (w) => state(w)],
      ["Registered", (w) => time(w.createdAt)],
      ["", (w) => h("div", {class: "actions"},
        h("button", {type: "button", class: "secondary", "aria-label": `${w.enabled ? "Disable" : "Enable"} ${w.url}`,
          onclick: () => toggle(w)}, w.enabled ? "Disable" : "Enable"),
        h("button", {type: "button", class: "secondary", "aria-label": `Edit ${w.url}`, onclick: () => edit(w)},
          "Edit"),
        h("button", {type: "button", class: "secondary", "aria-label": `Send a test event to ${w.url}`,
          onclick: (event) => ping(w, event.currentTarget)}, "Send test event"),
        h("button", {type: "button", class: "secondary", "aria-label": `Rotate the secret of ${w.url}`,
          onclick: () => rotate(w)}, "Rotate secret"),
        h("button", {type: "button", class: "danger", "aria-label": `Delete ${w.url}`,
          onclick: () => remove(w)}, "Delete"))],
    ], answer.data, {empty: "No webhook endpoints."}));
  }

  /** One PATCH of the endpoint; true when the API took it. */
  async function change(w, body) {
    region.clear();
    const answer = await attempt(region, () => request("PATCH", `/v1/webhooks/${segment(w.id)}`,
      {body, idempotencyKey: idempotencyKey()}));
    if (answer) refresh();
    return Boolean(answer);
  }

  async function toggle(w) {
    if (await change(w, {enabled: !w.enabled})) {
      region.notice(w.enabled ? `Disabled ${w.url}: nothing is delivered to it until you enable it again.`
        : `Enabled ${w.url}: its events are delivered again; replay what it missed from its deliveries.`);
    }
  }

  function edit(w) {
    const shown = endpointFields(w);
    const close = () => editor.replaceChildren();
    replace(editor, h("form", {class: "edit-form", "aria-label": `Edit ${w.url}`, onsubmit: async (event) => {
      event.preventDefault();
      const body = changes(w, shown.values());
      if (Object.keys(body).length === 0) {
        region.notice("Nothing changed.");
        close();
        return;
      }
      if (await change(w, body)) {
        region.notice(`Saved ${body.url ?? w.url}.`);
        close();
      }
    }},
    h("h3", {}, `Edit ${w.url}`), shown.nodes,
    h("div", {class: "actions"}, h("button", {type: "submit"}, "Save"),
      h("button", {type: "button", class: "secondary", onclick: close}, "Back"))));
    shown.url.focus();
  }

  async function ping(w, button) {
    region.clear();
    button.disabled = true;
    replace(outcome, h("p", {role: "status"}, `Sending a test event to ${w.url}…`));
    const answer = await attempt(region, () => request("POST", `/v1/webhooks/${segment(w.id)}/test`,
      {idempotencyKey: idempotencyKey()}));
    button.disabled = false;
    if (!answer) {
      outcome.replaceChildren();
      return;
    }
    const result = answer.data;
    const what = result.statusCode === null ? result.error : `HTTP ${result.statusCode}`;
    replace(outcome,
      h("p", {role: "status"}, `Test event ${result.delivered ? "delivered" : "not delivered"} to ${w.url}: `
        + `${what} in ${result.latencyMs} ms.`),
      facts([["Event", h("code", {class: "id"}, result.eventId)],
        ["HTTP status", result.statusCode === null ? "-" : String(result.statusCode)],
        ["Latency", `${result.latencyMs} ms`],
        ["Error", result.error ?? "-"]]));
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
    const {url, description, events} = fields.values();
    const body = description ? {url, events, description} : {url, events};
    const answer = await attempt(region, () => request("POST", "/v1/webhooks",
      {body, idempotencyKey: idempotencyKey()}));
    if (!answer) return;
    fields.url.value = "";
    fields.description.value = "";
    showSecret(`Registered ${answer.data.url}. Its signing secret, shown this once: copy it now.`,
      answer.data.secret);
    refresh();
  }}, fields.nodes, h("button", {type: "submit"}, "Register"));

  refresh();
  return {node: h("section", {}, h("h1", {}, "Webhooks"), region.node, h("h2", {}, "Register an endpoint"),
    form, secret, h("h2", {}, "Endpoints"), outcome, editor, list)};
}

/** An endpoint's fields as registering and editing both ask them; `endpoint` fills them in. */
function endpointFields(endpoint = {url: "", description: null, events: EVENT_TYPES}) {
  const url = h("input", {name: "url", type: "url", required: true, autocomplete: "off", value: endpoint.url});
  const description = h("input", {name: "description", maxlength: 500, autocomplete: "off",
    value: endpoint.description ?? ""});
  const boxes = EVENT_TYPES.map((type) => h("input", {type: "checkbox", name: "events", value: type,
    checked: endpoint.events.includes(type)}));
  return {
    url, description,
    nodes: [
      field("URL", url, "https only; your endpoint receives each event signed (Standard Webhooks)."),
      field("Description", description, "Optional: your own note."),
      h("fieldset", {}, h("legend", {}, "Events"),
        boxes.map((box) => h("label", {class: "choice"}, box, ` ${box.value}`)))],
    values: () => ({url: url.value.trim(), description: description.value.trim() || null,
      events: boxes.filter((box) => box.checked).map((box) => box.value)}),
  };
}

/** The PATCH body that makes `endpoint` what `wanted` says: only what differs (a new URL is vetted again). */
function changes(endpoint, wanted) {
  const body = {};
  if (wanted.url !== endpoint.url) body.url = wanted.url;
  if (wanted.description !== endpoint.description) body.description = wanted.description;
  if (wanted.events.join() !== EVENT_TYPES.filter((type) => endpoint.events.includes(type)).join()) {
    body.events = wanted.events;
  }
  return body;
}

/** Whether the endpoint receives its events, and if not why (its `disabledReason`), in words. */
function state(w) {
  if (w.enabled) {
    return h("span", {class: "state on"}, "Enabled",
      w.failingSince ? [", failing since ", time(w.failingSince)] : null);
  }
  return h("span", {class: "state off"}, w.disabledReason === "failing"
    ? "Disabled (failing): every delivery failed for 5 days" : "Disabled (merchant): you turned it off");
}

/** One endpoint: what it is, whether it receives its events, and its deliveries, newest first, each with Replay. */
export function deliveriesView(who, id) {
  const region = messages();
  const about = h("div", {});

  async function replay(eventId) {
    region.clear();
    const answer = await attempt(region, () => request("POST", `/v1/webhooks/${segment(id)}/replay`,
      {body: {eventId}, idempotencyKey: idempotencyKey()}));
    if (answer) region.notice(`Event ${eventId} queued again (${answer.data.queued}).`);
  }

  attempt(region, () => request("GET", `/v1/webhooks/${segment(id)}`)).then((answer) => {
    if (!answer) return;
    const w = answer.data;
    replace(about, facts([["URL", w.url], ["Description", w.description ?? "-"], ["Events", w.events.join(", ")],
      ["State", state(w)], ["Registered", time(w.createdAt)]]));
  });
  const list = deliveryList({
    path: `/v1/webhooks/${segment(id)}/deliveries`, caption: "Every delivery attempt, newest first",
    empty: "No deliveries yet.", replay, fail: (problem) => region.error(problem),
  });
  return {node: h("section", {},
    h("p", {class: "crumbs"}, h("a", {href: "#/webhooks"}, "Webhooks")),
    h("h1", {}, "Deliveries"), region.node, about, list.node,
    h("button", {type: "button", class: "secondary", onclick: () => { region.clear(); list.reload(); }},
      "Refresh"))};
}
