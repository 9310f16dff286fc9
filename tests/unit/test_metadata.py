"""A refund's metadata and reason codes: what a body may carry (the models'
case matrices), the merge a PATCH applies, and, through the routes' own
handlers in this process (against the runtime's AWS), who may set them and
what a refused change writes (nothing)."""

from __future__ import annotations

import uuid

import pytest

from refunds_core.errors import FieldErrors
from refunds_core.logic.metadata import is_change, merged
from refunds_core.models import CreateRefundRequest, MetadataUpdate
from refunds_core.reasons import DECLINE_REASONS, REFUND_REASONS
from refunds_core.validation import parse

CREATE = {"email": "merchant@example.com"}


def bad_fields(model, body: dict) -> list[str]:
    with pytest.raises(FieldErrors) as caught:
        parse(model, body)
    return caught.value.fields


# ------------------------------------------------------------ the models

@pytest.mark.parametrize("metadata", [
    {},
    {"erpReference": "ERP-1"},
    {f"k{i}": "v" for i in range(20)},                   # 20 keys
    {"k" * 40: "v" * 500},                               # the longest key and value
    {"clé": "värde 値", "a b": ""},                      # characters, not bytes; a value may be empty
    {"=SUM(A1)": "+1", "@x": "-2"},                      # stored as sent (the export neutralises them)
], ids=["none", "one", "20 keys", "longest", "unicode", "formula-like"])
def test_metadata_at_creation_within_the_limits_is_kept_as_sent(metadata):
    assert parse(CreateRefundRequest, {**CREATE, "metadata": metadata}).metadata == metadata


@pytest.mark.parametrize(("metadata", "field"), [
    ({f"k{i}": "v" for i in range(21)}, "metadata"),   # 21 keys
    ({"k" * 41: "v"}, "metadata"),                      # a key of 41 characters: the key is not echoed
    ({"": "v"}, "metadata"),
    ({"  ": "v"}, "metadata"),
    ({"a\nb": "v"}, "metadata"),                        # a control character in a key
    ({"note": "v" * 501}, "metadata.note"),
    ({"note": 1}, "metadata.note"),                     # values are strings
    ({"note": None}, "metadata.note"),                  # null removes, and there is nothing to remove yet
    ({"note": {"nested": "x"}}, "metadata.note"),
    ({"note": "a\0b"}, "metadata.note"),
    (None, "metadata"),
    ([], "metadata"),
    ("erp=1", "metadata"),
])
def test_metadata_outside_the_limits_is_15010(metadata, field):
    assert bad_fields(CreateRefundRequest, {**CREATE, "metadata": metadata}) == [field]


@pytest.mark.parametrize("reason", REFUND_REASONS)
def test_each_reason_code_is_accepted_beside_a_description(reason):
    request = parse(CreateRefundRequest, {**CREATE, "reason": reason, "description": "The box was crushed"})
    assert (request.reason, request.description) == (reason, "The box was crushed")


@pytest.mark.parametrize("reason", ["Damaged", "damaged ", "", "return_period_ended", None, 1, ["damaged"]])
def test_a_reason_outside_the_list_is_15010(reason):
    assert bad_fields(CreateRefundRequest, {**CREATE, "reason": reason}) == ["reason"]


def test_reason_and_metadata_are_optional():
    request = parse(CreateRefundRequest, CREATE)
    assert (request.reason, request.metadata) == (None, None)


def test_the_lists_of_codes_are_the_documented_ones():
    assert REFUND_REASONS == ("requested_by_customer", "damaged", "wrong_item", "not_as_described", "duplicate",
                              "fraudulent", "other")
    assert DECLINE_REASONS == ("return_period_ended", "final_sale", "not_eligible", "other")


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["metadata"]),
    ({"metadata": None}, ["metadata"]),
    ({"metadata": {"a": 1}}, ["metadata.a"]),
    ({"metadata": {f"k{i}": None for i in range(41)}}, ["metadata"]),  # at most 20 set and 20 removed at once
    ({"metadata": {}, "status": "ISSUED"}, ["status"]),
])
def test_a_bad_change_is_15010(body, fields):
    assert bad_fields(MetadataUpdate, body) == fields


def test_a_change_sets_with_strings_and_removes_with_null():
    change = parse(MetadataUpdate, {"metadata": {**{f"k{i}": "v" for i in range(20)},
                                                 **{f"gone{i}": None for i in range(20)}}})
    assert len(change.metadata) == 40 and change.metadata["gone0"] is None


# --------------------------------------------------------------- the merge

@pytest.mark.parametrize(("stored", "changes", "result"), [
    (None, {"a": "1"}, {"a": "1"}),
    ({"a": "1", "b": "2"}, {"b": "3"}, {"a": "1", "b": "3"}),           # set one, keep the other
    ({"a": "1", "b": "2"}, {"a": None}, {"b": "2"}),                    # remove one
    ({"a": "1"}, {"missing": None}, {"a": "1"}),                        # removing what is not there: nothing
    ({"a": "1"}, {}, {"a": "1"}),
    ({"a": "1"}, {"a": None, "b": "2"}, {"b": "2"}),
])
def test_a_change_merges_into_what_is_stored(stored, changes, result):
    assert merged(stored, changes) == result


@pytest.mark.parametrize(("body", "change"), [
    ({"metadata": {}}, True),
    ({"metadata": {}, "action": "APPROVE"}, False),  # an action's body: its unknown field, 15010
    ({"action": "APPROVE"}, False),
    ({}, False),                                     # 15010 action, as before metadata existed
])
def test_a_body_without_action_and_with_metadata_is_a_metadata_change(body, change):
    assert is_change(body) is change


# ------------------------------------------------- through the handlers

@pytest.fixture(scope="module")
def refund(handlers) -> dict:
    answer = handlers.request("POST", f"/v1/order/{handlers.paid_order()}/refund", login="demo",
                              json_body={**CREATE, "reason": "damaged", "metadata": {"erp": "E-1", "store": "Lyon"}})
    assert answer.status == 200, answer
    return answer.body["data"]


def patch(handlers, refund_id: str, metadata: dict, login: str = "demo", **headers):
    return handlers.request("PATCH", f"/v1/refunds/{refund_id}", json_body={"metadata": metadata}, login=login,
                            headers=headers)


@pytest.mark.server
def test_a_refund_shows_its_reason_and_metadata_from_creation(refund):
    assert (refund["reason"], refund["metadata"], refund["declineReason"]) == (
        "damaged", {"erp": "E-1", "store": "Lyon"}, None)


@pytest.mark.server
def test_a_customer_may_give_a_reason_but_not_metadata(handlers):
    token = handlers.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"},
                             login="demo").body["token"]
    order = handlers.paid_order()
    refused = handlers.request("POST", f"/v1/order/{order}/refund", token=token,
                               json_body={**CREATE, "metadata": {"erp": "E-1"}})
    assert (refused.status, refused.codes, refused.body["errors"][0]["message"]) == (
        400, [15010], "Invalid field value: metadata")
    assert refused.writes == []
    created = handlers.request("POST", f"/v1/order/{order}/refund", token=token,
                               json_body={**CREATE, "reason": "wrong_item"})
    assert (created.status, created.body["data"]["reason"], created.body["data"]["metadata"]) == (
        200, "wrong_item", {})


@pytest.mark.server
def test_support_reads_metadata_but_may_not_change_it(handlers, refund):
    assert handlers.request("GET", f"/v1/refunds/{refund['id']}", login="support").body["data"]["metadata"]
    answer = patch(handlers, refund["id"], {"erp": "X"}, login="support")
    assert (answer.status, answer.codes, answer.writes) == (403, [15120], [])


@pytest.mark.server
def test_a_customer_may_not_change_metadata_even_of_its_own_refund(handlers, refund):
    token = handlers.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"},
                             login="demo").body["token"]
    answer = handlers.request("PATCH", f"/v1/refunds/{refund['id']}", json_body={"metadata": {"erp": "X"}},
                              token=token)
    assert (answer.status, answer.codes, answer.writes) == (403, [15120], [])


@pytest.mark.server
def test_another_merchants_refund_is_404_and_untouched(handlers, refund):
    answer = patch(handlers, refund["id"], {"erp": "X"}, login="demo2")
    assert (answer.status, answer.codes, answer.writes) == (404, [15070], [])
    assert handlers.request("GET", f"/v1/refunds/{refund['id']}", login="demo").body["data"]["metadata"]["erp"] == "E-1"


@pytest.mark.server
def test_a_change_past_20_keys_is_15010_and_writes_nothing(handlers, refund):
    answer = patch(handlers, refund["id"], {f"k{i}": "v" for i in range(19)})  # 2 stored + 19 = 21
    assert (answer.status, answer.codes, answer.writes) == (400, [15010], [])
    assert answer.body["errors"][0]["message"].startswith("Invalid field value: metadata. A refund holds at most 20")
    # Removing as many in the same request fits.
    fits = patch(handlers, refund["id"], {**{f"k{i}": "v" for i in range(19)}, "erp": None, "store": None})
    assert fits.status == 200 and len(fits.body["data"]["metadata"]) == 19
    patch(handlers, refund["id"], {**{f"k{i}": None for i in range(19)}, "erp": "E-1", "store": "Lyon"})


@pytest.mark.server
def test_an_action_with_metadata_is_15010_metadata(handlers, refund):
    answer = handlers.request("PATCH", f"/v1/refunds/{refund['id']}", login="support",
                              json_body={"action": "APPROVE", "metadata": {"erp": "X"}})
    assert (answer.status, answer.codes, answer.writes) == (400, [15010], [])
    assert answer.body["errors"][0]["message"] == "Invalid field value: metadata"


@pytest.mark.server
def test_a_change_writes_the_refund_alone_and_keeps_its_version(handlers, refund, dynamodb, table_name):
    key = f"meta-{uuid.uuid4()}"
    answer = patch(handlers, refund["id"], {"erp": "E-2"}, **{"Idempotency-Key": key})
    assert answer.status == 200 and answer.body["data"]["metadata"] == {"erp": "E-2", "store": "Lyon"}
    stored = dynamodb.get_item(TableName=table_name, Key={"PK": {"S": f"REFUND#{refund['id']}"},
                                                          "SK": {"S": "REFUND"}})["Item"]
    assert stored["version"] == {"N": "1"} and stored["status"] == {"S": "REQUESTED"}  # no transition, no event
    assert [operation for operation, _ in answer.writes if operation == "TransactWriteItems"] == [
        "TransactWriteItems"]
