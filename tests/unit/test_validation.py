import pytest
from pydantic import ValidationError

from refunds_core.errors import ApiError, FieldErrors
from refunds_core.models import CreateRefundRequest, OrderRequest
from refunds_core.validation import field_name, json_object, parse

JSON = "application/json"


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]", '"text"', "null", "{'a': 1}", '{"a": NaN}',
                                  "[" * 100_000 + "]" * 100_000])
def test_a_body_that_is_not_a_json_object_is_110(body):
    with pytest.raises(ApiError) as caught:
        json_object(body, JSON)
    assert caught.value.body() == {"errors": [{"error": 110, "message": "JSON is not valid."}]}


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/xml", "application/jsonx"])
def test_a_content_type_other_than_json_is_111(content_type):
    with pytest.raises(ApiError) as caught:
        json_object('{"email": "a@b.co"}', content_type)
    assert caught.value.entries == [(111, "Invalid data format (Content-type).")]


def test_110_is_checked_before_111():
    with pytest.raises(ApiError) as caught:
        json_object("garbage", "text/plain")
    assert caught.value.entries[0][0] == 110


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON;charset=UTF-8"])
def test_json_media_type_with_parameters_is_accepted(content_type):
    assert json_object('{"a": 1}', content_type) == {"a": 1}


def fields(model, data):
    with pytest.raises(FieldErrors) as caught:
        parse(model, data)
    return caught.value.fields


def test_email_is_required_and_each_bad_field_is_reported_once():
    assert fields(CreateRefundRequest, {}) == ["email"]
    assert fields(CreateRefundRequest, {"email": None, "description": None, "status": "ISSUED"}) == [
        "email", "description", "status"]


@pytest.mark.parametrize("email", ["plain", "a@b", "a@@b.co", "a b@c.co", "@b.co", "a@b.co.", 5,
                                   "x" * 75 + "@b.com"])
def test_invalid_emails_are_15010(email):
    assert fields(CreateRefundRequest, {"email": email}) == ["email"]


def test_limits_count_characters_not_bytes():
    parse(CreateRefundRequest, {"email": "merchant@gmail.com", "description": "Ошибка" * 83 + "ок"})  # 500 chars
    assert fields(CreateRefundRequest, {"email": "m@e.co", "description": "ё" * 501}) == ["description"]
    email = "x" * 70 + "@ex.com"  # 77 characters
    assert parse(CreateRefundRequest, {"email": email}).email == email


def test_order_errors_name_the_nested_field():
    order = {"merchantId": "demo", "number": "1", "status": "shipped", "currency": "usd",
             "lineItems": [{"itemId": "a", "name": "A", "quantity": "2", "unitPrice": 25.0}]}
    assert fields(OrderRequest, order) == ["status", "currency", "lineItems[0].quantity",
                                           "lineItems[0].unitPrice"]


def test_field_names_follow_the_json_path():
    assert field_name(("lineItems", 3, "tax")) == "lineItems[3].tax"
    assert field_name(("email",)) == "email"


def test_models_are_strict():
    with pytest.raises(ValidationError):
        CreateRefundRequest.model_validate({"email": "a@b.co", "description": 12})


@pytest.mark.parametrize("body", ['{"a": 1, "a": 1}', '{"a": {"b": 1, "b": 2}}', '[{"a": 1}, {"c": {"a": 1, "a": 1}}]',
                                  '{"a": "\\ud800"}', '{"\\udfff": 1}', '{"a": ["x\\udc00y"]}'])
def test_a_repeated_member_name_or_a_lone_surrogate_is_110(body):
    """Not I-JSON (RFC 7493): parsers disagree on the first, no UTF-8 carries the second."""
    with pytest.raises(ApiError) as caught:
        json_object(body, JSON)
    assert caught.value.entries == [(110, "JSON is not valid.")]


def test_a_surrogate_pair_is_one_character_and_fine():
    assert json_object('{"a": "\\ud83d\\ude00"}', JSON) == {"a": "\U0001F600"}


def test_a_nul_character_is_a_bad_value_of_its_field_reported_with_the_others():
    assert fields(CreateRefundRequest, {"email": "a@b.co", "description": "x\u0000y"}) == ["description"]
    assert fields(CreateRefundRequest, {"email": 5, "description": "\u0000"}) == ["email", "description"]
    order = {"merchantId": "demo", "number": "SO-1", "status": "paid", "currency": "USD",
             "lineItems": [{"itemId": "a", "name": "A\u0000", "quantity": 1, "unitPrice": "1.00"}]}
    assert fields(OrderRequest, order) == ["lineItems[0].name"]
