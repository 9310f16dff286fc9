// A refund's metadata as rows of a key and a value: the new-request form sets
// it, a request's page changes it. The merchant's own strings, never used in
// a rule; the API's limits are the fields' (20 keys, a key of 1 to 40
// characters, a value of at most 500).

import {field, h} from "../dom.js";

const MAX_KEYS = 20;

/**
 * The rows, filled with `initial`'s keys; `onChange()` runs when a row is
 * added or removed (typing is an input event of the form). Answers
 * {node, read}: read() is {metadata} (key -> value; blank rows left out) or
 * {problem} saying what to fix.
 */
export function metadataEditor(initial, {onChange = () => {}} = {}) {
  const rows = h("div", {class: "meta-rows"});
  const add = h("button", {type: "button", class: "secondary", onclick: () => {
    addRow("", "").focus();
    onChange();
  }}, "Add a key");

  function addRow(key, value) {
    const keyInput = h("input", {name: "metadata-key", maxlength: 40, autocomplete: "off", value: key});
    const valueInput = h("input", {name: "metadata-value", maxlength: 500, autocomplete: "off", value});
    const remove = h("button", {type: "button", class: "secondary", onclick: () => {
      row.remove();
      fitLimit();
      add.focus();
      onChange();
    }}, "Remove");
    const name = () => remove.setAttribute("aria-label", `Remove ${keyInput.value.trim() || "this key"}`);
    keyInput.addEventListener("input", name);
    name();
    const row = h("div", {class: "meta-row"}, field("Key", keyInput), field("Value", valueInput), remove);
    rows.append(row);
    fitLimit();
    return keyInput;
  }

  function fitLimit() {
    add.disabled = rows.children.length >= MAX_KEYS;
  }

  for (const [key, value] of Object.entries(initial ?? {})) addRow(key, value);
  const node = h("fieldset", {class: "metadata"}, h("legend", {}, "Metadata"),
    h("p", {class: "hint"}, `Your own keys and values for your systems: at most ${MAX_KEYS} keys of up to 40 `
      + "characters, each value up to 500."),
    rows, add);
  return {
    node,
    read() {
      const found = new Map();
      for (const row of rows.children) {
        const [keyInput, valueInput] = row.querySelectorAll("input");
        const key = keyInput.value.trim();
        if (!key && !valueInput.value) continue;
        if (!key) return {problem: "Give each metadata value a key."};
        if (found.has(key)) return {problem: `The metadata key ${key} is given twice.`};
        found.set(key, valueInput.value);
      }
      return {metadata: Object.fromEntries(found)};  // own keys only, "__proto__" too
    },
  };
}

/**
 * The PATCH /v1/refunds/{id} metadata that turns `before` into `after`: the
 * keys added or changed with their values, the keys removed as null (the
 * API keeps the keys a change does not name).
 */
export function metadataChanges(before, after) {
  const kept = before ?? {};
  return Object.fromEntries([
    ...Object.entries(after).filter(([key, value]) => !Object.hasOwn(kept, key) || kept[key] !== value),
    ...Object.keys(kept).filter((key) => !Object.hasOwn(after, key)).map((key) => [key, null]),
  ]);
}
