"""The refund console in a real browser: Playwright for Python driving
Chromium (scripts/browser.py: Debian's, else Playwright's own) against the
local runtime `make run` serves, the console at <runtime>/console/.

No browser is a failure that says how to install one, never a skip. Each
test gets a fresh browser context (its own sessionStorage), in US English on
New York time, so what the page shows does not depend on the machine."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from scripts.browser import BrowserMissing, launch_chromium
from tests.conftest import PASSWORDS, Client

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
TOKEN_KEY = "refund-console.token"  # console/js/session.js
TIMEZONE = "America/New_York"
# A first call of a route starts its function's worker (a cold start): seconds on a busy machine.
TIMEOUT_MS = 30_000


# Per module, not per session: Playwright's sync API runs an asyncio event loop
# while it is open, and other test files on the same worker run asyncio code
# of their own (Powertools' batch processing), which a running loop breaks.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            launched = launch_chromium(playwright)
        except BrowserMissing as missing:
            pytest.fail(str(missing), pytrace=False)
        expect.set_options(timeout=TIMEOUT_MS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def console_url(runtime, api) -> str:
    warm_up(runtime, api)
    return f"{runtime.url}/console/"


def warm_up(runtime, api: Client) -> None:
    """One call to each route the console calls, before any test: their
    functions' first workers start here (a cold start takes seconds on a busy
    machine), not within a test's wait for what the page shows. The webhook
    deliverer too: an endpoint of demo's (where nothing listens) gets one
    event, then is deleted."""
    endpoint = api.request("POST", "/v1/webhooks", login="demo",
                           json_body={"url": unused_loopback_url(), "events": ["refund.created"]})
    assert endpoint.status == 201, endpoint
    refund = open_request(api)
    hook = f"/v1/webhooks/{endpoint.body['data']['id']}"
    today = datetime.now(UTC).date()
    day = f"createdFrom={today}T00:00:00Z&createdTo={today + timedelta(days=1)}T00:00:00Z"
    calls = [("GET", "/v1/refunds?status=REQUESTED&order=oldest", "support"),
             ("GET", "/v1/refunds/counts", "support"),
             ("GET", f"/v1/refunds/{refund['id']}?expand=order", "support"),
             ("GET", f"/v1/refunds/{refund['id']}/deliveries", "support"),
             ("GET", f"/v1/orders/{refund['orderId']}", "demo"),
             ("POST", f"/v1/order/{refund['orderId']}/refund/preview", "demo", {"email": "merchant@example.com"}),
             ("PATCH", f"/v1/refunds/{refund['id']}", "support", {"action": "APPROVE"}),
             ("DELETE", f"/v1/refunds/{refund['id']}", "demo"),
             ("GET", "/v1/api-keys", "demo"), ("GET", "/v1/webhooks", "demo"),
             ("GET", f"/v1/events?refundId={refund['id']}", "demo"),
             ("GET", f"/v1/events/evt_{'0' * 26}", "demo"),  # none such (404): its function starts all the same
             ("GET", f"/v1/refunds/export?{day}", "demo"),
             ("GET", hook, "demo"), ("PATCH", hook, "demo", {"description": "warm-up"}),
             ("POST", f"{hook}/test", "demo"),
             # A refund that does not exist (404): in test mode, where the route is, its function starts.
             ("POST", f"/v1/test/refunds/rf_{'0' * 26}/simulate", "demo", {"action": "APPROVE"}, "test")]
    for method, path, login, *rest in calls:
        body, mode = rest[0] if rest else None, rest[1] if len(rest) > 1 else "live"
        for _ in range(3):  # a worker that took too long to start is a 502: the next one is warm
            answer = api.request(method, path, login=login, json_body=body, mode=mode)
            if answer.status != 502:
                break
        assert answer.status < 500, (method, path, answer)
    # The stream, two queues and the deliverer are in between: drained once the first attempt is recorded
    # (its retry waits, invisible, on the schedule).
    runtime.events.drain(timeout=TIMEOUT_MS / 1000 * 2)
    assert api.request("GET", f"/v1/refunds/{refund['id']}/deliveries", login="demo").body["data"]
    api.request("DELETE", f"/v1/webhooks/{endpoint.body['data']['id']}", login="demo")


def unused_loopback_url() -> str:
    """A webhook URL where nothing listens: its deliveries fail, are recorded, and are retried."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/hooks"


class Watched:
    """What a page did that no test expects: CSP violations, uncaught errors, dialogs."""

    def __init__(self):
        self.problems: list[str] = []
        self.dialogs: list[str] = []


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(locale="en-US", timezone_id=TIMEZONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def watch(page: Page) -> Watched:
    watched = Watched()
    page.on("console", lambda message: "Content Security Policy" in message.text
            and watched.problems.append(f"CSP: {message.text}"))
    page.on("pageerror", lambda error: watched.problems.append(f"uncaught: {error}"))

    def dialog(shown) -> None:
        watched.dialogs.append(shown.message)
        shown.dismiss()
    page.on("dialog", dialog)
    return watched


@pytest.fixture
def merchant(admin, api) -> str:
    """A fresh merchant (no other test's requests, events or endpoints), and its login of the same name
    (password `a-long-password`), which `api` can act as."""
    merchant_id = f"m-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(merchant_id, "a-long-password", admin.Role.MERCHANT, merchant_id)
    api.sign_in(merchant_id, "a-long-password")
    return merchant_id


@pytest.fixture
def context(browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Iterator[Page]:
    """A page of its own context; the test fails if it broke the CSP, threw, or opened a dialog."""
    page = context.new_page()
    watched = watch(page)
    yield page
    assert not watched.problems, watched.problems
    assert not watched.dialogs, f"the page opened dialogs: {watched.dialogs}"


def sign_in(page: Page, console_url: str, login: str, password: str | None = None, mode: str = "live") -> None:
    page.goto(console_url)
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password or PASSWORDS[login])
    page.get_by_label("Test mode").set_checked(mode == "test")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def find_order(page: Page, order_id: str) -> None:
    """On the new-request form: look the order up, as a merchant types it."""
    page.get_by_label("Order", exact=True).fill(order_id)
    page.get_by_role("button", name="Find order").click()


def open_request(api: Client, login: str = "demo", merchant_id: str = "demo", **body) -> dict:
    """A fresh paid order of the merchant's and a request on it (the API's answer's data)."""
    order_id = api.paid_order(merchant_id=merchant_id, number=f"SO-{uuid.uuid4().hex[:6].upper()}")
    answer = api.request("POST", f"/v1/order/{order_id}/refund", login=login,
                         json_body={"email": "merchant@example.com", **body})
    assert answer.status == 200, answer
    return answer.body["data"]


def utc_start(day: date) -> str:
    """The first instant of `day` in the tests' time zone, as the console sends it (ISO 8601 in UTC)."""
    start = datetime.combine(day, datetime.min.time(), ZoneInfo(TIMEZONE)).astimezone(UTC)
    return f"{start:%Y-%m-%dT%H:%M:%S}.000Z"


def stored_token(page: Page) -> str | None:
    return page.evaluate("key => sessionStorage.getItem(key)", TOKEN_KEY)
