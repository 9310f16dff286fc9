"""Merchants in the console: a partial request with the item picker and its
previewed amount, cancelled; another merchant's requests stay invisible; a
value from the API is always text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_request, sign_in
from tests.conftest import sample_order

pytestmark = [pytest.mark.browser, pytest.mark.server]

XSS = "<img src=x onerror=alert(1)>"


def test_a_merchant_requests_part_of_an_order_sees_the_preview_then_cancels(page, console_url, api):
    order_id = f"console-{uuid.uuid4().hex[:10]}"
    order = sample_order(number="SO-3001", lineItems=[
        {"itemId": "sku-1", "name": "Widget", "quantity": 2, "unitPrice": "25.00", "discount": "5.00", "tax": "4.50"},
        {"itemId": "sku-2", "name": "Socks", "quantity": 3, "unitPrice": "10.00", "tax": "2.00"}])
    assert api.request("PUT", f"/v1/orders/{order_id}", json_body=order, login="orders-service").status == 200
    sign_in(page, console_url, "demo")

    page.get_by_role("button", name="New request").click()
    page.get_by_label("Order", exact=True).fill(order_id)
    page.get_by_role("button", name="Find order").click()
    page.get_by_label("Socks").fill("1")
    page.get_by_label("Email").fill("merchant@example.com")
    # One pair of socks: 10.00 and a third of the line's 2.00 tax, as /refund/preview computes it.
    expect(page.get_by_role("status")).to_contain_text("Previewed amount: 10.67 USD")
    page.get_by_label("Widget").fill("1")
    expect(page.get_by_role("status")).to_contain_text("Previewed amount: 35.42 USD")
    page.get_by_role("button", name="Request refund").click()

    expect(page.locator(".status-line")).to_have_text("Status: REQUESTED")
    refund_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("table", name="The requested items")).to_contain_text("Socks")
    expect(page.locator(".decisions").get_by_role("button")).to_have_text(["Cancel request"])
    page.get_by_role("button", name="Cancel request").click()
    expect(page.locator(".status-line")).to_have_text("Status: CANCELLED")

    stored = api.request("GET", f"/v1/refunds/{refund_id}", login="demo").body["data"]
    assert (stored["status"], stored["kind"], stored["amount"]) == ("CANCELLED", "items", "35.42")
    assert stored["items"] == [{"itemId": "sku-1", "quantity": 1, "amount": "22.50", "tax": "2.25"},
                               {"itemId": "sku-2", "quantity": 1, "amount": "10.00", "tax": "0.67"}]


def test_typing_asks_for_one_preview_once_it_pauses_not_one_per_keystroke(page, console_url, api):
    """Every API call shares the stage's rate limit with every caller: a description typed key by key
    must not send a preview per key. The page's clock is stopped while typing, then moved on."""
    order_id = api.paid_order()
    previews: list[dict] = []
    page.on("request", lambda sent: sent.method == "POST" and sent.url.endswith("/refund/preview")
            and previews.append(sent.post_data_json))
    page.clock.install()
    sign_in(page, console_url, "demo")
    page.goto(f"{console_url}#/new")
    page.get_by_label("Order", exact=True).fill(order_id)
    page.get_by_role("button", name="Find order").click()
    page.get_by_label("Widget").fill("1")
    page.get_by_label("Email").fill("merchant@example.com")
    expect(page.get_by_role("status")).to_contain_text("Previewed amount: 24.75 USD")

    page.clock.pause_at(datetime.now(UTC) + timedelta(minutes=1))
    before = len(previews)
    page.get_by_label("Description").press_sequentially("The socks have holes")
    expect(page.get_by_role("status")).to_have_text("Previewing…")
    expect(page.get_by_role("button", name="Request refund")).to_be_disabled()
    page.clock.run_for(1000)
    expect(page.get_by_role("status")).to_contain_text("Previewed amount: 24.75 USD")
    assert [body.get("description") for body in previews[before:]] == ["The socks have holes"]


def test_a_merchant_sees_none_of_another_merchants_requests_even_by_url(page, console_url, api):
    theirs = open_request(api)  # demo's
    sign_in(page, console_url, "demo2")
    expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
    expect(page.locator(".results")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("link", name=theirs["number"])).to_have_count(0)

    page.get_by_label("Order", exact=True).fill(theirs["orderId"])
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No requests match these filters.")).to_be_visible()

    page.goto(f"{console_url}#/requests/{theirs['id']}")  # typed into the address bar
    expect(page.get_by_role("heading", name="Request not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Refund not found.")
    expect(page.get_by_role("main")).not_to_contain_text(theirs["orderId"])

    page.goto(f"{console_url}#/new")
    page.get_by_label("Order", exact=True).fill(theirs["orderId"])
    page.get_by_role("button", name="Find order").click()
    expect(page.get_by_role("alert")).to_have_text("Order refund is impossible. Order not found.")


def test_a_value_from_the_api_shows_as_text_never_as_markup(page, console_url, api):
    refund = open_request(api, description=XSS)
    sign_in(page, console_url, "demo")
    page.goto(f"{console_url}#/requests/{refund['id']}")

    expect(page.get_by_text(XSS, exact=True)).to_be_visible()
    expect(page.locator("main img")).to_have_count(0)
    # The page fixture fails the test if alert(1) opened a dialog.


def test_an_address_that_names_no_page_says_so(page, console_url):
    """A mistyped address (a broken %-escape in an id) is a page of its own, not an error that leaves
    the previous page or nothing on screen."""
    sign_in(page, console_url, "demo")
    expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
    page.goto(f"{console_url}#/requests/rf_%E0%A4%A")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.get_by_role("link", name="Back to the requests").click()
    expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
