"""GET, PATCH and DELETE /v1/refunds/{refundId}: the state machine of issue 3,
every allowed and every refused transition, the order's lock, the history,
tenant isolation and the order of checks.

The cases are generated from the layer's table (logic/transitions.py: its
actions and roles); what each case must answer is the issue's table, written
out below as a user reads it, so a wrong row in the code's table fails here."""

from __future__ import annotations

import time

import pytest

from refunds_core.logic.transitions import TRANSITIONS

pytestmark = pytest.mark.server

SHIPMENT = {"trackingId": "1Z999AA10123456784", "carrierName": "UPS"}
BODIES = {"APPROVE": {"action": "APPROVE"}, "SHIP_INIT": {"action": "SHIP_INIT", **SHIPMENT},
          "ISSUE": {"action": "ISSUE"}, "DENY": {"action": "DENY", "responseReason": "Outside the return window",
                   "declineReason": "return_period_ended"},
          "FAIL": {"action": "FAIL", "responseReason": "The card was closed"}}
# Who takes each action in the set-up paths below.
ACTOR = {"APPROVE": "support", "SHIP_INIT": "demo", "ISSUE": "support", "DENY": "support", "FAIL": "support",
         "CANCEL": "demo"}

# The issue's table: (action, status before, refundOnly) -> status after. Anything
# not listed is refused with 409, 15080.
ISSUE_TABLE = {
    ("APPROVE", "REQUESTED", True): "PROCESSING",
    ("APPROVE", "REQUESTED", False): "WAITING",          # no shipment info yet
    ("SHIP_INIT", "REQUESTED", False): "REQUESTED",
    ("SHIP_INIT", "WAITING", False): "PROCESSING",
    ("ISSUE", "PROCESSING", True): "ISSUED",
    ("ISSUE", "PROCESSING", False): "ISSUED",
    **{("DENY", status, refund_only): "DENIED"
       for status, refund_only in [("REQUESTED", True), ("REQUESTED", False), ("WAITING", False),
                                   ("PROCESSING", True), ("PROCESSING", False)]},
    ("FAIL", "PROCESSING", True): "FAILED",
    ("FAIL", "PROCESSING", False): "FAILED",
    ("CANCEL", "REQUESTED", True): "CANCELLED",
    ("CANCEL", "REQUESTED", False): "CANCELLED",
    ("CANCEL", "WAITING", False): "CANCELLED",
}
# The issue's roles: who may ever take each action.
ISSUE_ROLES = {"APPROVE": {"support"}, "SHIP_INIT": {"merchant", "customer"}, "ISSUE": {"support"},
               "DENY": {"support"}, "FAIL": {"support"}, "CANCEL": {"merchant", "customer"}}

# How a refund reaches each status through the API, by refundOnly.
PATHS = {
    True: {"REQUESTED": [], "PROCESSING": ["APPROVE"], "ISSUED": ["APPROVE", "ISSUE"],
           "FAILED": ["APPROVE", "FAIL"], "DENIED": ["DENY"], "CANCELLED": ["CANCEL"]},
    False: {"REQUESTED": [], "WAITING": ["APPROVE"], "PROCESSING": ["APPROVE", "SHIP_INIT"]},
}
STARTS = [(status, refund_only) for refund_only, paths in PATHS.items() for status in paths]


# ------------------------------------------------------------------ helpers

def open_refund(api, *, refund_only=True, login="demo", token=None, order_id=None) -> dict:
    order_id = order_id or api.paid_order()
    answer = api.request("POST", f"/v1/order/{order_id}/refund", login=None if token else login, token=token,
                         json_body={"email": "merchant@example.com", "refundOnly": refund_only})
    assert answer.status == 200, answer
    return answer.body["data"]


def take(api, refund_id, action, *, login=None, token=None, body=None):
    """One action on a refund over HTTP: DELETE for CANCEL, else PATCH with its body."""
    who = {"token": token} if token else {"login": login or ACTOR[action]}
    if action == "CANCEL":
        return api.request("DELETE", f"/v1/refunds/{refund_id}", **who)
    return api.request("PATCH", f"/v1/refunds/{refund_id}", json_body=body or BODIES[action], **who)


def refund_in(api, status, refund_only=True) -> dict:
    refund = open_refund(api, refund_only=refund_only)
    for action in PATHS[refund_only][status]:
        answer = take(api, refund["id"], action)
        assert answer.status == 200, (action, answer)
        refund = answer.body["data"]
    assert refund["status"] == status
    return refund


def get(api, refund_id, login="demo", **kwargs):
    """GET /v1/refunds/{id}; its refund without the ``actions`` and ``simulations``
    only GET shows, so it compares with other routes' answers (the actions:
    test_get_offers_...; simulations, empty in live mode: test_test_mode_api.py)."""
    answer = api.request("GET", f"/v1/refunds/{refund_id}", login=login, **kwargs)
    if answer.status == 200:
        assert isinstance(answer.body["data"].pop("actions"), list)
        assert answer.body["data"].pop("simulations") == []
    return answer


_CUSTOMER_TOKENS: dict[tuple[str, str], tuple[float, str]] = {}


def customer_token(api, customer_id="cust-1", merchant="demo") -> str:
    """A customer token minted by the merchant, reused for 10 of its 15 minutes."""
    minted, token = _CUSTOMER_TOKENS.get((merchant, customer_id), (0.0, ""))
    if time.monotonic() - minted > 600:
        answer = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": customer_id},
                             login=merchant)
        assert answer.status == 200, answer
        minted, token = time.monotonic(), answer.body["token"]
        _CUSTOMER_TOKENS[merchant, customer_id] = minted, token
    return token


def order_of(api, order_id):
    return api.request("GET", f"/v1/orders/{order_id}", login="demo").body["data"]


NOT_FOUND = {"errors": [{"error": 15070, "message": "Refund not found."}]}
NOT_ALLOWED = {"errors": [{"error": 15080, "message": "Action is not allowed in the refund's current status."}]}
FORBIDDEN = {"errors": [{"error": 15120,
                         "message": "Access denied. Your role or your API key's scopes do not allow this action."}]}


# ------------------------------------------------------- the whole table

@pytest.fixture(scope="module")
def shared_refunds(api):
    """One refund per starting point for the cases that must leave it as it is
    (each asserts so): refused actions need no fresh refund."""
    made: dict[tuple, dict] = {}

    def refund(key, make):
        if key not in made:
            made[key] = make()
        return made[key]

    return refund


@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize(("start", "refund_only"), STARTS)
def test_each_transition_of_the_table(api, shared_refunds, action, start, refund_only):
    expected = ISSUE_TABLE.get((action, start, refund_only))
    if expected is None:
        refund = shared_refunds((start, refund_only), lambda: refund_in(api, start, refund_only))
        answer = take(api, refund["id"], action)
        assert answer.status == 409 and answer.body == NOT_ALLOWED
        assert get(api, refund["id"]).body["data"] == refund, "a refused action changes nothing"
        return

    refund = refund_in(api, start, refund_only)
    answer = take(api, refund["id"], action)
    stored = get(api, refund["id"]).body["data"]

    assert answer.status == 200, answer.body
    after = answer.body["data"]
    assert after == stored, "the answer is what is stored"
    assert after["status"] == expected
    assert after["valid"] is (expected in {"REQUESTED", "WAITING", "PROCESSING", "ISSUED"})
    assert after["updatedAt"] > refund["updatedAt"] and after["createdAt"] == refund["createdAt"]
    assert (after["amount"], after["requester"], after["orderId"]) == (refund["amount"], "demo", refund["orderId"])
    last = after["history"][-1]
    assert (last["status"], last["action"], last["actor"]) == (expected, action, ACTOR[action])
    assert after["history"][:-1] == refund["history"]
    # The action's own fields, and nothing else moved.
    assert after["confirmedAt"] == (last["at"] if action == "APPROVE" else refund["confirmedAt"])
    assert after["issuedAt"] == (last["at"] if action == "ISSUE" else None)
    if action in ("DENY", "FAIL"):
        assert after["responseReason"] == last["reason"] == BODIES[action]["responseReason"]
    else:
        assert after["responseReason"] is None and last["reason"] is None
    assert after["declineReason"] == BODIES.get(action, {}).get("declineReason")  # a code on DENY only
    if action == "SHIP_INIT":
        assert (after["trackingId"], after["carrierName"]) == (SHIPMENT["trackingId"], SHIPMENT["carrierName"])
    else:
        assert (after["trackingId"], after["carrierName"]) == (refund["trackingId"], refund["carrierName"])


def test_approve_with_shipment_already_given_goes_straight_to_processing(api):
    refund = open_refund(api, refund_only=False)
    shipped = take(api, refund["id"], "SHIP_INIT").body["data"]
    assert shipped["status"] == "REQUESTED" and shipped["trackingId"] == SHIPMENT["trackingId"]
    approved = take(api, refund["id"], "APPROVE")
    assert approved.status == 200 and approved.body["data"]["status"] == "PROCESSING"
    assert approved.body["data"]["confirmedAt"] is not None


def test_ship_init_on_a_refund_only_request_is_15080(api):
    refund = open_refund(api, refund_only=True)
    answer = take(api, refund["id"], "SHIP_INIT")
    assert answer.status == 409 and answer.body == NOT_ALLOWED
    assert get(api, refund["id"]).body["data"]["trackingId"] is None


def test_a_final_refund_takes_no_action_at_all(api):
    refund = refund_in(api, "DENIED")
    for action in TRANSITIONS:
        assert take(api, refund["id"], action).codes == [15080], action


# ------------------------------------------------------------------ roles

ROLE_CASES = [(action, role) for action in TRANSITIONS for role in ("merchant", "customer", "support", "service")]


@pytest.mark.parametrize(("action", "role"), ROLE_CASES)
def test_who_may_take_each_action(api, shared_refunds, action, role):
    # A refund in a status the action is allowed from: only the role decides.
    start, refund_only = next((s, ro) for (a, s, ro) in ISSUE_TABLE if a == action)
    allowed = role in ISSUE_ROLES[action]
    refund = (refund_in(api, start, refund_only) if allowed
              else shared_refunds((start, refund_only), lambda: refund_in(api, start, refund_only)))
    who = {"customer": {"token": customer_token(api)}, "merchant": {"login": "demo"},
           "support": {"login": "support"}, "service": {"login": "orders-service"}}[role]
    answer = take(api, refund["id"], action, **who)
    if allowed:
        assert answer.status == 200, answer.body
        assert answer.body["data"]["history"][-1]["role"] == role
    else:
        assert answer.status == 403 and answer.body == FORBIDDEN
        assert get(api, refund["id"]).body["data"] == refund


# ----------------------------------------------------------------- fields

@pytest.fixture(scope="module")
def untouched(api) -> dict:
    """A refund (refundOnly false, REQUESTED) that refused requests must leave exactly as it is."""
    return refund_in(api, "REQUESTED", refund_only=False)


@pytest.mark.parametrize("action", ["DENY", "FAIL"])
@pytest.mark.parametrize("reason", [None, "missing", "", "   ", 42, "x" * 501])
def test_deny_and_fail_need_a_response_reason(api, untouched, action, reason):
    body = {"action": action, **({"declineReason": "other"} if action == "DENY" else {})}
    body |= {} if reason == "missing" else {"responseReason": reason}
    answer = take(api, untouched["id"], action, body=body)
    assert answer.status == 400
    assert answer.body == {"errors": [{"error": 15010, "message": "Invalid field value: responseReason"}]}
    assert get(api, untouched["id"]).body["data"] == untouched


def test_a_response_reason_of_500_characters_is_accepted(api):
    reason = "é" * 500
    refund = refund_in(api, "REQUESTED")
    answer = take(api, refund["id"], "DENY", body={**BODIES["DENY"], "responseReason": reason})
    assert answer.status == 200 and answer.body["data"]["responseReason"] == reason


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["action"]), ({"action": None}, ["action"]), ({"action": "approve"}, ["action"]),
    ({"action": "CANCEL"}, ["action"]), ({"action": "REFUND"}, ["action"]), ({"action": ["APPROVE"]}, ["action"]),
    ({"action": "APPROVE", "status": "ISSUED"}, ["status"]),
    ({"action": "APPROVE", "amount": "1.00", "issuedAt": "2026-01-01T00:00:00Z"}, ["amount", "issuedAt"]),
    ({"action": "APPROVE", "responseReason": "ok"}, ["responseReason"]),
    ({"action": "SHIP_INIT"}, ["trackingId", "carrierName"]),
    ({"action": "SHIP_INIT", "trackingId": "x" * 65, "carrierName": 7}, ["trackingId", "carrierName"]),
    ({"action": "SHIP_INIT", **SHIPMENT, "requester": "someone"}, ["requester"]),
    ({"action": "DENY", "responseReason": "no", "declineReason": "other", "trackingId": "1"}, ["trackingId"]),
    ({"action": "DENY", "responseReason": "no"}, ["declineReason"]),
    ({"action": "DENY", "responseReason": "no", "declineReason": "Other"}, ["declineReason"]),
])
def test_bad_bodies_are_15010_per_field_and_change_nothing(api, untouched, body, fields):
    # Sent by a role that may take the action: the role is checked before the action's fields.
    login = "demo" if body.get("action") == "SHIP_INIT" else "support"
    answer = api.request("PATCH", f"/v1/refunds/{untouched['id']}", json_body=body, login=login)
    assert answer.status == 400
    assert answer.body["errors"] == [{"error": 15010, "message": f"Invalid field value: {f}"} for f in fields]
    assert get(api, untouched["id"]).body["data"] == untouched


def test_shipment_fields_of_64_characters_are_accepted(api):
    refund = open_refund(api, refund_only=False)
    body = {"action": "SHIP_INIT", "trackingId": "T" * 64, "carrierName": "C" * 64}
    answer = take(api, refund["id"], "SHIP_INIT", body=body)
    assert answer.status == 200 and answer.body["data"]["trackingId"] == "T" * 64


# -------------------------------------------------------- order of checks

def test_110_then_111_come_before_everything_else(api):
    refund = refund_in(api, "DENIED")
    path = f"/v1/refunds/{refund['id']}"
    assert api.request("PATCH", path, raw=b"{", login="demo", headers={"Content-Type": "text/plain"}).codes == [110]
    assert api.request("PATCH", path, raw=b'{"action": "APPROVE"}', login="demo",
                       headers={"Content-Type": "text/plain"}).codes == [111]


def test_15000_comes_before_the_body_and_the_refund(api, admin):
    import uuid

    login = f"ghost-{uuid.uuid4().hex[:8]}"
    admin.create_login(login, "ghost-password", admin.Role.MERCHANT, f"gone-{login}")
    from localrun.tokens import issue_local_token

    token = issue_local_token(login)  # POST /v1/auth/token mints none for a login of no merchant
    assert api.request("PATCH", "/v1/refunds/rf_missing", json_body={}, token=token).codes == [15000]
    assert api.request("DELETE", "/v1/refunds/rf_missing", token=token).codes == [15000]
    assert api.request("GET", "/v1/refunds/rf_missing", token=token).codes == [15000]


def test_the_action_then_the_role_then_its_fields_then_the_refund(api):
    # An unknown action is 15010 whoever asks; a merchant may never APPROVE: 15120
    # before its fields are read, even on a missing refund.
    assert api.request("PATCH", "/v1/refunds/rf_missing", json_body={"action": "REFUND"},
                       login="demo").codes == [15010]
    assert api.request("PATCH", "/v1/refunds/rf_missing", json_body={"action": "APPROVE", "x": 1},
                       login="demo").body == FORBIDDEN
    assert api.request("PATCH", "/v1/refunds/rf_missing", json_body={"action": "APPROVE", "x": 1},
                       login="support").codes == [15010]
    assert api.request("PATCH", "/v1/refunds/rf_missing", json_body={"action": "APPROVE"},
                       login="support").codes == [15070]


def test_not_found_comes_before_not_allowed(api):
    refund = refund_in(api, "DENIED")  # demo's refund, in a final status
    assert take(api, refund["id"], "CANCEL", login="demo2").body == NOT_FOUND
    assert take(api, refund["id"], "CANCEL", login="demo").body == NOT_ALLOWED


# --------------------------------------------------------------------- GET

def test_get_returns_the_refund_with_the_seed_fields(api):
    refund = open_refund(api, refund_only=False)
    answer = get(api, refund["id"])
    assert answer.status == 200 and answer.body == {"data": refund}
    data = answer.body["data"]
    assert set(data) >= {"id", "orderId", "createdAt", "updatedAt", "requester", "description", "responseReason",
                         "confirmedAt", "issuedAt", "amount", "status", "trackingId", "carrierName", "refundOnly",
                         "valid", "history"}
    assert (data["refundOnly"], data["valid"], data["requester"]) == (False, True, "demo")


def test_get_offers_the_actions_the_caller_may_take_now(api):
    """What the console shows as buttons: the lifecycle's table for the caller's role and the refund's status."""
    refund = open_refund(api, refund_only=False)

    def offered(login):
        return api.request("GET", f"/v1/refunds/{refund['id']}", login=login).body["data"]["actions"]

    assert (offered("support"), offered("demo")) == (["APPROVE", "DENY"], ["SHIP_INIT", "CANCEL"])
    assert take(api, refund["id"], "APPROVE").status == 200  # WAITING: the goods are to come back
    assert (offered("support"), offered("demo")) == (["DENY"], ["SHIP_INIT", "CANCEL"])
    expanded = api.request("GET", f"/v1/refunds/{refund['id']}?expand=order", login="support").body["data"]
    assert expanded["actions"] == ["DENY"] and expanded["order"]["id"] == refund["orderId"]
    assert take(api, refund["id"], "DENY").status == 200
    assert (offered("support"), offered("demo")) == ([], [])


@pytest.mark.parametrize("refund_id", ["rf_01J00000000000000000000000", "nope", "rf_" + "A" * 300,
                                       "rf_01J0000000000000000000000%2F"])
def test_an_unknown_refund_is_404_15070(api, refund_id):
    for method in ("GET", "DELETE"):
        answer = api.request(method, f"/v1/refunds/{refund_id}", login="demo")
        assert answer.status == 404 and answer.body == NOT_FOUND
    answer = api.request("PATCH", f"/v1/refunds/{refund_id}", json_body=BODIES["DENY"],
                         login="support")
    assert answer.status == 404 and answer.body == NOT_FOUND


def test_support_sees_every_merchants_refund_and_the_order_system_none(api):
    refund = open_refund(api, login="demo2", order_id=api.paid_order(merchant_id="demo2"))
    assert get(api, refund["id"], login="support").body == {"data": refund}
    assert get(api, refund["id"], login="orders-service").body == FORBIDDEN


# --------------------------------------------------------------- isolation

def test_another_merchants_refund_does_not_exist_on_any_route(api):
    refund = refund_in(api, "REQUESTED", refund_only=False)
    assert get(api, refund["id"], login="demo2").body == NOT_FOUND
    assert take(api, refund["id"], "SHIP_INIT", login="demo2").body == NOT_FOUND
    assert take(api, refund["id"], "CANCEL", login="demo2").body == NOT_FOUND
    assert get(api, refund["id"]).body["data"] == refund


# ---------------------------------------------------------- the order lock

@pytest.mark.parametrize(("start", "action"), [("REQUESTED", "CANCEL"), ("REQUESTED", "DENY"),
                                               ("PROCESSING", "FAIL")])
def test_a_closed_request_releases_the_order_for_a_new_one(api, start, action):
    refund = refund_in(api, start)
    retry = api.request("POST", f"/v1/order/{refund['orderId']}/refund", json_body={"email": "m@example.com"},
                        login="demo")
    assert retry.codes == [15050], "still open: the order is locked"
    assert take(api, refund["id"], action).status == 200
    again = api.request("POST", f"/v1/order/{refund['orderId']}/refund", json_body={"email": "m@example.com"},
                        login="demo")
    assert again.status == 200 and again.body["data"]["id"] != refund["id"]
    assert order_of(api, refund["orderId"])["status"] == "paid"


def test_an_issued_refund_marks_the_order_refunded(api):
    refund = refund_in(api, "ISSUED")
    order = order_of(api, refund["orderId"])
    assert order["status"] == "refunded"
    again = api.request("POST", f"/v1/order/{refund['orderId']}/refund", json_body={"email": "m@example.com"},
                        login="demo")
    assert again.status == 400 and again.codes == [15030]


def test_the_order_system_cannot_change_a_refunded_order(api):
    refund = refund_in(api, "ISSUED")
    _, answer = api.put_order(refund["orderId"], status="paid", number="SO-CHANGED")
    assert answer.status == 409 and answer.codes == [109]
    order = order_of(api, refund["orderId"])
    assert (order["status"], order["number"]) == ("refunded", "SO-1001")


def test_the_order_system_can_still_update_an_order_with_an_open_request(api):
    refund = refund_in(api, "WAITING", refund_only=False)
    _, answer = api.put_order(refund["orderId"], number="SO-RENAMED")
    assert answer.status == 200 and answer.body["data"]["number"] == "SO-RENAMED"
    # ...and the request is unaffected, still holding the order.
    assert take(api, refund["id"], "CANCEL").status == 200


# ------------------------------------------------------------------ history

def test_history_is_every_step_oldest_first_with_actor_and_reason(api):
    token = customer_token(api)
    refund = open_refund(api, refund_only=False, token=token)
    steps = [("APPROVE", {"login": "support"}, None),
             ("SHIP_INIT", {"token": token}, None),
             ("FAIL", {"login": "support"}, {"action": "FAIL", "responseReason": "Bank rejected the transfer"})]
    for action, who, body in steps:
        answer = take(api, refund["id"], action, body=body, **who)
        assert answer.status == 200, answer.body
    history = get(api, refund["id"]).body["data"]["history"]
    assert [(h["status"], h["action"], h["actor"], h["role"], h["reason"]) for h in history] == [
        ("REQUESTED", "CREATE", "customer:cust-1", "customer", None),
        ("WAITING", "APPROVE", "support", "support", None),
        ("PROCESSING", "SHIP_INIT", "customer:cust-1", "customer", None),
        ("FAILED", "FAIL", "support", "support", "Bank rejected the transfer"),
    ]
    times = [h["at"] for h in history]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)


# --------------------------------------------------- indexes follow status

def test_the_status_index_follows_each_transition(api, dynamodb, table_name):
    refund = refund_in(api, "REQUESTED")

    def in_status(status):
        items = dynamodb.query(TableName=table_name, IndexName="ByMerchantStatus",
                               KeyConditionExpression="GSI2PK = :pk AND GSI2SK = :id",
                               ExpressionAttributeValues={":pk": {"S": f"MERCHANT#demo#STATUS#{status}"},
                                                          ":id": {"S": refund["id"]}})["Items"]
        return bool(items)

    assert in_status("REQUESTED")
    take(api, refund["id"], "APPROVE")
    assert in_status("PROCESSING") and not in_status("REQUESTED")
    take(api, refund["id"], "ISSUE")
    assert in_status("ISSUED") and not in_status("PROCESSING")
    item = dynamodb.get_item(TableName=table_name, Key={"PK": {"S": f"REFUND#{refund['id']}"}, "SK": {"S": "REFUND"}},
                             ConsistentRead=True)["Item"]
    assert item["GSI6PK"]["S"] == "STATUS#ISSUED" and item["GSI4PK"]["S"] == "MERCHANT#demo#VALID#true"
    assert item["version"]["N"] == "3"



def test_a_role_that_may_never_take_the_action_is_403_before_its_fields_are_read(api, untouched):
    answer = api.request("PATCH", f"/v1/refunds/{untouched['id']}", json_body={"action": "DENY"}, login="demo")
    assert answer.status == 403 and answer.codes == [15120]


# ------------------------------------------------------- bounded history

def test_a_refund_history_is_bounded_but_a_final_action_always_closes_it(api):
    """Repeated SHIP_INITs (allowed from REQUESTED) stop at the history limit,
    so the item can never grow towards DynamoDB's 400 KB and wedge the order."""
    from refunds_core.logic.transitions import HISTORY_LIMIT

    refund = open_refund(api, refund_only=False)
    for n in range(HISTORY_LIMIT - 1):  # the CREATE entry plus these fill the history
        body = {"action": "SHIP_INIT", "trackingId": f"T{n}", "carrierName": "DHL"}
        assert take(api, refund["id"], "SHIP_INIT", body=body).status == 200
    full = take(api, refund["id"], "SHIP_INIT", body={"action": "SHIP_INIT", "trackingId": "ONE-MORE",
                                                      "carrierName": "DHL"})
    assert full.status == 409 and full.codes == [15230]
    assert get(api, refund["id"]).body["data"]["trackingId"] == f"T{HISTORY_LIMIT - 2}"
    closed = take(api, refund["id"], "DENY")
    assert closed.status == 200 and len(closed.body["data"]["history"]) == HISTORY_LIMIT + 1
    assert open_refund(api, order_id=refund["orderId"])["status"] == "REQUESTED"  # the order was released
