// Builds the page from DOM nodes. Every value goes in as a Text node or an
// attribute value, never as markup: nothing here parses HTML, so a refund's
// description "<img src=x onerror=alert(1)>" shows as those characters.

/** h("a", {href: "#/x", class: "link"}, "text", otherNode): an element. `on<event>` props take functions. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) {
      if (typeof value !== "function") throw new TypeError(`${name} takes a function`);
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "value" || name === "checked") {
      element[name] = value;  // the live property, not only the default
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  return element;
}

/** Appends children: nodes as they are, anything else as text. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** Empties an element and fills it again. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, ...children);
}

/** A labelled field: <label for=id>text</label> then the control. */
export function field(labelText, control, hint) {
  const id = control.id || uniqueId("field");
  control.id = id;
  const parts = [h("label", {for: id}, labelText), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("span", {class: "hint", id: hintId}, hint));
  }
  return h("div", {class: "field"}, parts);
}

let counter = 0;
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A table of rows: columns are [header, (row) => cell content]. */
export function table(caption, columns, rows, {empty = "Nothing to show."} = {}) {
  if (rows.length === 0) return h("p", {class: "empty"}, empty);
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", {scope: "col"}, title)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row)))))));
}

/** A description list of [term, details] pairs; details null are left out. */
export function facts(pairs) {
  return h("dl", {class: "facts"},
    pairs.filter(([, details]) => details !== null && details !== undefined)
      .map(([term, details]) => [h("dt", {}, term), h("dd", {}, details)]));
}
