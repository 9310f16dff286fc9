// The signed-in person's token. It lives in sessionStorage: this tab only,
// gone when the tab closes, never in localStorage or a cookie. Nothing else
// in the app keeps a copy: every request reads it here.

const KEY = "refund-console.token";

export function token() {
  return sessionStorage.getItem(KEY);
}

export function signIn(newToken) {
  sessionStorage.setItem(KEY, newToken);
}

/** Forgets the token (Sign out, or the API said it is no longer valid). */
export function forget() {
  sessionStorage.removeItem(KEY);
}

/**
 * Who the token says the caller is: {login, role, merchantId}, or null.
 * Read only to choose what to show; the API checks the token on every call.
 */
export function who() {
  const current = token();
  if (!current) return null;
  try {
    const payload = current.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
    return {login: String(claims.sub), role: String(claims.role), merchantId: claims.mid ?? null};
  } catch {
    return null;
  }
}
