// Days the reader picks (date inputs: "2026-03-08", in the viewer's time
// zone) as the API's times (ISO 8601 in UTC). The API's createdTo is
// exclusive, so "to" a day is the first instant of the day after it.

/**
 * The first instant of `day` ("YYYY-MM-DD") plus `later` days, in the
 * viewer's time zone, as ISO 8601 UTC; null for anything but a valid date.
 * A day is not always 24 hours (daylight saving time): the date is counted
 * in the calendar, never by adding milliseconds.
 */
export function dayStart(day, later = 0) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? "");
  if (!parts) return null;
  const [year, month, date] = parts.slice(1).map(Number);
  // new Date() rolls an impossible date (02-31) over into the next month: that is no date.
  const named = new Date(year, month - 1, date);
  if (named.getFullYear() !== year || named.getMonth() !== month - 1 || named.getDate() !== date) return null;
  return new Date(year, month - 1, date + later).toISOString();
}

/** The API's {createdFrom, createdTo} for the days `from` to `to`, both included; either may be empty. */
export function createdRange(from, to) {
  return {createdFrom: dayStart(from), createdTo: dayStart(to, 1)};
}
