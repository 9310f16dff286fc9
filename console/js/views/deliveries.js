// Webhook delivery attempts as one table, page by page: a request's (on its
// page) and an endpoint's (the Webhooks pages) are the same rows of the API's.

import {h} from "../dom.js";
import {time} from "../format.js";
import {pagedTable} from "./paged.js";

/**
 * The attempts GET `path` lists (newest first), page by page (views/paged.js).
 * `endpoint` adds the endpoint's column, `replay(eventId)` a Replay button per
 * row; `fail` shows why a page could not be read. Answers {node, reload}.
 */
export function deliveryList({path, caption, empty, moreLabel = "Show more", endpoint = false, replay = null, fail}) {
  return pagedTable({path, caption, empty, moreLabel, fail, columns: columns(endpoint, replay)});
}

function columns(endpoint, replay) {
  return [
    ["Event", (d) => h("code", {class: "id"}, d.eventId)],
    ["Type", (d) => d.eventType],
    endpoint ? ["Endpoint", (d) => h("code", {class: "id"}, d.webhookId)] : null,
    ["Outcome", (d) => d.outcome],
    ["HTTP status", (d) => (d.statusCode === null ? "-" : String(d.statusCode))],
    ["Attempt", (d) => String(d.attempt)],
    ["At", (d) => time(d.at)],
    ["Replayed", (d) => (d.replay ? "yes" : "no")],
    ["Error", (d) => d.error ?? "-"],
    replay ? ["", (d) => h("button", {type: "button", class: "secondary", "aria-label": `Replay ${d.eventId}`,
      onclick: () => replay(d.eventId)}, "Replay")] : null,
  ].filter(Boolean);
}
