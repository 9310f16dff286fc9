// A merchant's API keys: create one, live or test (its key shown once), list
// them with their mode, revoke one. A live session manages both modes' keys;
// a test session only test keys (the API refuses it the live ones).

import {idempotencyKey, request, segment} from "../api.js";
import {field, h, replace, table} from "../dom.js";
import {time} from "../format.js";
import {attempt, messages} from "./common.js";

export function apiKeysView(who) {
  const region = messages();
  const list = h("div", {"aria-live": "polite"});
  const created = h("div", {class: "once"});
  const name = h("input", {name: "name", maxlength: 100, autocomplete: "off"});
  // The session's mode is the likelier choice; the radio says which one is sent.
  // A test session may not make a live key: it is not offered.
  const testSession = who.mode === "test";
  const mode = (value, text) => h("label", {class: "choice"},
    h("input", {type: "radio", name: "mode", value, checked: (who.mode ?? "live") === value,
      disabled: testSession && value === "live"}), ` ${text}`);
  const modes = h("fieldset", {}, h("legend", {}, "Mode"), mode("live", "Live"), mode("test", "Test"),
    h("p", {class: "hint"}, testSession
      ? "In test mode you make and see test keys (rrk_test_...) only: sign in live for live keys."
      : "A test key (rrk_test_...) reads and writes test data only, a live key live data only."));

  async function refresh() {
    const answer = await attempt(region, () => request("GET", "/v1/api-keys"));
    if (!answer) return;
    replace(list, table("Your API keys, oldest first", [
      ["Name", (key) => key.name ?? "-"],
      ["Starts with", (key) => h("code", {}, key.prefix)],
      ["Mode", (key) => (key.mode === "test" ? "Test" : "Live")],
      ["Created", (key) => time(key.createdAt)],
      ["", (key) => h("button", {type: "button", class: "danger",
        "aria-label": `Revoke ${key.name ?? key.prefix}`, onclick: () => revoke(key)}, "Revoke")],
    ], answer.data, {empty: "No API keys."}));
  }

  async function revoke(key) {
    const done = await attempt(region, () => request("DELETE", `/v1/api-keys/${segment(key.id)}`,
      {idempotencyKey: idempotencyKey()}));
    if (done !== undefined) {
      region.notice(`Revoked ${key.name ?? key.prefix}: it no longer works.`);
      created.replaceChildren();
      refresh();
    }
  }

  const form = h("form", {class: "inline", onsubmit: async (event) => {
    event.preventDefault();
    region.clear();
    const body = {...(name.value.trim() ? {name: name.value.trim()} : {}),
      mode: form.querySelector("input[name=mode]:checked").value};
    const answer = await attempt(region, () => request("POST", "/v1/api-keys",
      {body, idempotencyKey: idempotencyKey()}));
    if (!answer) return;
    name.value = "";
    replace(created, h("p", {role: "status"}, "Your new key, shown this once: copy it now."),
      h("p", {}, h("code", {class: "secret"}, answer.data.key)));
    refresh();
  }}, field("Name", name, "Optional: what the key is for."), modes, h("button", {type: "submit"}, "Create key"));

  refresh();
  return {node: h("section", {}, h("h1", {}, "API keys"),
    h("p", {}, "Your systems send a key as X-API-KEY. It acts as you; revoking it stops it at once."),
    region.node, form, created, list)};
}
