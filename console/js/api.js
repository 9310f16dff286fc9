// The public API, called with fetch and the signed-in person's token: the
// console has no other access, so the API's rules are the console's rules.

import {apiUrl} from "./config.js";
import * as session from "./session.js";

/** The API refused: its HTTP status and its errors ({error, message}). */
export class ApiError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => e.message).join(" "));
    this.status = status;
    this.errors = errors;
  }

  has(code) {
    return this.errors.some((e) => e.error === code);
  }
}

/** The token was refused (expired, or revoked): the app shows the sign-in form. */
export class SessionExpired extends Error {}

// The codes the console reacts to, named as the catalogue names them (docs/errors.md;
// tests/unit/test_console.py checks both).
export const CODES = Object.freeze({CONFLICT: 109, TRANSITION_NOT_ALLOWED: 15080});

const listeners = new Set();

/** fn(was) runs whenever a call finds the session expired; `was` is whom it acted as (session.who()). */
export function onSessionExpired(fn) {
  listeners.add(fn);
}

/** A key for one decision: a retry of the same decision sends the same key, so it applies once. */
export function idempotencyKey() {
  return `console-${crypto.randomUUID()}`;
}

/**
 * One call: `request("GET", "/v1/refunds", {query: {status: "REQUESTED"}})`.
 * Answers the parsed body (null for 204); throws ApiError, SessionExpired,
 * or TypeError when the network failed.
 */
export async function request(method, path, options = {}) {
  const response = await send(method, path, options);
  return response.status === 204 ? null : await response.json().catch(() => null);
}

/**
 * A file the API answers (GET /v1/refunds/export's CSV) as a Blob, read with
 * the token like every call: the token never goes in a URL. Throws as request().
 */
export async function file(path, {query, accept}) {
  return (await send("GET", path, {query, accept})).blob();
}

/** The call itself: the answer when it is a success, else what request() throws. */
async function send(method, path, {query, body, idempotencyKey: key, accept = "application/json"} = {}) {
  const headers = {Accept: accept};
  const current = session.token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const response = await fetch(apiUrl(path + queryString(query)), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
  });
  if (response.ok) return response;
  if (response.status === 401 && current) {
    // Only if the token refused is still the one kept: a late answer to a call
    // made before a new sign-in must not sign the new session out.
    if (session.token() === current) {
      const was = session.forget();
      for (const fn of listeners) fn(was);
    }
    throw new SessionExpired("Your session has expired. Sign in again.");
  }
  const payload = await response.json().catch(() => null);
  const errors = Array.isArray(payload?.errors) ? payload.errors
    : [{error: 0, message: `The API answered HTTP ${response.status}.`}];
  throw new ApiError(response.status, errors);
}

function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The id part of a path, encoded: an id from a URL never becomes a path of its own. */
export function segment(id) {
  return encodeURIComponent(id);
}
