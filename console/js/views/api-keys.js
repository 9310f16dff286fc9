// A merchant's API keys: create one (its key shown once), list, revoke.

import {idempotencyKey, request, segment} from "../api.js";
import {field, h, replace, table} from "../dom.js";
import {time} from "../format.js";
import {attempt, messages} from "./common.js";

export function apiKeysView() {
  const region = messages();
  const list = h("div", {"aria-live": "polite"});
  const created = h("div", {class: "once"});
  const name = h("input", {name: "name", maxlength: 100, autocomplete: "off"});

  async function refresh() {
    const answer = await attempt(region, () => request("GET", "/v1/api-keys"));
    if (!answer) return;
    replace(list, table("Your API keys, oldest first", [
      ["Name", (key) => key.name ?? "-"],
      ["Starts with", (key) => h("code", {}, key.prefix)],
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
    const body = name.value.trim() ? {name: name.value.trim()} : {};
    const answer = await attempt(region, () => request("POST", "/v1/api-keys",
      {body, idempotencyKey: idempotencyKey()}));
    if (!answer) return;
    name.value = "";
    replace(created, h("p", {role: "status"}, "Your new key, shown this once: copy it now."),
      h("p", {}, h("code", {class: "secret"}, answer.data.key)));
    refresh();
  }}, field("Name", name, "Optional: what the key is for."), h("button", {type: "submit"}, "Create key"));

  refresh();
  return {node: h("section", {}, h("h1", {}, "API keys"),
    h("p", {}, "Your systems send a key as X-API-KEY. It acts as you; revoking it stops it at once."),
    region.node, form, created, list)};
}
