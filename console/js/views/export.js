// Download CSV: GET /v1/refunds/export (a merchant's refunds created in a
// range of days) read with the token like every call, then saved from a Blob.
// The token never goes in a URL, so the file cannot be a plain link.

import {file} from "../api.js";
import {h} from "../dom.js";
import {createdRange} from "../dates.js";
import {attempt} from "./common.js";

const KEEP_URL_MS = 60_000;  // the browser reads the Blob's URL after the click returns: revoked once it is done

/**
 * Downloads the refunds created on the days `from` to `to` (both included, in
 * the viewer's time zone): a merchant's own (`who`, the signed-in person), or
 * for support those of `merchant`. Problems, ours or the API's (15300: a
 * range too large for one answer), show in `region`.
 */
export async function downloadCsv(region, who, {merchant, from, to}) {
  region.clear();
  const support = who.role === "support";
  const {createdFrom, createdTo} = createdRange(from, to);
  if (!createdFrom || !createdTo) {
    region.error(new Error("Choose the From and To days of the refunds to download."));
    return;
  }
  if (support && !merchant) {
    region.error(new Error("Name the Merchant whose refunds to download."));
    return;
  }
  const csv = await attempt(region, () => file("/v1/refunds/export",
    {query: {createdFrom, createdTo, merchantId: support ? merchant : null}, accept: "text/csv"}));
  if (!csv) return;
  const name = `refunds-${support ? merchant : who.merchantId}-${from}-to-${to}.csv`;
  save(csv, name);
  region.notice(`Downloaded ${name}.`);
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", {href: url, download: name, hidden: true});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), KEEP_URL_MS);
}
