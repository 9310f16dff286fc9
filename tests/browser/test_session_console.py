"""The console's token: kept in this tab's sessionStorage only, forgotten by
Sign out, and an expired one brings the sign-in form back with a message."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TOKEN_KEY, sign_in, stored_token

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_sign_out_forgets_the_token(page, context, console_url):
    sign_in(page, console_url, "support")
    assert stored_token(page)
    # Never anywhere a later visitor or another site's script could read it.
    assert page.evaluate("localStorage.length") == 0 and page.evaluate("document.cookie") == ""
    assert context.cookies() == []

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert stored_token(page) is None and page.evaluate("sessionStorage.length") == 0

    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("link", name="Requests")).to_have_count(0)


def test_an_expired_token_brings_the_sign_in_form_back(page, console_url, runtime):
    sign_in(page, console_url, "support")
    expect(page.get_by_role("heading", name="Refund queue")).to_be_visible()
    expired = runtime.token("support", issued_at=time.time() - 2 * 24 * 3600)
    page.evaluate("([key, token]) => sessionStorage.setItem(key, token)", [TOKEN_KEY, expired])

    page.get_by_role("button", name="Refresh").click()  # the next call the API refuses (401)

    expect(page.get_by_role("status")).to_have_text("Your session has expired. Sign in again.")
    expect(page.get_by_label("Login")).to_be_visible()
    assert stored_token(page) is None
    page.get_by_label("Login").fill("support")
    page.get_by_label("Password").fill("support-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Refund queue")).to_be_visible()
