// The signed-in person's token, and whom it acts as (the token answer's
// login, role, merchantId and mode). Both live in sessionStorage: this tab
// only, gone when the tab closes, never in localStorage or a cookie. Nothing
// else in the app keeps a copy: every request reads the token here.

const TOKEN = "refund-console.token";
const WHO = "refund-console.who";

export function token() {
  return sessionStorage.getItem(TOKEN);
}

/** Keeps the answer of POST /v1/auth/token for `login`. */
export function signIn(login, answer) {
  sessionStorage.setItem(TOKEN, answer.token);
  sessionStorage.setItem(WHO, JSON.stringify({login, role: answer.role, merchantId: answer.merchantId ?? null,
    mode: answer.mode === "test" ? "test" : "live"}));
}

/**
 * Forgets the token and whom it acted as (Sign out, or the API said it is no
 * longer valid); answers what it forgot, so an expired session's sign-in form
 * can offer the same mode again.
 */
export function forget() {
  const was = who();
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(WHO);
  return was;
}

/**
 * Whom the token acts as: {login, role, merchantId, mode}, or null when signed
 * out. Only chooses the pages to show (and the test-mode banner); the API
 * checks the token on every call, and the token carries the mode.
 */
export function who() {
  if (!token()) return null;
  try {
    const kept = JSON.parse(sessionStorage.getItem(WHO));
    return typeof kept?.role === "string" ? kept : null;
  } catch {
    return null;
  }
}
