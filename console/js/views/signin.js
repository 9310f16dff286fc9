// The sign-in form: a login and password for a token (POST /v1/auth/token).

import {request} from "../api.js";
import {field, h} from "../dom.js";
import * as session from "../session.js";
import {attempt, messages} from "./common.js";

export function signInView({message, onSignedIn}) {
  const login = h("input", {name: "login", autocomplete: "username", required: true});
  const password = h("input", {name: "password", type: "password", autocomplete: "current-password", required: true});
  const submit = h("button", {type: "submit"}, "Sign in");
  const region = messages();
  if (message) region.notice(message);

  const form = h("form", {class: "signin", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const answer = await attempt(region, () => request("POST", "/v1/auth/token",
      {body: {login: login.value, password: password.value}}));
    submit.disabled = false;
    if (answer) {
      session.signIn(login.value, answer);
      onSignedIn();
    }
  }}, field("Login", login), field("Password", password), submit);

  return h("section", {class: "signin-page"}, h("h1", {}, "Sign in"), region.node, form);
}
