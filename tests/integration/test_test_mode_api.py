"""Test mode over HTTP (docs/test-mode.md): test tokens and keys for every role,
test data invisible from live and the reverse, and simulated decisions. The
key formats are dal/keys.py's (tests/unit/test_modes.py); webhooks in test
mode are tests/integration/test_webhook_delivery.py's."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.server


def open_refund(api, mode: str, **body) -> dict:
    order_id = api.paid_order(mode=mode)
    answer = api.request("POST", f"/v1/order/{order_id}/refund", login="demo", mode=mode,
                         json_body={"email": "m@example.com", "refundOnly": True, **body})
    assert answer.status == 200, answer
    return answer.body["data"]


def simulate(api, refund_id: str, mode: str = "test", **body):
    return api.request("POST", f"/v1/test/refunds/{refund_id}/simulate", json_body=body, login="demo", mode=mode)


@pytest.mark.parametrize("login", ["demo", "orders-service", "support"])
def test_every_role_gets_a_test_mode_token_that_says_so(api, login):
    from tests.conftest import PASSWORDS

    answer = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": PASSWORDS[login],
                                                              "mode": "test"})
    assert answer.status == 200 and answer.body["mode"] == "test", answer
    refused = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": PASSWORDS[login],
                                                               "mode": "sandbox"})
    assert (refused.status, refused.codes) == (400, [15010]), refused


def test_test_data_and_live_data_never_see_each_other(api):
    test, live = open_refund(api, "test"), open_refund(api, "live")
    assert (test["livemode"], live["livemode"]) == (False, True)
    for mode, own, other in (("test", test, live), ("live", live, test)):
        # Another mode's refund and order do not exist for you, as another merchant's.
        assert api.request("GET", f"/v1/refunds/{own['id']}", login="demo", mode=mode).status == 200
        assert api.request("GET", f"/v1/refunds/{other['id']}", login="demo", mode=mode).codes == [15070]
        assert api.request("GET", f"/v1/orders/{other['orderId']}", login="demo", mode=mode).codes == [15060]
        listed = api.request("GET", "/v1/refunds?limit=100", login="demo", mode=mode).body["data"]
        assert own["id"] in {r["id"] for r in listed} and other["id"] not in {r["id"] for r in listed}
        assert {r["livemode"] for r in listed} == {mode == "live"}
        queue = api.request("GET", "/v1/refunds?status=REQUESTED&limit=100", login="support", mode=mode).body["data"]
        assert own["id"] in {r["id"] for r in queue} and other["id"] not in {r["id"] for r in queue}
        events = api.request("GET", "/v1/events?limit=100", login="demo", mode=mode).body["data"]
        assert other["id"] not in {e["data"]["id"] for e in events}
        assert own["id"] in {e["data"]["id"] for e in events if e["type"] == "refund.created"}
        # createdTo is exclusive: a range from the first refund to a second after the last holds both.
        first, last = sorted(datetime.fromisoformat(r["createdAt"]) for r in (own, other))
        span = f"createdFrom={first.isoformat()}&createdTo={(last + timedelta(seconds=1)).isoformat()}"
        export = api.request("GET", f"/v1/refunds/export?{quote(span, safe='=&')}", login="demo", mode=mode)
        assert export.status == 200, export
        assert own["id"] in export.text and other["id"] not in export.text


def test_one_order_id_is_two_orders_one_per_mode_each_with_its_own_open_request(api):
    order_id = f"o-{uuid.uuid4().hex[:12]}"
    for mode in ("live", "test"):
        assert api.put_order(order_id, mode=mode)[1].status == 200
        answer = api.request("POST", f"/v1/order/{order_id}/refund", login="demo", mode=mode,
                             json_body={"email": "m@example.com"})
        assert answer.status == 200, answer
    again = api.request("POST", f"/v1/order/{order_id}/refund", login="demo", mode="test",
                        json_body={"email": "m@example.com"})
    assert again.codes == [15050], again  # the lock is per mode: the test order holds its own


def test_a_merchant_writes_its_own_orders_in_test_mode_only(api):
    from tests.conftest import sample_order

    order_id = f"o-{uuid.uuid4().hex[:12]}"
    mine = api.request("PUT", f"/v1/orders/{order_id}", json_body=sample_order(), login="demo", mode="test")
    assert mine.status == 200 and mine.body["data"]["merchantId"] == "demo", mine
    theirs = api.request("PUT", f"/v1/orders/{order_id}-2", json_body=sample_order("demo2"), login="demo",
                         mode="test")
    assert (theirs.status, theirs.codes) == (400, [15010]), theirs  # only its own merchantId
    live = api.request("PUT", f"/v1/orders/{order_id}", json_body=sample_order(), login="demo")
    assert (live.status, live.codes) == (403, [15120]), live  # live orders come from the order system
    assert api.request("GET", f"/v1/orders/{order_id}", login="demo").codes == [15060]


def test_a_test_api_key_starts_rrk_test_and_acts_in_test_mode(api):
    created = api.request("POST", "/v1/api-keys", json_body={"name": "sandbox", "mode": "test"}, login="demo")
    assert created.status == 201 and created.body["data"]["key"].startswith("rrk_test_"), created
    key = created.body["data"]
    try:
        assert key["mode"] == "test" and key["prefix"].startswith("rrk_test_")
        refund = open_refund(api, "test")
        seen = api.request("GET", f"/v1/refunds/{refund['id']}", headers={"X-API-KEY": key["key"]})
        assert seen.status == 200 and seen.body["data"]["livemode"] is False
        live = open_refund(api, "live")
        assert api.request("GET", f"/v1/refunds/{live['id']}", headers={"X-API-KEY": key["key"]}).codes == [15070]
        listed = api.request("GET", "/v1/api-keys", login="demo").body["data"]
        assert {k["id"]: k["mode"] for k in listed}[key["id"]] == "test"
    finally:
        assert api.request("DELETE", f"/v1/api-keys/{key['id']}", login="demo").status == 204


def test_a_test_token_manages_test_keys_only_so_a_leaked_one_cannot_touch_live_keys(api):
    live_key = api.request("POST", "/v1/api-keys", json_body={"name": "live"}, login="demo").body["data"]
    test_key = api.request("POST", "/v1/api-keys", json_body={"name": "ci"}, login="demo", mode="test")
    try:
        assert test_key.status == 201 and test_key.body["data"]["mode"] == "test", test_key  # the token's mode
        refused = api.request("POST", "/v1/api-keys", json_body={"mode": "live"}, login="demo", mode="test")
        assert (refused.status, refused.codes) == (403, [15120]), refused
        listed = api.request("GET", "/v1/api-keys", login="demo", mode="test").body["data"]
        assert {key["mode"] for key in listed} == {"test"} and live_key["id"] not in {k["id"] for k in listed}
        revoke = api.request("DELETE", f"/v1/api-keys/{live_key['id']}", login="demo", mode="test")
        assert revoke.codes == [15190], revoke  # a live key does not exist for a test token
    finally:
        for key in (live_key["id"], test_key.body["data"]["id"]):
            assert api.request("DELETE", f"/v1/api-keys/{key}", login="demo").status == 204  # a live token: both


def test_a_simulated_approve_and_issue_move_a_test_refund_as_support_would(api):
    refund = open_refund(api, "test")
    shown = api.request("GET", f"/v1/refunds/{refund['id']}", login="demo", mode="test").body["data"]
    assert (shown["actions"], shown["simulations"]) == (["CANCEL"], ["APPROVE", "DENY"])  # what a console offers
    live = open_refund(api, "live")
    assert api.request("GET", f"/v1/refunds/{live['id']}", login="demo").body["data"]["simulations"] == []
    approved = simulate(api, refund["id"], action="APPROVE")
    assert approved.status == 200 and approved.body["data"]["status"] == "PROCESSING", approved
    issued = simulate(api, refund["id"], action="ISSUE")
    assert issued.status == 200 and issued.body["data"]["status"] == "ISSUED", issued
    history = issued.body["data"]["history"]
    assert [(h["action"], h["role"], h["actor"]) for h in history] == [
        ("CREATE", "merchant", "demo"), ("APPROVE", "support", "demo"), ("ISSUE", "support", "demo")]
    order = api.request("GET", f"/v1/orders/{refund['orderId']}", login="demo", mode="test").body["data"]
    assert order["refundStatus"] == "refunded", order
    events = api.request("GET", f"/v1/events?refundId={refund['id']}", login="demo", mode="test").body["data"]
    assert [e["type"] for e in events] == ["refund.issued", "refund.approved", "refund.created"]
    assert {e["data"]["livemode"] for e in events} == {False}


def test_a_simulated_deny_takes_support_fields_and_the_state_machine_still_rules(api):
    refund = open_refund(api, "test")
    missing = simulate(api, refund["id"], action="DENY", responseReason="Final sale")
    assert (missing.status, missing.codes) == (400, [15010]), missing
    not_support = simulate(api, refund["id"], action="SHIP_INIT", trackingId="1Z", carrierName="UPS")
    assert not_support.codes == [15010], not_support  # only support's actions are simulated
    too_early = simulate(api, refund["id"], action="ISSUE")
    assert (too_early.status, too_early.codes) == (409, [15080]), too_early
    denied = simulate(api, refund["id"], action="DENY", responseReason="Final sale", declineReason="final_sale")
    assert denied.status == 200 and denied.body["data"]["declineReason"] == "final_sale", denied


def test_simulate_is_not_a_route_in_live_mode_nor_for_a_live_refund(api):
    live = open_refund(api, "live")
    answer = simulate(api, live["id"], mode="live", action="APPROVE")
    assert (answer.status, answer.codes) == (404, [104]), answer
    assert simulate(api, live["id"], action="APPROVE").codes == [15070]  # no live refund exists in test mode
    assert api.request("GET", f"/v1/refunds/{live['id']}", login="demo").body["data"]["status"] == "REQUESTED"


def test_a_simulation_replays_its_idempotency_key_and_the_same_key_in_live_mode_is_another_request(api):
    refund = open_refund(api, "test")
    key = {"Idempotency-Key": f"sim-{uuid.uuid4().hex}"}
    first = api.request("POST", f"/v1/test/refunds/{refund['id']}/simulate", json_body={"action": "APPROVE"},
                        login="demo", mode="test", headers=key)
    again = api.request("POST", f"/v1/test/refunds/{refund['id']}/simulate", json_body={"action": "APPROVE"},
                        login="demo", mode="test", headers=key)
    assert first.status == again.status == 200 and first.body == again.body
    live = open_refund(api, "live")
    live_answer = api.request("POST", f"/v1/order/{live['orderId']}/refund", login="demo", headers=key,
                              json_body={"email": "m@example.com"})
    assert live_answer.codes == [15050], live_answer  # run (the order holds its open request), not replayed
