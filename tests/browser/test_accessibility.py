"""axe-core (tests/browser/package.json, installed with npm ci) in the
console's pages: no serious or critical violation on the sign-in page, the
queue, a request's page, the events and an event's page, and a test-mode
request's page (its banner, its Simulate group). It runs in the page as
served, under its CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, open_request, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.server]


def serious_violations(page) -> list[str]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser` (make test does)", pytrace=False)
    page.evaluate(AXE.read_text(encoding="utf-8"))  # defines window.axe (evaluated, not a <script>: the CSP stays)
    results = page.evaluate("async () => (await axe.run(document)).violations"
                            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                            " nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
            for v in results if v["impact"] in ("serious", "critical")]


def test_the_consoles_pages_have_no_serious_violation(page, console_url, api):
    refund = open_request(api)
    page.goto(console_url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    found = {"sign-in": serious_violations(page)}

    sign_in(page, console_url, "support")
    expect(page.get_by_role("table")).to_be_visible()
    found["queue"] = serious_violations(page)

    page.goto(f"{console_url}#/requests/{refund['id']}")
    page.get_by_role("button", name="Deny").click()  # its reason form too, with its decline reason
    expect(page.get_by_label("Reason", exact=True)).to_be_visible()
    expect(page.get_by_label("Decline reason", exact=True)).to_be_visible()
    found["request"] = serious_violations(page)

    page.goto(f"{console_url}#/events?merchant=demo&refund={refund['id']}")
    events = page.get_by_role("table", name="Events, newest first")
    expect(events.get_by_role("row")).to_have_count(2)  # its refund.created
    found["events"] = serious_violations(page)
    events.get_by_role("link").first.click()
    expect(page.locator("pre.payload")).to_be_visible()
    found["event"] = serious_violations(page)

    # A merchant in test mode: the banner on every page, and the Simulate group with its Deny form open.
    order_id = api.paid_order(mode="test")
    test_refund = api.request("POST", f"/v1/order/{order_id}/refund", login="demo", mode="test",
                              json_body={"email": "merchant@example.com"}).body["data"]
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, console_url, "demo", mode="test")
    page.goto(f"{console_url}#/requests/{test_refund['id']}")
    simulate = page.get_by_role("group", name="Simulate")
    simulate.get_by_role("button", name="Deny").click()
    expect(simulate.get_by_label("Decline reason", exact=True)).to_be_visible()
    found["test-mode request"] = serious_violations(page)

    assert found == {"sign-in": [], "queue": [], "request": [], "events": [], "event": [], "test-mode request": []}
