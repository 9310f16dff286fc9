// Where the API is: config.json's apiBaseUrl, which the deployment writes
// beside the app. Without it (make run serves the app on the API's own
// origin) the API is on this origin.

let apiBaseUrl = "";

export async function loadConfig() {
  try {
    const response = await fetch("config.json", {cache: "no-store", credentials: "omit"});
    if (response.ok) {
      const config = await response.json();
      if (typeof config.apiBaseUrl === "string") apiBaseUrl = config.apiBaseUrl.replace(/\/+$/, "");
    }
  } catch {
    // No config.json: the same origin.
  }
}

export function apiUrl(path) {
  return `${apiBaseUrl}${path}`;
}
