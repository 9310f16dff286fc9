// The signed-in person's token, and whom it acts as (the token answer's
// login, role and merchantId). Both live in sessionStorage: this tab only,
// gone when the tab closes, never in localStorage or a cookie. Nothing else
// in the app keeps a copy: every request reads the token here.

const TOKEN = "refund-console.token";
const WHO = "refund-console.who";

export function token() {
  return sessionStorage.getItem(TOKEN);
}

/** Keeps the answer of POST /v1/auth/token for `login`. */
export function signIn(login, answer) {
  sessionStorage.setItem(TOKEN, answer.token);
  sessionStorage.setItem(WHO, JSON.stringify({login, role: answer.role, merchantId: answer.merchantId ?? null}));
}

/** Forgets the token (Sign out, or the API said it is no longer valid). */
export function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(WHO);
}

/**
 * Whom the token acts as: {login, role, merchantId}, or null when signed out.
 * Only chooses the pages to show; the API checks the token on every call.
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
