"""A merchant's API keys and webhook endpoints in the console, on a merchant
of the test's own (each merchant may have at most 10 of either)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, unused_loopback_url

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_an_api_key_is_shown_once_then_revoked(page, console_url, api, merchant):
    sign_in(page, console_url, merchant, "a-long-password")
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_text("No API keys.")).to_be_visible()
    page.get_by_label("Name").fill("warehouse")
    page.get_by_role("button", name="Create key").click()

    shown = page.locator(".once code")
    expect(shown).to_have_text(re.compile(rf"^rrk_live_\S+_{merchant}$"))
    key = shown.text_content()
    # Minting a customer token reads the key afresh (no cache): it tells at once whether the key works.
    mint = {"customerId": "cust-1"}
    assert api.request("POST", "/v1/auth/customer-token", headers={"X-API-KEY": key}, json_body=mint).status == 200
    row = page.get_by_role("row").filter(has_text="warehouse")
    expect(row).to_contain_text(key[:12])
    expect(row.get_by_role("cell").nth(2)).to_have_text("Live")  # a live session's default

    page.get_by_role("link", name="Requests").click()
    page.get_by_role("link", name="API keys").click()
    expect(row).to_be_visible()
    expect(page.get_by_text(key)).to_have_count(0)  # never shown again
    page.get_by_role("button", name="Revoke warehouse").click()
    expect(page.get_by_role("status")).to_have_text("Revoked warehouse: it no longer works.")
    expect(page.get_by_text("No API keys.")).to_be_visible()
    assert api.request("POST", "/v1/auth/customer-token", headers={"X-API-KEY": key}, json_body=mint).status == 401


def test_a_key_is_created_in_the_mode_chosen_and_listed_with_it(page, console_url, api, merchant):
    sign_in(page, console_url, merchant, "a-long-password")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("sandbox")
    page.get_by_label("Test", exact=True).check()
    with page.expect_request(lambda sent: sent.method == "POST") as creating:
        page.get_by_role("button", name="Create key").click()

    assert creating.value.post_data_json == {"name": "sandbox", "mode": "test"}
    expect(page.locator(".once code")).to_have_text(re.compile(rf"^rrk_test_\S+_{merchant}$"))
    expect(page.get_by_role("row").filter(has_text="sandbox").get_by_role("cell").nth(2)).to_have_text("Test")
    listed = api.request("GET", "/v1/api-keys", login=merchant).body["data"]
    assert [(key["name"], key["mode"]) for key in listed] == [("sandbox", "test")]


def test_a_webhook_is_registered_its_deliveries_replayed_its_secret_rotated(page, console_url, api, runtime,
                                                                           merchant):
    url = unused_loopback_url()
    sign_in(page, console_url, merchant, "a-long-password")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL", exact=True).fill(url)
    page.get_by_role("button", name="Register").click()
    first_secret = page.locator(".once code")
    expect(first_secret).to_have_text(re.compile(r"^whsec_"))
    secret = first_secret.text_content()

    # A request of the merchant's: its refund.created event goes to the endpoint.
    token = api.request("POST", "/v1/auth/token", json_body={"login": merchant, "password": "a-long-password"})
    order_id = api.paid_order(merchant_id=merchant)
    created = api.request("POST", f"/v1/order/{order_id}/refund", token=token.body["token"],
                          json_body={"email": "merchant@example.com"})
    assert created.status == 200, created

    runtime.events.drain(timeout=60)  # the event reaches the endpoint through the stream and two queues
    page.get_by_role("link", name=f"Deliveries to {url}").click()
    delivery = page.get_by_role("row").filter(has_text="refund.created").first
    expect(delivery).to_contain_text("Connection")  # nothing listens: the endpoint could not be reached
    event_id = delivery.get_by_role("cell").first.text_content()
    delivery.get_by_role("button", name=f"Replay {event_id}").click()
    expect(page.get_by_role("status")).to_have_text(f"Event {event_id} queued again (1).")

    page.get_by_role("link", name="Webhooks").first.click()
    page.get_by_role("button", name=f"Rotate the secret of {url}").click()
    expect(page.locator(".once code")).to_have_text(re.compile(r"^whsec_"))
    assert page.locator(".once code").text_content() != secret
    webhook_id = page.get_by_role("link", name=f"Deliveries to {url}").get_attribute("href").rsplit("/", 1)[1]

    # The request's page lists the deliveries of its events too.
    page.goto(f"{console_url}#/requests/{created.body['data']['id']}")
    deliveries = page.get_by_role("table", name="Webhook deliveries of this request's events, newest first")
    expect(deliveries.get_by_role("row").filter(has_text=event_id).first).to_contain_text(webhook_id)
    expect(page.get_by_role("table", name="Every action, oldest first")).to_contain_text("refund.created")

    page.get_by_role("link", name="Webhooks").first.click()
    page.get_by_role("button", name=f"Delete {url}").click()
    expect(page.get_by_text("No webhook endpoints.")).to_be_visible()


def test_an_endpoint_is_disabled_tested_enabled_and_edited(page, console_url, api, merchant):
    url = unused_loopback_url()
    registered = api.request("POST", "/v1/webhooks", login=merchant,
                             json_body={"url": url, "events": ["refund.created"]})
    assert registered.status == 201, registered
    hook = f"/v1/webhooks/{registered.body['data']['id']}"
    sign_in(page, console_url, merchant, "a-long-password")
    page.get_by_role("link", name="Webhooks").click()
    row = page.get_by_role("row").filter(has_text=url)
    news = page.locator(".messages").get_by_role("status")
    expect(row).to_contain_text("Enabled")

    page.get_by_role("button", name=f"Disable {url}").click()
    expect(news).to_have_text(f"Disabled {url}: nothing is delivered to it until you enable it again.")
    expect(row).to_contain_text("Disabled (merchant): you turned it off")
    stored = api.request("GET", hook, login=merchant).body["data"]
    assert (stored["enabled"], stored["disabledReason"]) == (False, "merchant")

    # A disabled endpoint is tested too: nothing listens at its URL, which the outcome says.
    page.get_by_role("button", name=f"Send a test event to {url}").click()
    outcome = page.locator(".once").filter(has_text="Test event")
    expect(outcome.get_by_role("status")).to_have_text(
        re.compile(rf"^Test event not delivered to {re.escape(url)}: connection refused in \d+ ms\.$"))
    expect(outcome.locator(".facts")).to_contain_text("HTTP status-")
    expect(outcome.locator(".facts")).to_contain_text("Errorconnection refused")

    page.get_by_role("button", name=f"Enable {url}").click()
    expect(news).to_have_text(re.compile(rf"^Enabled {re.escape(url)}: "))
    expect(row).not_to_contain_text("Disabled")
    stored = api.request("GET", hook, login=merchant).body["data"]
    assert (stored["enabled"], stored["disabledReason"]) == (True, None)

    page.get_by_role("button", name=f"Edit {url}").click()
    editing = page.get_by_role("form", name=f"Edit {url}")
    editing.get_by_label("Description").fill("Orders ERP")
    editing.get_by_label("refund.issued").check()
    with page.expect_request(lambda sent: sent.method == "PATCH") as changing:
        editing.get_by_role("button", name="Save").click()
    assert changing.value.post_data_json == {"description": "Orders ERP", "events": ["refund.created", "refund.issued"]}
    expect(news).to_have_text(f"Saved {url}.")
    expect(row).to_contain_text("Orders ERP")
    stored = api.request("GET", hook, login=merchant).body["data"]
    assert (stored["url"], stored["description"], stored["events"]) == (
        url, "Orders ERP", ["refund.created", "refund.issued"])
