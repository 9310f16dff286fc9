"""POST /v1/auth/token, and what every other route does with the token."""

import uuid

import pytest

pytestmark = pytest.mark.server


def test_a_local_account_gets_a_bearer_token(api):
    answer = api.request("POST", "/v1/auth/token", json_body={"login": "demo", "password": "demo-secret"})
    assert answer.status == 200
    assert answer.body["tokenType"] == "Bearer" and answer.body["expiresIn"] == 3600
    assert answer.body["token"].count(".") == 2


@pytest.mark.parametrize(("login", "role", "merchant_id"), [
    ("demo", "merchant", "demo"), ("demo2", "merchant", "demo2"), ("support", "support", None),
    ("orders-service", "service", None)])
def test_the_answer_says_whom_the_token_acts_as(api, login, role, merchant_id):
    """What a client shows (the console: a support queue or a merchant's requests) without reading the JWT."""
    from tests.conftest import PASSWORDS

    answer = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": PASSWORDS[login]})
    assert (answer.body["role"], answer.body["merchantId"]) == (role, merchant_id)


@pytest.mark.parametrize("credentials", [
    {"login": "demo", "password": "wrong"}, {"login": "nobody", "password": "demo-secret"},
    {"login": "demo", "password": "demo2-secret"}])
def test_wrong_credentials_are_401_102(api, credentials):
    answer = api.request("POST", "/v1/auth/token", json_body=credentials)
    assert answer.status == 401 and answer.codes == [102]


def test_token_request_fields_are_validated(api):
    answer = api.request("POST", "/v1/auth/token", json_body={"login": 5, "pass": "x"})
    assert answer.status == 400
    assert [e["message"] for e in answer.body["errors"]] == [
        "Invalid field value: login", "Invalid field value: password", "Invalid field value: pass"]


def test_a_token_request_that_is_not_json_is_110(api):
    answer = api.request("POST", "/v1/auth/token", raw=b"login=demo",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 400 and answer.codes == [110]


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer abc.def.ghi", "Basic ZGVtbzpkZW1v"])
def test_routes_without_a_valid_token_are_401(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = api.request("GET", "/v1/orders/1001", headers=headers)
    assert answer.status == 401
    assert answer.body == {"errors": [{"error": 101, "message": "Unsuccessful authorization."}]}


def test_a_role_a_route_never_serves_is_403_15120(api):
    assert api.request("PUT", "/v1/orders/x-1", json_body={}, login="demo").codes == [15120]
    answer = api.request("POST", "/v1/order/1001/refund", json_body={"email": "a@b.co"}, login="orders-service")
    assert answer.status == 403 and answer.codes == [15120]
    assert api.request("POST", "/v1/order/1001/refund", json_body={"email": "a@b.co"}, login="support").status == 403


def _merchant_login(api, admin):
    merchant_id, login = f"m-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    assert token.status == 200
    return merchant_id, login, token.body["token"]


def test_a_login_of_an_unknown_merchant_gets_no_token_and_a_token_of_it_is_15000(api, admin):
    login = f"u-{uuid.uuid4().hex[:8]}"
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, f"m-{uuid.uuid4().hex[:8]}")
    refused = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    assert refused.status == 401 and refused.codes == [102]
    # A token signed for it anyway (as one minted before its merchant went away) is 15000.
    from localrun.tokens import issue_local_token

    token = issue_local_token(login)
    answer = api.request("POST", "/v1/order/1001/refund", json_body={"email": "a@b.co"}, token=token)
    assert answer.status == 400
    assert answer.body == {"errors": [{"error": 15000, "message": (
        "Unable to identify your configuration for accessing this API. Please contact technical support.")}]}


def test_a_valid_token_of_a_disabled_merchant_is_15000_and_its_logins_get_no_new_one(api, admin):
    merchant_id, login, token = _merchant_login(api, admin)
    admin.set_merchant_disabled(merchant_id, True)
    assert api.request("GET", "/v1/orders/1001", token=token).codes == [15000]
    again = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    assert again.status == 401 and again.codes == [102]


def test_a_disabled_login_can_neither_use_its_token_nor_get_a_new_one(api, admin):
    _, login, token = _merchant_login(api, admin)
    admin.set_login_disabled(login, True)
    assert api.request("GET", "/v1/orders/1001", token=token).codes == [15000]
    again = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    assert again.status == 401 and again.codes == [102]
