"""`make screenshots`: docs/console-queue.png and docs/console-request.png,
the refund console as support sees it, on a local runtime of its own with a
few requests made through the API. Re-run it after changing the console.

Chromium as the browser tests use it (scripts/browser.py); New York time,
US English, so a re-run differs only where the data does (ids, times)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from playwright.sync_api import sync_playwright  # noqa: E402

from localrun.runtime import LocalRuntime  # noqa: E402
from localrun.seed import LOCAL_ACCOUNTS  # noqa: E402
from scripts.browser import launch_chromium  # noqa: E402

PASSWORDS = {account.login: account.password for account in LOCAL_ACCOUNTS}
LINES = [{"itemId": "sku-1", "name": "Trail runner shoes", "quantity": 1, "unitPrice": "120.00", "tax": "9.60"},
         {"itemId": "sku-2", "name": "Merino socks", "quantity": 3, "unitPrice": "14.00", "discount": "2.00",
          "tax": "3.20"}]


class Api:
    def __init__(self, url: str):
        self.url, self.tokens = url, {}

    def call(self, method: str, path: str, body: dict | None = None, login: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if login:
            headers["Authorization"] = f"Bearer {self.token(login)}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,  # noqa: S310 - loopback
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the loopback runtime
            return json.loads(answer.read() or b"null")

    def token(self, login: str) -> str:
        if login not in self.tokens:
            self.tokens[login] = self.call("POST", "/v1/auth/token",
                                           {"login": login, "password": PASSWORDS[login]})["token"]
        return self.tokens[login]

    def request(self, merchant: str, number: str, body: dict, then: tuple[str, ...] = ()) -> dict:
        """A paid order of `merchant` and a request on it, then support's actions."""
        self.call("PUT", f"/v1/orders/{number.lower()}", login="orders-service", body={
            "merchantId": merchant, "number": number, "status": "paid", "currency": "USD",
            "customerId": f"cust-{number[-3:]}", "lineItems": LINES, "shipping": {"price": "8.00", "tax": "0.64"}})
        refund = self.call("POST", f"/v1/order/{number.lower()}/refund", login=merchant,
                           body={"email": "returns@example.com", **body})["data"]
        for action in then:
            refund = self.call("PATCH", f"/v1/refunds/{refund['id']}", {"action": action}, login="support")["data"]
        return refund


class _Receiver(BaseHTTPRequestHandler):
    """A merchant's webhook endpoint that takes every delivery (204)."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


@contextmanager
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--out", type=Path, default=ROOT / "docs")
    out = cli.parse_args().out
    with LocalRuntime(ROOT, port=0, throttling=False) as runtime, receiver() as hooks:
        api = Api(runtime.url)
        webhook = api.call("POST", "/v1/webhooks", {"url": hooks, "events": ["refund.created", "refund.approved"]},
                           login="demo")["data"]
        shown = api.request("demo", "SO-2041", {"items": [{"itemId": "sku-2", "quantity": 2}], "reason": "damaged",
                                                "description": "Two pairs arrived with holes."}, then=("APPROVE",))
        api.request("demo2", "SO-7310", {"description": "Order arrived late, customer asks for all of it.",
                                         "reason": "requested_by_customer"})
        api.request("demo", "SO-2043", {"amount": "15.00", "description": "Goodwill: late delivery."})
        api.request("demo2", "SO-7315", {"items": [{"itemId": "sku-1", "quantity": 1}], "refundOnly": False,
                                                "reason": "wrong_item"},
                    then=("APPROVE",))
        api.request("demo", "SO-2050", {"items": [{"itemId": "sku-1", "quantity": 1}], "refundShipping": True})
        runtime.events.drain(timeout=60)  # the stream, two queues and the deliverer: both events delivered
        if len(api.call("GET", f"/v1/refunds/{shown['id']}/deliveries", login="demo")["data"]) != 2:
            raise SystemExit("the request's two events were not delivered")
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(locale="en-US", timezone_id="America/New_York",
                                    viewport={"width": 1280, "height": 760})
            page.goto(f"{runtime.url}/console/")
            page.get_by_label("Login").fill("support")
            page.get_by_label("Password").fill(PASSWORDS["support"])
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name=shown["number"]).wait_for(timeout=60_000)
            page.locator(".count-list").wait_for(timeout=60_000)
            page.screenshot(path=out / "console-queue.png")
            page.get_by_role("link", name=shown["number"]).click()
            page.get_by_role("button", name="Issue").wait_for(timeout=60_000)
            page.get_by_role("table", name=re.compile("^Webhook deliveries")).wait_for(timeout=60_000)
            page.screenshot(path=out / "console-request.png", full_page=True)
            browser.close()
        api.call("DELETE", f"/v1/webhooks/{webhook['id']}", login="demo")
    print(f"wrote {out / 'console-queue.png'} and {out / 'console-request.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
