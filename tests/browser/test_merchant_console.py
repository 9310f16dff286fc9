"""Merchants in the console: a partial request with the item picker and its
previewed amount, cancelled; a request's reason and metadata, the metadata
changed; the list filtered by reason and days; the events of a request and
an event's body; another merchant's requests stay invisible; a value from
the API is always text."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEZONE, find_order, open_request, sign_in, utc_start
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
    find_order(page, order_id)
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
    find_order(page, order_id)
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
    find_order(page, theirs["orderId"])
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


def test_a_new_request_carries_a_reason_and_metadata_which_the_merchant_then_changes(page, console_url, api):
    order_id = api.paid_order()
    sign_in(page, console_url, "demo")
    page.goto(f"{console_url}#/new")
    find_order(page, order_id)
    page.get_by_label("Widget").fill("1")
    page.get_by_label("Email").fill("merchant@example.com")
    page.get_by_label("Reason", exact=True).select_option("damaged")
    for key, value in [("erp", "E-1"), ("note", "fragile")]:
        page.get_by_role("button", name="Add a key").click()
        page.get_by_label("Key", exact=True).last.fill(key)
        page.get_by_label("Value", exact=True).last.fill(value)
    expect(page.get_by_role("status")).to_contain_text("Previewed amount: 24.75 USD")
    with page.expect_request(lambda sent: sent.method == "POST" and sent.url.endswith("/refund")) as creating:
        page.get_by_role("button", name="Request refund").click()
    sent = creating.value.post_data_json
    assert (sent["reason"], sent["metadata"]) == ("damaged", {"erp": "E-1", "note": "fragile"})

    expect(page.locator(".status-line")).to_have_text("Status: REQUESTED")
    refund_id = page.url.rsplit("/", 1)[1]
    summary = page.locator(".facts").first  # the request's own facts
    for text in ["damaged", "erp", "E-1", "note", "fragile"]:
        expect(summary).to_contain_text(text)

    # Change one value, remove one key, add another: one PATCH naming exactly those.
    page.get_by_role("button", name="Edit metadata").click()
    keys = page.get_by_label("Key", exact=True)
    expect(keys).to_have_count(2)
    erp = [keys.nth(i).input_value() for i in range(2)].index("erp")
    page.get_by_label("Value", exact=True).nth(erp).fill("E-2")
    page.get_by_role("button", name="Remove note").click()
    page.get_by_role("button", name="Add a key").click()
    page.get_by_label("Key", exact=True).last.fill("ticket")
    page.get_by_label("Value", exact=True).last.fill("T-9")
    with page.expect_request(lambda sent: sent.method == "PATCH") as changing:
        page.get_by_role("button", name="Save metadata").click()
    assert changing.value.post_data_json == {"metadata": {"erp": "E-2", "ticket": "T-9", "note": None}}
    assert changing.value.headers.get("idempotency-key")
    expect(page.get_by_role("status")).to_have_text("Metadata saved.")
    expect(summary).to_contain_text("T-9")
    expect(summary).not_to_contain_text("fragile")

    stored = api.request("GET", f"/v1/refunds/{refund_id}", login="demo").body["data"]
    assert (stored["reason"], stored["metadata"]) == ("damaged", {"erp": "E-2", "ticket": "T-9"})


def test_the_list_filters_by_reason_and_days_in_the_viewers_time_zone(page, console_url, api, merchant):
    damaged = open_request(api, login=merchant, merchant_id=merchant, reason="damaged")
    open_request(api, login=merchant, merchant_id=merchant, reason="wrong_item")
    day = datetime.fromisoformat(damaged["createdAt"]).astimezone(ZoneInfo(TIMEZONE)).date()
    sign_in(page, console_url, merchant, "a-long-password")
    expect(page.get_by_role("table", name="Requests, newest first").get_by_role("row")).to_have_count(3)

    page.get_by_label("Reason", exact=True).select_option("damaged")
    page.get_by_label("From", exact=True).fill(day.isoformat())
    page.get_by_label("To", exact=True).fill(day.isoformat())
    with page.expect_request(lambda sent: "/v1/refunds?" in sent.url) as listing:
        page.get_by_role("button", name="Apply filters").click()
    # The day, from its first instant in New York to the next day's (the API's createdTo is exclusive), in UTC.
    query = parse_qs(urlsplit(listing.value.url).query)
    assert (query["reason"], query["createdFrom"], query["createdTo"]) == (
        ["damaged"], [utc_start(day)], [utc_start(day + timedelta(days=1))])
    rows = page.get_by_role("table", name="Requests, newest first").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text(damaged["number"])
    expect(rows.nth(1)).to_contain_text("damaged")

    page.get_by_label("From", exact=True).fill((day + timedelta(days=1)).isoformat())
    page.get_by_label("To", exact=True).fill((day + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No requests match these filters.")).to_be_visible()


def test_a_merchant_reads_a_requests_events_and_an_events_payload(page, console_url, api, merchant):
    refund = open_request(api, login=merchant, merchant_id=merchant)
    assert api.request("PATCH", f"/v1/refunds/{refund['id']}", login="support",
                       json_body={"action": "APPROVE"}).status == 200
    other = open_request(api, login=merchant, merchant_id=merchant)
    sign_in(page, console_url, merchant, "a-long-password")
    page.get_by_role("link", name="Events").click()
    rows = page.get_by_role("table", name="Events, newest first").get_by_role("row")
    expect(rows).to_have_count(4)  # newest first: the other request's creation, then this one's approval, creation
    listed = [("refund.created", other["number"]), ("refund.approved", refund["number"]),
              ("refund.created", refund["number"])]
    for row, (kind, number) in enumerate(listed, start=1):
        expect(rows.nth(row)).to_contain_text(kind)
        expect(rows.nth(row)).to_contain_text(number)

    # A request's page links to its events.
    page.goto(f"{console_url}#/requests/{refund['id']}")
    with page.expect_request(lambda sent: "/v1/events?" in sent.url) as listing:
        page.get_by_role("link", name="This request's events").click()
    assert parse_qs(urlsplit(listing.value.url).query)["refundId"] == [refund["id"]]
    expect(rows).to_have_count(3)
    expect(page.get_by_label("Request", exact=True)).to_have_value(refund["id"])

    page.get_by_label("Type", exact=True).select_option("refund.created")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(2)
    event = api.request("GET", f"/v1/events?refundId={refund['id']}&type=refund.created",
                        login=merchant).body["data"][0]
    page.get_by_role("link", name=event["id"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Event {event['id']}")
    # The body its webhooks carried, pretty-printed as text: exactly the API's, key for key.
    payload = page.locator("pre.payload")
    expect(payload).to_be_visible()
    assert payload.text_content() == json.dumps(event, indent=2, ensure_ascii=False)

