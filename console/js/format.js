// How values from the API are shown: money exactly as the API sends it, with
// its currency; times in the viewer's time zone, the UTC value on hover.

/** "59.50 USD": the decimal string untouched (the API is exact to the minor unit). */
export function money(amount, currency) {
  if (amount === null || amount === undefined) return "-";
  return `${amount} ${currency ?? ""}`.trim();
}

const local = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "medium"});

/** A <time> element: local time as text, the UTC time in its title (shown on hover). */
export function time(iso) {
  if (!iso) return "-";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  const element = document.createElement("time");
  element.dateTime = iso;
  element.title = `${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "")} UTC`;
  element.textContent = local.format(when);
  return element;
}

/** A status as text in a badge. */
export function badge(status) {
  const element = document.createElement("span");
  element.className = `badge status-${String(status).toLowerCase()}`;
  element.textContent = status;
  return element;
}
