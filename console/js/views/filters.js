// The pieces of a list's filters the requests and events pages share: a
// choice among the API's codes, a range of days, and the filters kept in the
// address (a reload, or a link, shows the same list).

import {field, h} from "../dom.js";
import {createdRange} from "../dates.js";

/** A select of `values` (the API's codes, shown as they are) after an option "" saying `any`. */
export function choice(name, values, current, any) {
  const select = h("select", {name}, h("option", {value: ""}, any), values.map((value) => h("option", {value}, value)));
  select.value = values.includes(current) ? current : "";
  return select;
}

/**
 * From and To: date inputs, days in the viewer's time zone, both included
 * (`params` from and to: the address's). Answers {fields, days(), range()}:
 * range() is the API's createdFrom/createdTo (ISO 8601 UTC, js/dates.js).
 */
export function dayRange(params, hint = "Days in your time zone, both included.") {
  const from = h("input", {type: "date", name: "from", value: params.get("from") || ""});
  const to = h("input", {type: "date", name: "to", value: params.get("to") || ""});
  return {
    fields: [field("From", from, hint), field("To", to)],
    days: () => ({from: from.value, to: to.value}),
    range: () => createdRange(from.value, to.value),
  };
}

/** Keeps `filters` (name -> text; empty ones left out) in the address of `path`, without a new history entry. */
export function keepInAddress(path, filters) {
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value)).toString();
  history.replaceState(null, "", `#${path}${query ? `?${query}` : ""}`);
}
