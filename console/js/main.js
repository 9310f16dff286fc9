// The console's entry point: the sign-in form or the signed-in shell, and the
// hash router (#/requests, #/requests/<id>, #/new, #/events, #/events/<id>,
// #/api-keys, #/webhooks):
// hash routes need no server rewrite rules, so any static host serves them.

import {onSessionExpired} from "./api.js";
import {loadConfig} from "./config.js";
import {h, replace} from "./dom.js";
import * as session from "./session.js";
import {apiKeysView} from "./views/api-keys.js";
import {eventView, eventsView} from "./views/events.js";
import {newRequestView} from "./views/new-request.js";
import {requestView} from "./views/request.js";
import {requestsView} from "./views/requests.js";
import {signInView} from "./views/signin.js";
import {deliveriesView, webhooksView} from "./views/webhooks.js";

const main = document.getElementById("main");
const top = document.getElementById("top");
let disposeView = () => {};

const ROUTES = [
  [/^\/requests\/([^/]+)$/, (who, [id]) => requestView(who, id)],
  [/^\/requests$/, (who, _, params) => requestsView(who, params)],
  [/^\/new$/, (who) => newRequestView(who), "merchant"],
  [/^\/events\/([^/]+)$/, (who, [id], params) => eventView(who, id, params)],
  [/^\/events$/, (who, _, params) => eventsView(who, params)],
  [/^\/api-keys$/, (who) => apiKeysView(who), "merchant"],
  [/^\/webhooks\/([^/]+)$/, (who, [id]) => deliveriesView(who, id), "merchant"],
  [/^\/webhooks$/, (who) => webhooksView(who), "merchant"],
];

function currentRoute() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  return {path: path || "/requests", params: new URLSearchParams(query)};
}

/**
 * Shows what the hash names, or the sign-in form when nobody is signed in
 * (offering `mode` checked: the mode of a session that just expired).
 */
function render({message, mode} = {}) {
  disposeView();
  disposeView = () => {};
  const who = session.who();
  document.title = who?.mode === "test" ? "Test mode - Refund console" : "Refund console";
  if (!who) {
    replace(top, h("p", {class: "brand"}, "Refund console"));
    replace(main, signInView({message, mode, onSignedIn: () => render()}));
    return;
  }
  renderShell(who);
  if (who.role !== "support" && who.role !== "merchant") {
    replace(main, h("h1", {}, "Not for this account"),
      h("p", {}, `The console is for support operators and merchants; a ${who.role} account uses the API.`));
    return;
  }
  const {path, params} = currentRoute();
  for (const [pattern, view, role] of ROUTES) {
    const match = pattern.exec(path);
    const ids = match && decoded(match.slice(1));
    if (ids && (!role || role === who.role)) {
      const shown = view(who, ids, params);
      disposeView = shown.dispose ?? (() => {});
      replace(main, shown.node);
      return;
    }
  }
  replace(main, h("h1", {}, "Not found"), h("p", {}, "There is no such page. ",
    h("a", {href: "#/requests"}, "Back to the requests")));
}

/** The ids an address names, decoded; null when one is not valid percent-encoding (a mistyped address). */
function decoded(parts) {
  try {
    return parts.map(decodeURIComponent);
  } catch {
    return null;
  }
}

function renderShell(who) {
  const links = [["#/requests", "Requests"], ["#/events", "Events"]];
  if (who.role === "merchant") links.push(["#/api-keys", "API keys"], ["#/webhooks", "Webhooks"]);
  const here = `#${currentRoute().path}`;
  replace(top,
    who.mode === "test" ? testModeBanner() : null,
    h("p", {class: "brand"}, "Refund console"),
    h("nav", {"aria-label": "Main"}, h("ul", {}, links.map(([href, text]) => h("li", {},
      h("a", {href, "aria-current": here.startsWith(href) ? "page" : null}, text))))),
    h("p", {class: "who"}, `Signed in as ${who.login} (${who.role}${who.merchantId ? `, ${who.merchantId}` : ""})`),
    h("button", {type: "button", class: "secondary", onclick: signOut}, "Sign out"));
}

/** On every page of a test session: said in words (not by a colour alone), in a status role. */
function testModeBanner() {
  return h("p", {class: "mode-banner", role: "status"}, h("strong", {}, "Test mode"),
    ": test data only. Nothing here touches live orders, refunds or webhooks.");
}

function signOut() {
  session.forget();
  history.replaceState(null, "", location.pathname);
  render({message: "You are signed out."});
}

onSessionExpired((was) => render({message: "Your session has expired. Sign in again.", mode: was?.mode}));
window.addEventListener("hashchange", () => {
  render();
  main.focus({preventScroll: true});
});

await loadConfig();
render();
