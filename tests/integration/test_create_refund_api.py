"""POST /v1/order/{orderId}/refund: every rule and code of the primary contract (seeds 000/001)."""

from decimal import Decimal

import pytest

pytestmark = pytest.mark.server

EMAIL = {"email": "merchant@gmail.com"}


def refund(api, order_id, body=EMAIL, login="demo", **kwargs):
    return api.request("POST", f"/v1/order/{order_id}/refund", json_body=body, login=login, **kwargs)


def test_a_paid_order_gets_a_refund_request(api):
    order_id = api.paid_order()
    answer = refund(api, order_id, {"description": "Wrong product", "email": "merchant@gmail.com"})
    assert answer.status == 200
    data = answer.body["data"]
    assert data["id"].startswith("rf_") and data["orderId"] == order_id
    assert data["status"] == "REQUESTED"
    assert (data["amount"], data["currency"]) == ("59.50", "USD")
    assert data["description"] == "Wrong product" and data["email"] == "merchant@gmail.com"
    assert data["createdAt"] == data["updatedAt"] and data["createdAt"].endswith("Z")
    assert answer.headers["content-type"] == "application/json"


def test_description_is_optional_and_utf_is_supported(api):
    assert refund(api, api.paid_order()).body["data"]["description"] is None
    text = "Ошибка при выборе продукта 😀" * 17  # 493 characters, far more bytes
    assert refund(api, api.paid_order(), {"email": "m@example.com", "description": text}).body[
        "data"]["description"] == text


def test_second_request_while_one_is_open_is_15050(api):
    order_id = api.paid_order()
    assert refund(api, order_id).status == 200
    answer = refund(api, order_id)
    assert answer.status == 400
    assert answer.body == {"errors": [{"error": 15050, "message":
                                       "Order refund is impossible. Order refund request already exists."}]}


@pytest.mark.parametrize("status", ["pending", "cancelled"])
def test_an_order_that_is_not_paid_is_15030(api, status):
    answer = refund(api, api.paid_order(status=status))
    assert answer.status == 400
    assert answer.body == {"errors": [{"error": 15030, "message":
                                       'Order refund is impossible. Order status is not equal to "paid".'}]}


def test_a_zero_total_order_is_15040(api):
    free = [{"itemId": "gift", "name": "Gift", "quantity": 1, "unitPrice": "0.00"}]
    answer = refund(api, api.paid_order(lineItems=free, shipping={"price": "0", "tax": "0"}))
    assert answer.status == 400 and answer.codes == [15040]


def test_unknown_and_foreign_orders_are_15060(api):
    for order_id in ("does-not-exist", api.paid_order(merchant_id="demo2"), "bad%20id%20with%20spaces"):
        answer = refund(api, order_id)
        assert answer.status == 404
        assert answer.body == {"errors": [{"error": 15060, "message": "Order refund is impossible. Order not found."}]}


def test_field_errors_accumulate_one_per_field(api):
    order_id = api.paid_order()
    answer = refund(api, order_id, {"email": "not-an-email", "description": "x" * 501, "status": "ISSUED",
                                    "refundOnly": None})
    assert answer.status == 400
    assert answer.body["errors"] == [{"error": 15010, "message": f"Invalid field value: {f}"}
                                     for f in ("email", "description", "refundOnly", "status")]
    # Nothing was opened: a valid request still succeeds.
    assert refund(api, order_id).status == 200


@pytest.mark.parametrize(("body", "field"), [
    ({}, "email"), ({"email": None}, "email"), ({"email": 42}, "email"), ({"email": "a" * 75 + "@b.com"}, "email"),
    ({"email": "m@e.co", "description": None}, "description"), ({"email": "m@e.co", "description": ["x"]},
                                                                "description"),
    ({"email": "m@e.co", "Email": "m@e.co"}, "Email"),
])
def test_each_invalid_field_is_15010(api, body, field):
    answer = refund(api, api.paid_order(), body)
    assert answer.body["errors"] == [{"error": 15010, "message": f"Invalid field value: {field}"}]


# ------------------------------------------------------- order of checks

def test_401_comes_before_anything_in_the_body(api):
    answer = api.request("POST", "/v1/order/1001/refund", raw=b"{", headers={"Content-Type": "text/plain"})
    assert answer.status == 401 and answer.codes == [101]


def test_110_comes_before_111(api):
    answer = refund(api, api.paid_order(), body=None, raw=b"{not json", headers={"Content-Type": "text/plain"})
    assert answer.codes == [110]


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"string"', b"", b"\xff\xfe{}"])
def test_a_body_that_is_not_a_json_object_is_110(api, raw):
    answer = api.request("POST", f"/v1/order/{api.paid_order()}/refund", raw=raw, login="demo",
                         headers={"Content-Type": "application/json"})
    assert answer.status == 400 and answer.body == {"errors": [{"error": 110, "message": "JSON is not valid."}]}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_content_type_other_than_json_is_111(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = api.request("POST", f"/v1/order/{api.paid_order()}/refund", raw=b'{"email": "m@e.co"}',
                         login="demo", headers=headers)
    assert answer.status == 400
    assert answer.body == {"errors": [{"error": 111, "message": "Invalid data format (Content-type)."}]}


def test_json_with_a_charset_is_accepted(api):
    answer = api.request("POST", f"/v1/order/{api.paid_order()}/refund", raw=b'{"email": "m@e.co"}',
                         login="demo", headers={"Content-Type": "application/json; charset=utf-8"})
    assert answer.status == 200


def test_111_comes_before_15000(api, admin):
    token = _unknown_merchant_token(api, admin)
    answer = api.request("POST", "/v1/order/1001/refund", raw=b"{}", token=token,
                         headers={"Content-Type": "text/plain"})
    assert answer.codes == [111]


def test_15000_comes_before_the_order_rules(api, admin):
    token = _unknown_merchant_token(api, admin)
    answer = api.request("POST", "/v1/order/does-not-exist/refund", json_body={}, token=token)
    assert answer.codes == [15000]


def test_order_rules_come_before_field_errors(api):
    assert refund(api, "does-not-exist", {"email": None}).codes == [15060]
    assert refund(api, api.paid_order(status="pending"), {"bad": 1}).codes == [15030]
    order_id = api.paid_order()
    refund(api, order_id)
    assert refund(api, order_id, {"email": None}).codes == [15050]


def test_status_is_checked_before_the_amount(api):
    free = [{"itemId": "gift", "name": "Gift", "quantity": 1, "unitPrice": "0.00"}]
    order_id = api.paid_order(status="cancelled", lineItems=free, shipping={"price": "0", "tax": "0"})
    assert refund(api, order_id).codes == [15030]


def _unknown_merchant_token(api, admin):
    """A token signed for a login whose merchant does not exist (POST
    /v1/auth/token mints none for it; one minted before the merchant went away)."""
    import uuid

    from localrun.tokens import issue_local_token

    login = f"ghost-{uuid.uuid4().hex[:8]}"
    admin.create_login(login, "ghost-password", admin.Role.MERCHANT, f"gone-{login}")
    return issue_local_token(login)


def test_an_encoded_order_id_means_the_decoded_one(api):
    order_id = f"{api.paid_order()}"
    colon_id = order_id.replace("o-", "o:")
    api.put_order(colon_id)
    assert refund(api, colon_id.replace(":", "%3A")).status == 200


def test_the_order_system_cancelling_an_order_with_an_open_request_makes_it_15030(api):
    order_id = api.paid_order()
    assert refund(api, order_id).status == 200
    api.put_order(order_id, status="cancelled")
    assert refund(api, order_id).codes == [15030]  # 15030 is checked before 15050


def test_an_order_cannot_be_zeroed_under_an_open_request(api):
    order_id = api.paid_order()
    assert refund(api, order_id).status == 200
    free = [{"itemId": "gift", "name": "Gift", "quantity": 1, "unitPrice": "0.00"}]
    _, answer = api.put_order(order_id, lineItems=free, shipping={"price": "0", "tax": "0"})
    assert answer.status == 409 and answer.codes == [15210]  # the request's amounts were computed from the lines
    assert refund(api, order_id).codes == [15050]


def test_a_zero_order_with_an_open_request_is_15040_before_15050():
    # Not reachable through PUT any more (the lines are frozen under a request);
    # the contract's order of checks still holds for the order as stored.
    from refunds_core.logic.refunds import refusal

    order = {"merchantId": "demo", "status": "paid", "totals": {"total": Decimal(0)}, "openRefundId": "rf_x"}
    assert refusal(order, "demo").entries[0][0] == 15040
    assert refusal({**order, "status": "cancelled"}, "demo").entries[0][0] == 15030
    assert refusal(order, "demo2").entries[0][0] == 15060


def test_a_number_too_long_for_python_is_a_bad_field_not_bad_json(api):
    answer = api.request("POST", f"/v1/order/{api.paid_order()}/refund", login="demo",
                         raw=b'{"email": ' + b"9" * 5000 + b"}", headers={"Content-Type": "application/json"})
    assert answer.body["errors"] == [{"error": 15010, "message": "Invalid field value: email"}]
