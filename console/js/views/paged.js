// A list the API answers page by page (`nextCursor`), as one table read on
// with "Show more": webhook deliveries (a request's, an endpoint's) and events.

import {request} from "../api.js";
import {h, replace, table} from "../dom.js";

/**
 * What GET `path` with `query` lists, in the API's order, 50 a page, as a
 * table of `columns`; a button `moreLabel` shown only once a page says
 * there are more; `fail` shows why a page could not be read. Answers
 * {node, reload}.
 */
export function pagedTable({path, query = {}, caption, columns, empty, moreLabel = "Show more", fail}) {
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
      answer = await request("GET", path, {query: {...query, limit: 50, cursor: next}});
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
    replace(shown, table(caption, columns, rows, {empty}));
  }

  more.addEventListener("click", () => read(cursor));
  read(null);
  return {node: h("div", {}, shown, more), reload: () => read(null)};
}
