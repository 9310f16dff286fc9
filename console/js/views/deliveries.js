// Webhook delivery attempts as one table, page by page: a request's (on its
// page) and an endpoint's (the Webhooks pages) are the same rows of the API's.

import {request} from "../api.js";
import {h, replace, table} from "../dom.js";
import {time} from "../format.js";

/**
 * The attempts GET `path` lists (newest first), 50 a page, with a button
 * `moreLabel` shown only once a page says there are more. `endpoint` adds
 * the endpoint's column, `replay(eventId)` a Replay button per row; `fail`
 * shows why a page could not be read. Answers {node, reload}.
 */
export function deliveryList({path, caption, empty, moreLabel = "Show more", endpoint = false, replay = null, fail}) {
  const shown = h("div", {"aria-live": "polite"});
  const more = h("button", {type: "button", class: "secondary", hidden: true}, moreLabel);
  let rows = [];
  let cursor = null;
  let reading = 0;  // only the latest read is shown: a reload wins over a slower "more"

  async function read(next) {
    const mine = ++reading;
    more.disabled = true;
    let answer;
    try {
      answer = await request("GET", path, {query: {limit: 50, cursor: next}});
    } catch (problem) {
      if (mine === reading) fail(problem);
      return;
    } finally {
      if (mine === reading) more.disabled = false;
    }
    if (mine !== reading) return;
    rows = next ? rows.concat(answer.data) : answer.data;
    cursor = answer.nextCursor;
    more.hidden = !cursor;
    replace(shown, table(caption, columns(endpoint, replay), rows, {empty}));
  }

  more.addEventListener("click", () => read(cursor));
  read(null);
  return {node: h("div", {}, shown, more), reload: () => read(null)};
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
