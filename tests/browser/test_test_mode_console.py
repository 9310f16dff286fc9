"""Test mode in the console (docs/test-mode.md): signed in in test mode, every
page says so; a merchant moves its test request through support's decisions
from the request's page; live mode does not see it; Sign out forgets the
mode, an expired session offers it again."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TOKEN_KEY, find_order, sign_in, stored_token

pytestmark = [pytest.mark.browser, pytest.mark.server]

BANNER = re.compile(r"^Test mode: test data only\.")


def test_a_merchant_in_test_mode_simulates_support_and_live_mode_sees_nothing(page, console_url, api, merchant):
    api.sign_in(merchant, "a-long-password", mode="test")
    order_id = api.paid_order(mode="test", merchant_id=merchant)
    sign_in(page, console_url, merchant, "a-long-password", mode="test")
    banner = page.get_by_role("banner").get_by_role("status")
    expect(banner).to_have_text(BANNER)
    expect(page).to_have_title("Test mode - Refund console")
    page.get_by_role("link", name="API keys").click()
    expect(banner).to_have_text(BANNER)  # on every page
    expect(page.get_by_label("Test", exact=True)).to_be_checked()  # a new key's mode: the session's

    page.get_by_role("link", name="Requests").click()
    page.get_by_role("button", name="New request").click()
    find_order(page, order_id)
    page.get_by_label("The whole order (everything left)").check()
    page.get_by_label("Email").fill("merchant@example.com")
    expect(page.locator(".preview")).to_contain_text("Previewed amount: 59.50 USD")
    page.get_by_role("button", name="Request refund").click()

    expect(page.locator(".status-line")).to_have_text("Status: REQUESTED")
    refund_id = page.url.rsplit("/", 1)[1]
    # The merchant's own decision, and support's it may simulate: exactly the refund's `simulations`.
    expect(page.locator(".decisions").get_by_role("button")).to_have_text(["Cancel request"])
    simulate = page.get_by_role("group", name="Simulate")
    expect(simulate.get_by_role("button")).to_have_text(["Approve", "Deny"])
    with page.expect_request(lambda sent: sent.method == "POST") as approving:
        simulate.get_by_role("button", name="Approve").click()
    expect(page.locator(".status-line")).to_have_text("Status: PROCESSING")
    expect(simulate.get_by_role("button")).to_have_text(["Deny", "Issue", "Fail"])
    with page.expect_request(lambda sent: sent.method == "POST") as issuing:
        simulate.get_by_role("button", name="Issue").click()
    expect(page.locator(".status-line")).to_have_text("Status: ISSUED")
    expect(page.locator(".messages").get_by_role("status")).to_have_text("Done: the request is now ISSUED.")
    expect(simulate).to_have_count(0)  # nothing left to simulate

    path = f"/v1/test/refunds/{refund_id}/simulate"
    assert [(urlsplit(r.value.url).path, r.value.post_data_json) for r in (approving, issuing)] == [
        (path, {"action": "APPROVE"}), (path, {"action": "ISSUE"})]
    keys = [r.value.headers.get("idempotency-key") for r in (approving, issuing)]
    assert all(keys) and keys[0] != keys[1], keys
    stored = api.request("GET", f"/v1/refunds/{refund_id}", login=merchant, mode="test").body["data"]
    assert (stored["status"], stored["livemode"]) == ("ISSUED", False)
    assert [(e["action"], e["actor"], e["role"]) for e in stored["history"]] == [
        ("CREATE", merchant, "merchant"), ("APPROVE", merchant, "support"), ("ISSUE", merchant, "support")]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Test mode")).not_to_be_checked()
    assert page.evaluate("sessionStorage.length") == 0
    sign_in(page, console_url, merchant, "a-long-password")  # live
    expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("status")).to_have_count(0)
    expect(page).to_have_title("Refund console")
    page.goto(f"{console_url}#/requests/{refund_id}")  # typed into the address bar
    expect(page.get_by_role("heading", name="Request not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Refund not found.")


def test_an_expired_test_session_offers_test_mode_again(page, console_url, runtime):
    sign_in(page, console_url, "support", mode="test")
    expect(page.get_by_role("heading", name="Refund queue")).to_be_visible()
    expired = runtime.token("support", issued_at=time.time() - 2 * 24 * 3600, mode="test")
    page.evaluate("([key, token]) => sessionStorage.setItem(key, token)", [TOKEN_KEY, expired])

    page.get_by_role("button", name="Refresh").click()  # the next call the API refuses (401)

    expect(page.get_by_role("status")).to_have_text("Your session has expired. Sign in again.")
    assert stored_token(page) is None
    expect(page.get_by_label("Test mode")).to_be_checked()
    page.get_by_label("Login").fill("support")
    page.get_by_label("Password").fill("support-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Refund queue")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("status")).to_have_text(BANNER)
