"""Idempotency-Key through the local API (refunds_core/idempotency.py, on
Powertools' idempotency utility and the template's IdempotencyTable).

Every test uses keys of its own (uuid4), so records of other tests never meet
it. The in-flight case is made deterministic by writing the first request's
INPROGRESS record beforehand through Powertools' own persistence layer, as the
first request's function would have.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from refunds_core import idempotency, idempotency_store
from refunds_core.callers import Caller, Role
from tests.integration.test_lifecycle_api import customer_token

pytestmark = pytest.mark.server

REUSED = {"errors": [{"error": 15130, "message": "Idempotency-Key was already used for a different request."}]}
IN_FLIGHT = {"errors": [{"error": 15140, "message": "A request with this Idempotency-Key is still being processed."}]}
BAD_KEY = {"errors": [{"error": 15010, "message": "Invalid field value: Idempotency-Key"}]}
DEMO = Caller("demo", Role.MERCHANT, "demo")
REFUND = {"email": "merchant@example.com", "description": "Wrong size"}


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


def with_key(key: str) -> dict:
    return {"Idempotency-Key": key}


def replayed(answer) -> bool:
    return answer.headers.get("idempotent-replayed") == "true"


def order_refunds(api, order_id: str, login: str = "demo") -> list[dict]:
    answer = api.request("GET", f"/v1/refunds?orderId={order_id}", login=login)
    assert answer.status == 200, answer
    return answer.body["data"]


@pytest.fixture
def persistence(runtime, dynamodb):
    """Powertools' persistence layer on the runtime's IdempotencyTable, set up as the functions set it up."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    layer = DynamoDBPersistenceLayer(table_name=runtime.physical_ids["IdempotencyTable"], boto3_client=dynamodb)
    layer.configure(config=idempotency._config(), key_prefix=idempotency.KEY_PREFIX)
    return layer


# ------------------------------------------------------------------ replays

def test_a_repeat_answers_the_first_response_again_and_creates_nothing(api):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"
    first = api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key))
    assert first.status == 200, first
    assert not replayed(first)

    # The same JSON, re-serialised with other key order and spacing, is the same request.
    again = api.request("POST", path, raw=b'{ "description": "Wrong size",\n  "email": "merchant@example.com" }',
                        login="demo", headers={**with_key(key), "Content-Type": "application/json"})
    assert again.status == 200 and replayed(again)
    assert again.body == first.body
    # Had the route run again it would have answered 15050 (the order's request is open).
    assert [r["id"] for r in order_refunds(api, order_id)] == [first.body["data"]["id"]]


def test_without_the_header_a_repeat_runs_again(api):
    order_id = api.paid_order()
    first = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo")
    second = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo")
    assert first.status == 200 and second.codes == [15050]
    assert not replayed(first) and not replayed(second)


def test_patch_and_delete_are_replayed_without_acting_twice(api):
    order_id = api.paid_order()
    refund = api.request("POST", f"/v1/order/{order_id}/refund", json_body={**REFUND, "refundOnly": False},
                         login="demo").body["data"]
    ship, cancel = new_key(), new_key()
    shipment = {"action": "SHIP_INIT", "trackingId": "1Z999AA10123456784", "carrierName": "UPS"}
    shipped = api.request("PATCH", f"/v1/refunds/{refund['id']}", json_body=shipment, login="demo",
                          headers=with_key(ship))
    assert shipped.status == 200, shipped
    shipped_again = api.request("PATCH", f"/v1/refunds/{refund['id']}", json_body=shipment, login="demo",
                                headers=with_key(ship))
    assert shipped_again.status == 200 and replayed(shipped_again) and shipped_again.body == shipped.body

    cancelled = api.request("DELETE", f"/v1/refunds/{refund['id']}", login="demo", headers=with_key(cancel))
    assert cancelled.status == 200 and cancelled.body["data"]["status"] == "CANCELLED"
    # Without the key a second cancel is 15080 (already CANCELLED); with it, the first answer.
    cancelled_again = api.request("DELETE", f"/v1/refunds/{refund['id']}", login="demo", headers=with_key(cancel))
    assert cancelled_again.status == 200 and replayed(cancelled_again) and cancelled_again.body == cancelled.body

    history = api.request("GET", f"/v1/refunds/{refund['id']}", login="demo").body["data"]["history"]
    assert [entry["action"] for entry in history] == ["CREATE", "SHIP_INIT", "CANCEL"]


def test_a_business_refusal_is_stored_and_replayed(api):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"
    opened = api.request("POST", path, json_body=REFUND, login="demo")
    refused = api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key))
    assert refused.codes == [15050] and refused.status == 400

    # The order is free again, yet the key answers what it answered: the request is not run twice.
    assert api.request("DELETE", f"/v1/refunds/{opened.body['data']['id']}", login="demo").status == 200
    again = api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key))
    assert again.status == 400 and again.body == refused.body and replayed(again)
    assert len(order_refunds(api, order_id)) == 1


def test_concurrent_repeats_open_one_refund_and_answer_it_or_409(api):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"

    def send(_):
        return api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(8)))
    assert {a.status for a in answers} <= {200, 409}, answers
    created = [a for a in answers if a.status == 200]
    assert created and all(a.body == created[0].body for a in created)
    assert all(a.body == IN_FLIGHT and int(a.headers["retry-after"]) >= 1 for a in answers if a.status == 409)
    assert [r["id"] for r in order_refunds(api, order_id)] == [created[0].body["data"]["id"]]


# ------------------------------------------------------- a key's other uses

def test_the_same_key_with_another_body_is_15130_and_changes_nothing(api):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"
    first = api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key))
    other = api.request("POST", path, json_body={**REFUND, "description": "Other"}, login="demo",
                        headers=with_key(key))
    assert first.status == 200
    assert (other.status, other.body) == (422, REUSED)
    assert len(order_refunds(api, order_id)) == 1


def test_the_same_key_on_another_route_is_15130(api):
    order_id, key = api.paid_order(), new_key()
    first = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo",
                        headers=with_key(key))
    refund_id = first.body["data"]["id"]
    # Another function (CancelRefundFunction), another method and path: the record is shared.
    cancel = api.request("DELETE", f"/v1/refunds/{refund_id}", login="demo", headers=with_key(key))
    assert (cancel.status, cancel.body) == (422, REUSED)
    # Preview stores nothing (it writes nothing): its answer is always today's figures.
    preview = api.request("POST", f"/v1/order/{order_id}/refund/preview", json_body=REFUND, login="demo",
                          headers=with_key(key))
    assert preview.status == 200 and not replayed(preview)
    assert api.request("GET", f"/v1/refunds/{refund_id}", login="demo").body["data"]["status"] == "REQUESTED"


def test_keys_are_per_caller_merchants_and_customers_do_not_share_them(api):
    key = new_key()
    demo_order, demo2_order = api.paid_order(), api.paid_order(merchant_id="demo2")
    demo = api.request("POST", f"/v1/order/{demo_order}/refund", json_body=REFUND, login="demo",
                       headers=with_key(key))
    demo2 = api.request("POST", f"/v1/order/{demo2_order}/refund", json_body=REFUND, login="demo2",
                        headers=with_key(key))
    assert demo.status == demo2.status == 200
    assert not replayed(demo2) and demo2.body["data"]["merchantId"] == "demo2"

    # demo's customer cust-1 with the same key: its own record, not demo's answer nor a 15130.
    customer_order = api.paid_order()
    customer = api.request("POST", f"/v1/order/{customer_order}/refund", json_body=REFUND,
                           token=customer_token(api), headers=with_key(key))
    assert customer.status == 200 and not replayed(customer)
    assert customer.body["data"]["requester"] == "customer:cust-1"


# ------------------------------------------------------- what is not stored

@pytest.mark.parametrize(("bad", "content_type", "code"), [
    (json.dumps({**REFUND, "email": "not-an-email"}).encode(), "application/json", 15010),
    (b"{not json", "application/json", 110),
    (json.dumps(REFUND).encode(), "text/plain", 111),
])
def test_a_request_that_failed_validation_may_be_sent_again_fixed_with_the_same_key(api, bad, content_type, code):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"
    failed = api.request("POST", path, raw=bad, login="demo", headers={**with_key(key), "Content-Type": content_type})
    assert failed.codes == [code]
    fixed = api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key))
    assert fixed.status == 200 and not replayed(fixed), fixed
    assert api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key)).body == fixed.body


def test_an_auth_failure_never_reaches_the_store(api):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"
    assert api.request("POST", path, json_body=REFUND, headers=with_key(key)).codes == [101]
    assert api.request("POST", path, json_body=REFUND, login="support", headers=with_key(key)).codes == [15120]
    assert api.request("POST", path, json_body=REFUND, login="demo", headers=with_key(key)).status == 200


# ------------------------------------------------------- the account

@pytest.mark.parametrize("disabled", ["login", "merchant"])
def test_a_disabled_account_gets_no_stored_answer(api, admin, disabled):
    """Every login of a merchant shares its keys, so another login's token
    would be answered from the first login's record; once that login (or the
    merchant) is disabled it gets 15000 instead. The other login's token has
    never reached CreateRefundFunction, so no cached "active" answer (1 s)
    stands in for the check."""
    merchant_id, password = f"m-{uuid.uuid4().hex[:8]}", "a-long-password"
    first_login, other_login = f"u-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    tokens = {}
    for login in (first_login, other_login):
        admin.create_login(login, password, admin.Role.MERCHANT, merchant_id)
        minted = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": password})
        assert minted.status == 200, minted
        tokens[login] = minted.body["token"]
    order_id, key = api.paid_order(merchant_id=merchant_id), new_key()
    path = f"/v1/order/{order_id}/refund"
    first = api.request("POST", path, json_body=REFUND, token=tokens[first_login], headers=with_key(key))
    assert first.status == 200, first

    if disabled == "login":
        admin.set_login_disabled(other_login, True)
    else:
        admin.set_merchant_disabled(merchant_id, True)
    again = api.request("POST", path, json_body=REFUND, token=tokens[other_login], headers=with_key(key))
    assert again.status == 400 and again.codes == [15000] and not replayed(again), again


# ----------------------------------------------------------------- in flight

def test_a_key_whose_first_request_is_in_flight_is_409_with_retry_after(api, persistence):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"
    body = json.dumps(REFUND)
    persistence.save_inprogress(data=idempotency.record_data(DEMO, key, "POST", path, body),
                                remaining_time_in_millis=60_000)

    answer = api.request("POST", path, raw=body.encode(), login="demo",
                         headers={**with_key(key), "Content-Type": "application/json"})
    assert (answer.status, answer.body) == (409, IN_FLIGHT)
    assert int(answer.headers["retry-after"]) >= 1
    assert order_refunds(api, order_id) == []  # the route did not run
    # Another request with the key while it is in flight is still a 15130.
    other = api.request("POST", path, json_body={**REFUND, "description": "Other"}, login="demo",
                        headers=with_key(key))
    assert (other.status, other.body) == (422, REUSED)


def test_the_record_of_an_invocation_that_died_stops_blocking_when_its_time_is_over(api, persistence):
    order_id, key = api.paid_order(), new_key()
    path = f"/v1/order/{order_id}/refund"
    body = json.dumps(REFUND)
    # The first invocation's Lambda time ran out a second ago without an answer being stored.
    persistence.save_inprogress(data=idempotency.record_data(DEMO, key, "POST", path, body),
                                remaining_time_in_millis=-1_000)
    answer = api.request("POST", path, raw=body.encode(), login="demo",
                         headers={**with_key(key), "Content-Type": "application/json"})
    assert answer.status == 200 and not replayed(answer), answer


# ------------------------------------------------- the store failing

def _create_with_store_failing(api, runtime, key: str, failures: int,
                               code: str = "ProvisionedThroughputExceededException"):
    """Open a refund with an Idempotency-Key while IdempotencyTable refuses the
    first ``failures`` UpdateItem calls (a throttled save is three botocore
    attempts; one that is refused for good, one)."""
    order_id = api.paid_order()
    faults = runtime.aws.faults
    refused = faults.inject("dynamodb", "UpdateItem", code, times=failures, match=f"{idempotency.KEY_PREFIX}#")
    try:
        first = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo",
                            headers=with_key(key))
    finally:
        faults.clear()
    assert refused.hits == failures
    return order_id, first


def test_an_answer_whose_save_failed_once_is_saved_again_and_replayed(api, runtime):
    """The route opened the refund, then the store refused the answer through
    botocore's three attempts: the save is tried again, so a client that lost
    the first answer gets it back with the key, not a 15050."""
    key = new_key()
    order_id, first = _create_with_store_failing(api, runtime, key, failures=3)
    assert first.status == 200 and not replayed(first), first
    again = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo",
                        headers=with_key(key))
    assert (again.status, again.body) == (200, first.body) and replayed(again), again
    assert [r["id"] for r in order_refunds(api, order_id)] == [first.body["data"]["id"]]


def test_an_answer_the_store_could_not_keep_is_still_sent_and_frees_the_key(api, runtime):
    """The store refused every save: the client still gets the route's answer,
    not a 500 saying nothing changed; the record is deleted, so the key is not
    stuck in flight: a repeat is judged afresh, as without a key (15050: the
    order's request is open), and opens nothing."""
    key = new_key()
    # Refused for good, not throttled: botocore's backoff between throttled
    # attempts is random, and three throttled saves could leave less than the
    # 4 s the deletion needs (then the key stays in flight until the
    # invocation's time is over, which this test cannot wait for).
    order_id, first = _create_with_store_failing(api, runtime, key, failures=1 + idempotency_store.SAVE_RETRIES,
                                                 code="ValidationException")
    assert first.status == 200 and not replayed(first), first
    assert [r["id"] for r in order_refunds(api, order_id)] == [first.body["data"]["id"]]

    again = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo",
                        headers=with_key(key))
    assert again.status == 400 and again.codes == [15050] and not replayed(again), again
    assert len(order_refunds(api, order_id)) == 1


# ------------------------------------------------------------- credentials

def test_a_webhook_secret_is_shown_once_and_never_stored(api, persistence):
    key, rotate_key = new_key(), new_key()
    body = {"url": f"http://127.0.0.1:9/hooks/{uuid.uuid4().hex[:8]}", "events": ["refund.issued"]}
    created = api.request("POST", "/v1/webhooks", json_body=body, login="demo", headers=with_key(key))
    assert created.status == 201 and created.body["data"]["secret"].startswith("whsec_"), created
    webhook_id = created.body["data"]["id"]
    try:
        again = api.request("POST", "/v1/webhooks", json_body=body, login="demo", headers=with_key(key))
        assert again.status == 201 and replayed(again)
        assert again.body == {"data": {**created.body["data"], "secret": None}}

        rotated = api.request("POST", f"/v1/webhooks/{webhook_id}/rotate-secret", login="demo",
                              headers=with_key(rotate_key))
        rotated_again = api.request("POST", f"/v1/webhooks/{webhook_id}/rotate-secret", login="demo",
                                    headers=with_key(rotate_key))
        assert rotated.status == rotated_again.status == 200 and replayed(rotated_again)
        assert rotated_again.body == {"data": {**rotated.body["data"], "secret": None}}

        # What the table holds: the answers without either secret.
        for data in (idempotency.record_data(DEMO, key, "POST", "/v1/webhooks", json.dumps(body)),
                     idempotency.record_data(DEMO, rotate_key, "POST", f"/v1/webhooks/{webhook_id}/rotate-secret",
                                             None)):
            record = persistence.get_record(data=data)
            assert record.status == "COMPLETED" and webhook_id in record.response_data
            assert "whsec_" not in record.response_data
    finally:
        api.request("DELETE", f"/v1/webhooks/{webhook_id}", login="demo")


def test_an_api_key_is_shown_once_and_its_revocation_replays(api, persistence):
    key, revoke_key = new_key(), new_key()
    body = {"name": "idempotent"}
    created = api.request("POST", "/v1/api-keys", json_body=body, login="demo", headers=with_key(key))
    assert created.status == 201 and created.body["data"]["key"].startswith("rrk_live_"), created
    key_id, secret = created.body["data"]["id"], created.body["data"]["key"]
    try:
        again = api.request("POST", "/v1/api-keys", json_body=body, login="demo", headers=with_key(key))
        assert again.status == 201 and replayed(again)
        assert again.body == {"data": {**created.body["data"], "key": None}}
        listed = api.request("GET", "/v1/api-keys", login="demo").body["data"]
        assert [k["id"] for k in listed].count(key_id) == 1 and len({k["id"] for k in listed}) == len(listed)
        record = persistence.get_record(data=idempotency.record_data(DEMO, key, "POST", "/v1/api-keys",
                                                                     json.dumps(body)))
        assert key_id in record.response_data and secret not in record.response_data
    finally:
        first = api.request("DELETE", f"/v1/api-keys/{key_id}", login="demo", headers=with_key(revoke_key))
        second = api.request("DELETE", f"/v1/api-keys/{key_id}", login="demo", headers=with_key(revoke_key))
    assert (first.status, second.status) == (204, 204) and replayed(second) and second.body is None
    assert api.request("DELETE", f"/v1/api-keys/{key_id}", login="demo").status == 404


def test_the_token_routes_store_nothing(api):
    key = new_key()
    login = {"login": "demo", "password": "demo-secret"}
    first = api.request("POST", "/v1/auth/token", json_body=login, headers=with_key(key))
    second = api.request("POST", "/v1/auth/token", json_body=login, headers=with_key(key))
    assert first.status == second.status == 200
    assert first.body["token"] != second.body["token"] and not replayed(second)
    # Nothing was stored, so another body with the key is no 15130 either.
    other = api.request("POST", "/v1/auth/token", json_body={"login": "demo2", "password": "demo2-secret"},
                        headers=with_key(key))
    assert other.status == 200

    minted = [api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-1"}, login="demo",
                          headers=with_key(key)) for _ in range(2)]
    assert [m.status for m in minted] == [200, 200] and not replayed(minted[1])
    assert minted[0].body["token"] != minted[1].body["token"]


# --------------------------------------------------------------- the header

@pytest.mark.parametrize("bad", ["", "x" * 256, "tab\there"], ids=["empty", "256 characters", "not printable"])
@pytest.mark.parametrize(("method", "path", "login"), [
    ("POST", "/v1/order/1001/refund", "demo"), ("DELETE", "/v1/refunds/rf_none", "demo"),
    ("POST", "/v1/auth/token", None)])
def test_a_malformed_key_is_15010_naming_the_header(api, bad, method, path, login):
    body = {"login": "demo", "password": "demo-secret"} if login is None else REFUND
    answer = api.request(method, path, json_body=body if method == "POST" else None, login=login,
                         headers=with_key(bad))
    assert (answer.status, answer.body) == (400, BAD_KEY)


def test_a_key_of_255_printable_characters_is_accepted(api):
    order_id, key = api.paid_order(), "~ !" + uuid.uuid4().hex + "k" * 220
    first = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo",
                        headers=with_key(key))
    again = api.request("POST", f"/v1/order/{order_id}/refund", json_body=REFUND, login="demo",
                        headers=with_key(key))
    assert first.status == 200 and again.body == first.body and replayed(again)
