// What every view shares: how an error or a notice is shown.

import {ApiError, SessionExpired} from "../api.js";
import {h, replace} from "../dom.js";

/** A region for messages: role=alert for problems, role=status for news. */
export function messages() {
  const node = h("div", {class: "messages"});
  return {
    node,
    error(problem) {
      if (problem instanceof SessionExpired) return;  // the sign-in form is already back
      replace(node, h("p", {class: "error", role: "alert"}, describe(problem)));
    },
    notice(...text) {
      replace(node, h("p", {class: "notice", role: "status"}, ...text));
    },
    clear() {
      node.replaceChildren();
    },
  };
}

export function describe(problem) {
  if (problem instanceof ApiError) return problem.message;
  if (problem instanceof TypeError) return "The API could not be reached. Check your connection and try again.";
  return String(problem?.message ?? problem);
}

/** Runs fn() and shows its failure in `region`; answers fn()'s result, or undefined when it failed. */
export async function attempt(region, fn) {
  try {
    return await fn();
  } catch (problem) {
    region.error(problem);
    if (!(problem instanceof ApiError || problem instanceof SessionExpired || problem instanceof TypeError)) {
      console.error(problem);
    }
    return undefined;
  }
}
