"""The refund console's code, read as text: its statuses, events and
decision buttons are the API's words, it has no way to parse a value as HTML
or run a string as code, keeps the token out of localStorage and cookies, and
its page needs no inline script or style (the CSP allows none). And without a
browser, its browser tests say how to get one."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from refunds_core import errors, events, reasons, statuses
from refunds_core.logic import transitions
from scripts.browser import BrowserMissing, chromium_executable
from tests.conftest import ROOT

CONSOLE = ROOT / "console"
SCRIPTS = sorted((CONSOLE / "js").rglob("*.js"))
LIFECYCLE = CONSOLE / "js" / "lifecycle.js"


def _between(path, marker: str) -> str:
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"// {marker}:start\n(.*?)// {marker}:end", text, flags=re.S)
    assert found, f"{path.name} has no {marker}:start / {marker}:end markers"
    return found.group(1)


def _json_value(source: str, name: str):
    """The JSON literal a JS module exports as ``name``."""
    found = re.search(rf"export const {name} = (.*?);\s*$", source, flags=re.S | re.M)
    assert found, f"no `export const {name} = ...;`"
    return json.loads(found.group(1))


def test_the_consoles_statuses_and_events_are_the_apis():
    source = LIFECYCLE.read_text(encoding="utf-8")
    assert _json_value(source, "STATUSES") == list(statuses.ALL)
    assert _json_value(source, "OPEN_STATUSES") == [s for s in statuses.ALL if s in statuses.OPEN]
    event_of_action = _json_value(_between(LIFECYCLE, "events"), "EVENT_OF_ACTION")
    assert list(event_of_action.items()) == list(events.TYPE_OF_ACTION.items())  # the order: the webhooks page's
    assert _json_value(source, "DECLINE_REASONS") == list(reasons.DECLINE_REASONS)  # what DENY accepts
    assert _json_value(source, "REFUND_REASONS") == list(reasons.REFUND_REASONS)  # what a request may give
    # The Events page's Type filter: every type the events API keeps, in its order.
    assert [*event_of_action.values(), *_json_value(source, "ENDPOINT_EVENTS")] == list(events.KEPT_TYPES)


def test_the_error_codes_the_console_reacts_to_are_the_catalogues():
    api = (CONSOLE / "js" / "api.js").read_text(encoding="utf-8")
    found = re.search(r"export const CODES = Object\.freeze\(\{(.*?)\}\);", api, flags=re.S)
    assert found, "api.js has no `export const CODES = Object.freeze({...});`"
    codes = dict(re.findall(r"([A-Z_]+): (\d+)", found.group(1)))
    assert codes and {name: int(code) for name, code in codes.items()} == {
        name: getattr(errors, name).code for name in codes}
    used = "".join(script.read_text(encoding="utf-8") for script in SCRIPTS if script.name != "api.js")
    assert [name for name in codes if f"CODES.{name}" not in used] == []  # none kept that nothing reads


def test_every_button_is_an_action_the_api_may_name():
    source = LIFECYCLE.read_text(encoding="utf-8")
    buttons = re.findall(r'\{action: "([A-Z_]+)", label: "([^"]+)"', source)
    assert [label for _, label in buttons] == ["Approve", "Deny", "Issue", "Fail", "Cancel request"]
    assert {action for action, _ in buttons} <= set(transitions.TRANSITIONS)


def _code(text: str) -> str:
    """The script without its comments (which may name what the code avoids)."""
    return re.sub(r"/\*.*?\*/|(?<![:\\])//[^\n]*", "", text, flags=re.S)


# Each a way to turn a string into markup or code: values from the API must never reach one.
SINKS = ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
         "DOMParser", "createContextualFragment", "srcdoc", "setTimeout(\"", "setInterval(\"", "javascript:"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(CONSOLE)))
def test_no_script_parses_html_or_runs_a_string(script):
    text = _code(script.read_text(encoding="utf-8"))
    assert [sink for sink in SINKS if sink in text] == []
    # The token lives in sessionStorage only (console/js/session.js).
    assert "localStorage" not in text and "document.cookie" not in text


def test_the_page_has_no_inline_script_or_style():
    html = (CONSOLE / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and " style=" not in html and not re.search(r"\son[a-z]+=", html)
    for script in SCRIPTS:
        assert "style=" not in script.read_text(encoding="utf-8"), script  # no style attribute made at run time


def test_without_a_browser_the_browser_tests_say_how_to_install_one(tmp_path, monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    playwright = SimpleNamespace(chromium=SimpleNamespace(executable_path=str(tmp_path / "ms-playwright" / "chrome")))
    with pytest.raises(BrowserMissing, match=r"apt-get install -y chromium.*playwright install chromium"):
        chromium_executable(playwright, debian=tmp_path / "chromium")
    installed = tmp_path / "chromium"
    installed.write_text("")
    assert chromium_executable(playwright, debian=installed) == str(installed)
