"""POST /v1/auth/customer-token, and what a customer's token may see and do:
only the refunds of its merchant's orders that carry its customerId."""

from __future__ import annotations

import uuid

import jwt
import pytest

from tests.conftest import sample_order
from tests.integration.test_lifecycle_api import NOT_FOUND, customer_token, get, open_refund, take

pytestmark = pytest.mark.server


def mint(api, body, **who):
    return api.request("POST", "/v1/auth/customer-token", json_body=body, **who)


def test_a_merchant_mints_a_short_lived_customer_token(api):
    answer = mint(api, {"customerId": "cust-1"}, login="demo")
    assert answer.status == 200
    assert answer.body["tokenType"] == "Bearer" and answer.body["expiresIn"] == 900
    assert (answer.body["role"], answer.body["merchantId"]) == ("customer", "demo")
    claims = jwt.decode(answer.body["token"], options={"verify_signature": False})
    assert (claims["role"], claims["sub"], claims["mid"], claims["cid"]) == ("customer", "customer:cust-1", "demo",
                                                                            "cust-1")
    assert claims["exp"] - claims["iat"] == 900


@pytest.mark.parametrize("login", ["support", "orders-service"])
def test_only_merchants_mint_customer_tokens(api, login):
    answer = mint(api, {"customerId": "cust-1"}, login=login)
    assert answer.status == 403 and answer.codes == [15120]


def test_a_customer_cannot_mint_tokens(api):
    answer = mint(api, {"customerId": "cust-2"}, token=customer_token(api))
    assert answer.status == 403 and answer.codes == [15120]


def test_minting_needs_a_token(api):
    assert mint(api, {"customerId": "cust-1"}).codes == [101]


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["customerId"]), ({"customerId": None}, ["customerId"]), ({"customerId": 1}, ["customerId"]),
    ({"customerId": ""}, ["customerId"]), ({"customerId": "a b"}, ["customerId"]),
    ({"customerId": "c" * 65}, ["customerId"]),
    ({"customerId": "cust-1", "role": "support"}, ["role"]), ({"customerId": "cust-1", "merchantId": "demo2"},
                                                             ["merchantId"]),
])
def test_customer_token_fields_are_validated(api, body, fields):
    answer = mint(api, body, login="demo")
    assert answer.status == 400
    assert answer.body["errors"] == [{"error": 15010, "message": f"Invalid field value: {f}"} for f in fields]


def test_customer_token_body_is_json_checked_first(api):
    assert api.request("POST", "/v1/auth/customer-token", raw=b"{", login="demo",
                       headers={"Content-Type": "application/json"}).codes == [110]
    assert api.request("POST", "/v1/auth/customer-token", raw=b'{"customerId": "c"}', login="demo",
                       headers={"Content-Type": "text/plain"}).codes == [111]


def _merchant(api, admin) -> tuple[str, str]:
    merchant, login = f"m-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant)
    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    return merchant, token.body["token"]


def test_a_disabled_merchant_cannot_mint(api, admin):
    merchant, token = _merchant(api, admin)
    admin.set_merchant_disabled(merchant, True)
    assert mint(api, {"customerId": "cust-1"}, token=token).codes == [15000]


def test_a_disabled_merchants_customer_tokens_stop_working(api, admin):
    # (Each route is called only after the merchant is disabled: a function
    # trusts what it cached about an account for CACHE_TTL_SECONDS.)
    merchant, token = _merchant(api, admin)
    refund = open_refund(api, token=token, order_id=api.paid_order(merchant_id=merchant))
    customer = mint(api, {"customerId": "cust-1"}, token=token).body["token"]
    admin.set_merchant_disabled(merchant, True)
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=customer).codes == [15000]
    assert take(api, refund["id"], "CANCEL", token=token).codes == [15000]


def test_customer_tokens_stop_working_when_the_login_that_minted_them_is_disabled(api, admin):
    merchant, token = _merchant(api, admin)
    refund = open_refund(api, token=token, order_id=api.paid_order(merchant_id=merchant))
    customer = mint(api, {"customerId": "cust-1"}, token=token).body["token"]
    login = jwt.decode(token, options={"verify_signature": False})["sub"]
    admin.set_login_disabled(login, True)
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=customer).codes == [15000]


# --------------------------------------------------- what a customer sees

def test_a_customer_follows_and_acts_on_its_own_refunds(api):
    token = customer_token(api, "cust-1")
    refund = open_refund(api, refund_only=False, token=token)
    assert refund["requester"] == "customer:cust-1" and refund["customerId"] == "cust-1"
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=token).body == {
        "data": {**refund, "actions": ["SHIP_INIT", "CANCEL"], "simulations": []}}
    shipped = take(api, refund["id"], "SHIP_INIT", token=token)
    assert shipped.status == 200 and shipped.body["data"]["carrierName"] == "UPS"
    cancelled = take(api, refund["id"], "CANCEL", token=token)
    assert cancelled.status == 200 and cancelled.body["data"]["status"] == "CANCELLED"
    # The merchant sees what its customer did.
    assert get(api, refund["id"]).body["data"]["history"][-1]["actor"] == "customer:cust-1"


def test_a_customer_never_sees_another_customers_refund(api):
    refund = open_refund(api, refund_only=False)  # order of cust-1
    other = customer_token(api, "cust-2")
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=other).body == NOT_FOUND
    assert take(api, refund["id"], "SHIP_INIT", token=other).body == NOT_FOUND
    assert take(api, refund["id"], "CANCEL", token=other).body == NOT_FOUND
    assert get(api, refund["id"]).body["data"] == refund


def test_the_same_customer_id_at_another_merchant_sees_nothing(api):
    refund = open_refund(api, refund_only=False)  # demo's order of cust-1
    elsewhere = customer_token(api, "cust-1", merchant="demo2")
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=elsewhere).body == NOT_FOUND
    assert take(api, refund["id"], "CANCEL", token=elsewhere).body == NOT_FOUND
    order = api.request("POST", f"/v1/order/{refund['orderId']}/refund", json_body={"email": "c@example.com"},
                        token=elsewhere)
    assert order.status == 404 and order.codes == [15060]


def test_a_customer_cannot_open_a_request_on_another_customers_order(api):
    order_id = api.paid_order(customerId="cust-9")
    answer = api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "c@example.com"},
                         token=customer_token(api, "cust-1"))
    assert answer.status == 404 and answer.codes == [15060]


@pytest.mark.parametrize("action", ["APPROVE", "ISSUE", "DENY", "FAIL"])
def test_a_customer_may_never_decide_even_on_its_own_refund(api, action):
    token = customer_token(api)
    refund = open_refund(api, token=token)
    answer = take(api, refund["id"], action, token=token)
    assert answer.status == 403 and answer.codes == [15120]
    assert api.request("GET", f"/v1/refunds/{refund['id']}", token=token).body == {
        "data": {**refund, "actions": ["CANCEL"], "simulations": []}}  # what a customer may do: never decide


def test_an_orders_customer_is_frozen_once_it_has_a_refund(api):
    """Otherwise the old customer would keep the refund and the new one could not see it."""
    order_id = api.paid_order(customerId="cust-a")
    _, moved = api.put_order(order_id, customerId="cust-b")
    assert moved.status == 200  # no refund yet: the order system may still change it
    api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com"}, login="demo")
    _, reassigned = api.put_order(order_id, customerId="cust-c")
    assert reassigned.status == 409 and reassigned.codes == [15220]
    without_customer = {k: v for k, v in sample_order(customerId="x").items() if k != "customerId"}
    removed = api.request("PUT", f"/v1/orders/{order_id}", json_body=without_customer, login="orders-service")
    assert removed.status == 409 and removed.codes == [15220]
    _, same = api.put_order(order_id, customerId="cust-b", number="SO-renamed")
    assert same.status == 200 and same.body["data"]["number"] == "SO-renamed"
