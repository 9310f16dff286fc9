"""Support operators in the console: the queue and its filters, a request's
page, the decisions, a decision racing another operator's, and a merchant's
refunds downloaded as CSV."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEZONE, new_context, open_request, sign_in, utc_start, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]


def filter_queue(page, **filters) -> None:
    for label, value in filters.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Apply filters").click()


def test_support_filters_the_queue_opens_a_request_approves_and_issues_it(page, console_url, api):
    batch = f"console-{uuid.uuid4().hex[:8]}"
    first = open_request(api, batchId=batch, refundOnly=False)  # the goods come back, tracked
    shipped = api.request("PATCH", f"/v1/refunds/{first['id']}", login="demo",
                          json_body={"action": "SHIP_INIT", "trackingId": "1Z999AA10123456784", "carrierName": "UPS"})
    assert shipped.status == 200, shipped
    page.clock.install()  # the queue's refresh timer runs when the test moves the clock on
    sign_in(page, console_url, "support")
    filter_queue(page, Merchant="demo", Batch=batch)

    rows = page.get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the one request of the batch
    expect(page.get_by_role("link", name=first["number"])).to_be_visible()
    expect(rows.nth(1)).to_contain_text("REQUESTED")
    counts = page.get_by_role("list", name="Open requests of demo").get_by_role("listitem")
    expect(counts).to_have_count(3)
    expect(counts.first).to_have_text(re.compile(r"^REQUESTED [1-9][0-9]*\+?$"))

    # A request opened meanwhile shows up without a reload (the next refresh, 10 s on), oldest first: after the
    # first.
    later = open_request(api, batchId=batch)
    page.clock.run_for(10_000)
    expect(rows).to_have_count(3)
    expect(rows.nth(2).get_by_role("link")).to_have_text(later["number"])

    page.get_by_role("link", name=first["number"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first["number"])
    for text in ["Widget", "45.00 USD", "4.50 USD", "10.00 USD + 0.00 USD tax", "59.50 USD", "cust-1",
                 "merchant@example.com", "CREATE", "1Z999AA10123456784", "UPS"]:
        expect(page.get_by_role("main")).to_contain_text(text)
    # Exactly the actions the API names for support from REQUESTED (the state machine's).
    decisions = page.locator(".decisions").get_by_role("button")
    expect(decisions).to_have_text(["Approve", "Deny"])

    # Each decision carries an Idempotency-Key, a new one per decision.
    with page.expect_request(lambda r: r.method == "PATCH") as approving:
        page.get_by_role("button", name="Approve").click()
    expect(page.locator(".status-line")).to_have_text("Status: PROCESSING")
    expect(decisions).to_have_text(["Deny", "Issue", "Fail"])
    with page.expect_request(lambda r: r.method == "PATCH") as issuing:
        page.get_by_role("button", name="Issue").click()
    expect(page.locator(".status-line")).to_have_text("Status: ISSUED")
    expect(decisions).to_have_count(0)
    keys = [sent.value.headers.get("idempotency-key") for sent in (approving, issuing)]
    assert all(keys) and keys[0] != keys[1], keys

    refund = api.request("GET", f"/v1/refunds/{first['id']}", login="support").body["data"]
    assert refund["status"] == "ISSUED"
    assert [(e["action"], e["status"], e["actor"]) for e in refund["history"]] == [
        ("CREATE", "REQUESTED", "demo"), ("SHIP_INIT", "REQUESTED", "demo"), ("APPROVE", "PROCESSING", "support"),
        ("ISSUE", "ISSUED", "support")]
    # The history as the page shows it: each action, in the viewer's time zone, UTC on hover.
    history = page.get_by_role("table", name="Every action, oldest first")
    expect(history.get_by_role("row")).to_have_count(5)
    issued = datetime.fromisoformat(refund["issuedAt"])
    local = issued.astimezone(ZoneInfo(TIMEZONE))
    when = history.locator("time").last
    expect(when).to_have_attribute("title", f"{issued:%Y-%m-%d %H:%M:%S} UTC")
    expect(when).to_have_text(re.compile(rf"^{local:%b} {local.day}, {local.year}, "
                                         rf"{local.hour % 12 or 12}:{local:%M:%S}\s{local:%p}$"))

    # Back in the queue (its filters in the address): an ISSUED request is no longer open; the Status filter
    # finds it.
    page.goto(f"{console_url}#/requests?status=open&merchant=demo&batch={batch}")
    expect(page.get_by_label("Batch", exact=True)).to_have_value(batch)
    expect(page.get_by_role("link", name=later["number"])).to_be_visible()
    expect(rows).to_have_count(2)
    page.get_by_label("Status", exact=True).select_option("ISSUED")
    expect(page.get_by_role("link", name=first["number"])).to_be_visible()
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("ISSUED")


def test_the_decisions_are_the_actions_the_api_names(page, console_url, api):
    """The buttons come from the refund's `actions`, not from the status: an
    answer naming FAIL alone for a REQUESTED request shows Fail alone."""
    refund = open_request(api)
    named = {"actions": ["FAIL", "SHIP_INIT"]}

    def answer(route) -> None:
        response = route.fetch()
        body = response.json()
        body["data"]["actions"] = named["actions"]
        route.fulfill(response=response, json=body)
    page.route(re.compile(rf"/v1/refunds/{refund['id']}\?"), answer)
    sign_in(page, console_url, "support")
    page.goto(f"{console_url}#/requests/{refund['id']}")

    expect(page.locator(".status-line")).to_have_text("Status: REQUESTED")
    decisions = page.locator(".decisions").get_by_role("button")
    expect(decisions).to_have_text(["Fail"])  # SHIP_INIT has no button
    named["actions"] = []
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(refund["number"])
    expect(decisions).to_have_count(0)


def test_deny_needs_a_decline_reason_and_a_reason_which_the_api_then_shows(page, console_url, api):
    refund = open_request(api, refundOnly=False, reason="damaged", metadata={"erp": "<b>E-1</b>"})
    approved = api.request("PATCH", f"/v1/refunds/{refund['id']}", login="support", json_body={"action": "APPROVE"})
    assert approved.body["data"]["status"] == "WAITING"  # for the goods to come back
    sign_in(page, console_url, "support")
    page.goto(f"{console_url}#/requests/{refund['id']}")

    expect(page.locator(".status-line")).to_have_text("Status: WAITING")
    # The request's code and the merchant's metadata, the metadata as the characters it holds (never markup).
    main = page.get_by_role("main")
    expect(main).to_contain_text("damaged")
    expect(main).to_contain_text("<b>E-1</b>")
    expect(page.locator(".facts b")).to_have_count(0)
    expect(page.locator(".decisions").get_by_role("button")).to_have_text(["Deny"])
    page.get_by_role("button", name="Deny").click()
    code = page.get_by_label("Decline reason", exact=True)
    expect(code.locator("option")).to_have_text(["Choose…", "return_period_ended", "final_sale", "not_eligible",
                                                 "other"])
    page.get_by_label("Reason", exact=True).fill("The goods were used.")
    page.get_by_role("button", name="Confirm").click()  # no code yet
    expect(page.get_by_role("alert")).to_have_text("Choose a decline reason.")
    code.select_option("not_eligible")
    page.get_by_label("Reason", exact=True).fill("")
    page.get_by_role("button", name="Confirm").click()  # no reason
    expect(page.get_by_role("alert")).to_have_text("Give a reason.")
    page.get_by_label("Reason", exact=True).fill("The goods were used.")
    with page.expect_request(lambda r: r.method == "PATCH") as denying:
        page.get_by_role("button", name="Confirm").click()
    assert denying.value.post_data_json == {"action": "DENY", "responseReason": "The goods were used.",
                                            "declineReason": "not_eligible"}

    expect(page.locator(".status-line")).to_have_text("Status: DENIED")
    expect(page.get_by_role("table", name="Every action, oldest first")).to_contain_text("The goods were used.")
    expect(main).to_contain_text("not_eligible")
    stored = api.request("GET", f"/v1/refunds/{refund['id']}", login="support").body["data"]
    assert (stored["status"], stored["responseReason"], stored["declineReason"]) == (
        "DENIED", "The goods were used.", "not_eligible")


def test_a_decision_racing_another_operators_shows_15080_and_the_new_status(browser, page, console_url, api):
    refund = open_request(api)
    other = new_context(browser)
    try:
        other_page = other.new_page()
        other_watched = watch(other_page)
        for operator in (page, other_page):
            sign_in(operator, console_url, "support")
            operator.goto(f"{console_url}#/requests/{refund['id']}")
            expect(operator.get_by_role("button", name="Approve")).to_be_visible()

        other_page.get_by_role("button", name="Approve").click()
        expect(other_page.locator(".status-line")).to_have_text("Status: PROCESSING")
        page.get_by_role("button", name="Approve").click()  # this page still shows REQUESTED

        expect(page.get_by_role("alert")).to_contain_text("Action is not allowed in the refund's current status.")
        expect(page.get_by_role("alert")).to_contain_text("It is now PROCESSING.")
        expect(page.locator(".status-line")).to_have_text("Status: PROCESSING")
        expect(page.locator(".decisions").get_by_role("button")).to_have_text(["Deny", "Issue", "Fail"])
        assert not other_watched.problems, other_watched.problems
    finally:
        other.close()
    stored = api.request("GET", f"/v1/refunds/{refund['id']}", login="support").body["data"]
    assert [e["action"] for e in stored["history"]] == ["CREATE", "APPROVE"]  # applied once


def test_the_deliveries_offer_more_only_once_a_page_says_there_are_more(page, console_url, api):
    """While the first page of a request's deliveries is on its way there is nothing more to show: a
    "Show more" then would read the first page again, twice in the table."""
    refund = open_request(api)
    held = []
    deliveries = re.compile(rf"/v1/refunds/{refund['id']}/deliveries")
    page.route(deliveries, lambda route: held.append(route))  # held: answered below
    sign_in(page, console_url, "support")
    with page.expect_request(deliveries):
        page.goto(f"{console_url}#/requests/{refund['id']}")
    expect(page.get_by_role("heading", name="Webhook deliveries")).to_be_visible()
    expect(page.get_by_role("button", name="Show more deliveries")).to_be_hidden()

    assert len(held) == 1  # still unanswered
    for route in held:
        route.continue_()
    expect(page.get_by_text("No webhook deliveries: the merchant's endpoints have received none")).to_be_visible()
    expect(page.get_by_role("button", name="Show more deliveries")).to_be_hidden()


def test_support_downloads_a_merchants_refunds_of_some_days_as_csv(page, console_url, api, merchant):
    refund = open_request(api, login=merchant, merchant_id=merchant)
    day = datetime.fromisoformat(refund["createdAt"]).astimezone(ZoneInfo(TIMEZONE)).date()
    sign_in(page, console_url, "support")
    page.get_by_label("Merchant", exact=True).fill(merchant)
    page.get_by_label("From", exact=True).fill(day.isoformat())
    page.get_by_label("To", exact=True).fill(day.isoformat())
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").click()
    name = f"refunds-{merchant}-{day}-to-{day}.csv"
    assert downloading.value.suggested_filename == name
    rows = list(csv.reader(io.StringIO(Path(downloading.value.path()).read_text(encoding="utf-8"), newline="")))
    assert rows[0][:4] == ["id", "numericId", "number", "createdAt"]  # the header row
    assert [row[0] for row in rows[1:]] == [refund["id"]]
    expect(page.get_by_role("status")).to_have_text(f"Downloaded {name}.")

    # A range the API refuses (it ends before it starts): the API's own message, and nothing downloaded.
    later = day + timedelta(days=2)
    page.get_by_label("From", exact=True).fill(later.isoformat())
    refused = api.request("GET", f"/v1/refunds/export?merchantId={merchant}&createdFrom={utc_start(later)}"
                                 f"&createdTo={utc_start(day + timedelta(days=1))}", login="support")
    assert refused.status == 400, refused
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.get_by_role("button", name="Download CSV").click()
    expect(page.get_by_role("alert")).to_have_text(" ".join(e["message"] for e in refused.body["errors"]))
    assert downloads == []
