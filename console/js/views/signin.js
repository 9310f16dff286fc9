// The sign-in form: a login and password for a token (POST /v1/auth/token),
// in live mode or, with Test mode checked, in test mode (docs/test-mode.md).

import {request} from "../api.js";
import {field, h, uniqueId} from "../dom.js";
import * as session from "../session.js";
import {attempt, messages} from "./common.js";

/** `mode`: the mode to offer checked ("test" after a test session expired); live otherwise. */
export function signInView({message, mode, onSignedIn}) {
  const login = h("input", {name: "login", autocomplete: "username", required: true});
  const password = h("input", {name: "password", type: "password", autocomplete: "current-password", required: true});
  const hint = uniqueId("mode-hint");
  const test = h("input", {type: "checkbox", name: "mode", value: "test", checked: mode === "test",
    "aria-describedby": hint});
  const submit = h("button", {type: "submit"}, "Sign in");
  const region = messages();
  if (message) region.notice(message);

  const form = h("form", {class: "signin", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const body = {login: login.value, password: password.value, ...(test.checked ? {mode: "test"} : {})};
    const answer = await attempt(region, () => request("POST", "/v1/auth/token", {body}));
    submit.disabled = false;
    if (answer) {
      session.signIn(login.value, answer);
      onSignedIn();
    }
  }}, field("Login", login), field("Password", password),
  h("label", {class: "choice"}, test, " Test mode"),
  h("p", {class: "hint", id: hint}, "Test data only: orders, refunds and webhooks of their own, never live ones."),
  submit);

  return h("section", {class: "signin-page"}, h("h1", {}, "Sign in"), region.node, form);
}
