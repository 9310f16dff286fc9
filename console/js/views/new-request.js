// A merchant's new request: an order, then its items and quantities (or the
// whole order, or an amount), why (a reason code) and the merchant's
// metadata; the amount it would return comes from
// POST /v1/order/{orderId}/refund/preview before anything is submitted.

import {idempotencyKey, request, segment} from "../api.js";
import {facts, field, h, replace} from "../dom.js";
import {money} from "../format.js";
import {REFUND_REASONS} from "../lifecycle.js";
import {attempt, describe, messages} from "./common.js";
import {choice} from "./filters.js";
import {metadataEditor} from "./metadata.js";

const PREVIEW_AFTER_MS = 300;  // after the last change: typing sends one preview, not one per key

export function newRequestView() {
  const region = messages();
  const orderId = h("input", {name: "order", required: true, autocomplete: "off"});
  const picker = h("div", {class: "picker"});
  const node = h("section", {},
    h("p", {class: "crumbs"}, h("a", {href: "#/requests"}, "Requests")),
    h("h1", {}, "New request"), region.node,
    h("form", {class: "order-form", onsubmit: (event) => { event.preventDefault(); findOrder(); }},
      field("Order", orderId, "The order's id, as your order system sent it."),
      h("button", {type: "submit", class: "secondary"}, "Find order")),
    picker);

  async function findOrder() {
    region.clear();
    picker.replaceChildren();
    const id = orderId.value.trim();
    if (!id) return;
    const answer = await attempt(region, () => request("GET", `/v1/orders/${segment(id)}`));
    if (answer) replace(picker, requestForm(answer.data, region));
  }

  return {node};
}

function requestForm(order, region) {
  const cur = order.currency;
  const quantities = order.lineItems.map((line) => {
    const left = line.quantity - line.refundedQuantity;
    return {line, left, input: h("input", {type: "number", min: 0, max: left, step: 1, value: "0",
      inputmode: "numeric", name: `quantity-${line.itemId}`, disabled: left === 0})};
  });
  const kind = (value, text, checked) => h("label", {class: "choice"},
    h("input", {type: "radio", name: "kind", value, checked}), ` ${text}`);
  const kinds = h("fieldset", {}, h("legend", {}, "What to refund"),
    kind("items", "Items and quantities", true), kind("full", "The whole order (everything left)"),
    kind("amount", "An amount"));
  const amount = h("input", {name: "amount", inputmode: "decimal", autocomplete: "off"});
  const shipping = h("input", {type: "checkbox", name: "refundShipping"});
  const email = h("input", {type: "email", name: "email", required: true, autocomplete: "email"});
  const description = h("textarea", {name: "description", maxlength: 500, rows: 2});
  const goodsBack = h("input", {type: "checkbox", name: "goodsBack"});
  const reason = choice("reason", REFUND_REASONS, "", "None given");
  const metadata = metadataEditor({}, {onChange: () => changed()});
  const preview = h("div", {class: "preview", role: "status", "aria-live": "polite"});
  const submit = h("button", {type: "submit", disabled: true}, "Request refund");
  const itemsPart = h("fieldset", {}, h("legend", {}, "Items (units left to refund)"),
    quantities.map(({line, left, input}) => field(line.name, input,
      `${line.itemId}: ${left} of ${line.quantity} left, ${money(line.amount, cur)} paid for the line`)),
    h("label", {class: "choice"}, shipping, " Also refund the shipping"));
  const amountPart = h("div", {hidden: true}, field("Amount", amount, `In ${cur}, at most ${order.refundableAmount}`));

  let shownBody = null;  // the body the preview on screen is for
  let asked = 0;
  let pending = null;  // the timer of the next preview
  let key = null;

  function body() {
    const chosen = kinds.querySelector("input:checked").value;
    const request = {email: email.value.trim(), refundOnly: !goodsBack.checked};
    if (description.value.trim()) request.description = description.value.trim();
    if (reason.value) request.reason = reason.value;
    const {metadata: pairs} = metadata.read();
    if (Object.keys(pairs).length > 0) request.metadata = pairs;
    if (chosen === "items") {
      request.items = quantities.filter(({input}) => Number(input.value) > 0)
        .map(({line, input}) => ({itemId: line.itemId, quantity: Number(input.value)}));
      if (request.items.length === 0) return null;
      if (shipping.checked) request.refundShipping = true;
    } else if (chosen === "amount") {
      if (!amount.value.trim()) return null;
      request.amount = amount.value.trim();
    }
    return request;
  }

  // What is on screen changed: nothing may be submitted until a preview of it answers, asked once
  // typing pauses (each call counts against the API's rate limit, which every caller shares).
  function changed() {
    const chosen = kinds.querySelector("input:checked").value;
    itemsPart.hidden = chosen !== "items";
    amountPart.hidden = chosen !== "amount";
    submit.disabled = true;
    shownBody = null;
    key = null;  // another request: another key (a key names one request)
    asked += 1;  // an answer still on its way is for what was on screen before
    clearTimeout(pending);
    const {problem} = metadata.read();
    if (problem) {
      replace(preview, h("p", {class: "error"}, problem));
      return;
    }
    const wanted = body();
    if (!wanted || !email.validity.valid || !wanted.email) {
      replace(preview, h("p", {}, "Choose what to refund and give an email to see the amount."));
      return;
    }
    replace(preview, h("p", {}, "Previewing…"));
    pending = setTimeout(() => showPreview(wanted), PREVIEW_AFTER_MS);
  }

  async function showPreview(wanted) {
    const mine = ++asked;  // only the latest question's answer is shown
    try {
      const answer = await request("POST", `/v1/order/${segment(order.id)}/refund/preview`, {body: wanted});
      if (mine !== asked) return;
      const p = answer.data;
      shownBody = wanted;
      submit.disabled = false;
      replace(preview, h("p", {class: "amount"}, "Previewed amount: ", h("strong", {}, money(p.amount, p.currency))),
        facts([["Tax included", money(p.tax, p.currency)],
          ["Shipping", money(p.shipping.amount, p.currency)],
          ["Left on the order after it", money(p.remainingAfter.total, p.currency)]]));
    } catch (problem) {
      if (mine !== asked) return;
      replace(preview, h("p", {class: "error"}, describe(problem)));
    }
  }

  const form = h("form", {class: "request-form", oninput: changed,
    onsubmit: async (event) => {
      event.preventDefault();
      if (!shownBody) return;
      key = key ?? idempotencyKey();  // one key for this request, however often it is retried
      submit.disabled = true;
      const answer = await attempt(region, () => request("POST", `/v1/order/${segment(order.id)}/refund`,
        {body: shownBody, idempotencyKey: key}));
      submit.disabled = false;
      if (answer) location.hash = `#/requests/${encodeURIComponent(answer.data.id)}`;
    }},
  h("h2", {}, `Order ${order.number}`),
  facts([["Total", money(order.totals.total, cur)], ["Already refunded", money(order.refundedAmount, cur)],
    ["Left to refund", money(order.refundableAmount, cur)]]),
  kinds, itemsPart, amountPart,
  field("Email", email, "Where the customer's refund news goes."),
  field("Description", description),
  field("Reason", reason, "Why the refund is asked for: a code your reports can count."),
  metadata.node,
  h("label", {class: "choice"}, goodsBack, " The goods come back (a return)"),
  preview, submit);
  changed();
  return form;
}
