"""The answers of real flows (the guides' walkthroughs in docs/: an order, its refunds
through the lifecycle, webhooks, replays of an Idempotency-Key) hold to
docs/openapi.json, success bodies included, which generated requests rarely
reach. Each request goes through schemathesis's checks (status, content type,
body schema, documented headers' values, no 5xx) and ours: each header a client
acts on is documented on the answer that carries it. And the local runtime
serves the very document that is committed."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scripts import openapi

pytestmark = pytest.mark.server

DOCUMENT = json.loads(openapi.PUBLISHED.read_text(encoding="utf-8"))
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
# The headers a client acts on (a replay, when to retry, what to quote to support).
CLIENT_HEADERS = ("Idempotent-Replayed", "Retry-After", "X-Correlation-Id")


@schemathesis.check
def client_headers_documented(ctx, response, case) -> None:
    """Every header of CLIENT_HEADERS the answer carries is documented for its status."""
    answers = DOCUMENT["paths"][case.operation.path][case.operation.method.lower()]["responses"]
    documented = answers.get(str(response.status_code), {}).get("headers", {})
    # schemathesis's response headers: lower-case names, each with its list of values.
    missing = [name for name in CLIENT_HEADERS if name.lower() in response.headers and name not in documented]
    if missing:
        raise AssertionError(f"{case.operation.label} {response.status_code}: {missing} not documented")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, client_headers_documented]


class Contract:
    """Requests as schemathesis cases: every answer is checked against the document."""

    def __init__(self, api):
        self.api, self.session = api, requests.Session()

    def __call__(self, method: str, path: str, *, login: str | None = None, token: str | None = None,
                 status: int, body=None, query: dict | None = None, key: str | None = None,
                 replayed: bool = False, **path_parameters) -> dict | None:
        headers = {"Authorization": f"Bearer {token or self.api.token(login)}"} if (login or token) else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        case = SCHEMA[path][method].Case(path_parameters=path_parameters, query=query, headers=headers,
                                         **({"body": body} if body is not None else {}))
        response = case.call_and_validate(base_url=self.api.base_url, session=self.session, checks=CHECKS,
                                          timeout=30)
        assert response.status_code == status, response.text
        assert (response.headers.get("idempotent-replayed") == ["true"]) == replayed, response.headers
        if response.headers.get("content-type", [""])[0].startswith("text/csv"):
            return response.text
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def call(api):
    contract = Contract(api)
    yield contract
    contract.session.close()


def test_the_runtime_serves_the_committed_document(api):
    answer = requests.get(f"{api.base_url}/v1/openapi.json", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert "max-age" in answer.headers["Cache-Control"]
    assert answer.json() == json.loads(openapi.PUBLISHED.read_text(encoding="utf-8"))


def test_an_order_and_its_refunds_through_the_lifecycle(api, call):
    order_id = f"oa-{uuid.uuid4().hex[:10]}"
    order = {"merchantId": "demo", "number": "SO-OA", "status": "paid", "currency": "USD", "customerId": "cust-oa",
             "lineItems": [{"itemId": "sku-1", "name": "Widget", "quantity": 2, "unitPrice": "25.00",
                            "discount": "5.00", "tax": "4.50"},
                           {"itemId": "sku-2", "name": "Socks", "quantity": 3, "unitPrice": "10.00", "tax": "2.00"}],
             "shipping": {"price": "10.00", "tax": "0.80"}}
    call("PUT", "/v1/orders/{orderId}", login="orders-service", status=200, body=order, orderId=order_id)
    items = {"email": "merchant@example.com", "items": [{"itemId": "sku-1", "quantity": 1}], "refundOnly": False,
             "batchId": "oa-batch"}
    preview = call("POST", "/v1/order/{orderId}/refund/preview", login="demo", status=200, body=items,
                   orderId=order_id)
    assert preview["data"]["remainingAfter"]["lines"]
    refund = call("POST", "/v1/order/{orderId}/refund", login="demo", status=200, body=items, orderId=order_id)
    refund_id = refund["data"]["id"]
    customer = call("POST", "/v1/auth/customer-token", login="demo", status=200, body={"customerId": "cust-oa"})
    call("PATCH", "/v1/refunds/{refundId}", token=customer["token"], status=200, refundId=refund_id,
         body={"action": "SHIP_INIT", "trackingId": "1Z999", "carrierName": "UPS"})
    for action in ("APPROVE", "ISSUE"):
        call("PATCH", "/v1/refunds/{refundId}", login="support", status=200, body={"action": action},
             refundId=refund_id)
    expanded = call("GET", "/v1/refunds/{refundId}", login="demo", status=200, query={"expand": "order"},
                    refundId=refund_id)
    assert expanded["data"]["status"] == "ISSUED" and expanded["data"]["order"]["refundStatus"] == "partially_refunded"
    call("GET", "/v1/refunds/{refundId}", token=customer["token"], status=200, refundId=refund_id)

    amount = call("POST", "/v1/order/{orderId}/refund", login="demo", status=200, orderId=order_id,
                  body={"email": "merchant@example.com", "amount": "5.00", "description": "Goodwill"})
    call("PATCH", "/v1/refunds/{refundId}", login="support", status=200, refundId=amount["data"]["id"],
         body={"action": "DENY", "responseReason": "No", "declineReason": "not_eligible"})
    full = call("POST", "/v1/order/{orderId}/refund", login="demo", status=200, orderId=order_id,
                body={"email": "merchant@example.com"})
    call("DELETE", "/v1/refunds/{refundId}", login="demo", status=200, refundId=full["data"]["id"])

    got = call("GET", "/v1/orders/{orderId}", login="demo", status=200, orderId=order_id)
    assert len(got["data"]["refunds"]) == 3
    page = call("GET", "/v1/refunds", login="demo", status=200, query={"orderId": order_id, "limit": 2})
    assert page["nextCursor"]
    call("GET", "/v1/refunds", login="demo", status=200, query={"orderId": order_id, "limit": 2,
                                                                  "cursor": page["nextCursor"]})
    call("GET", "/v1/refunds", login="support", status=200, query={"status": "ISSUED", "limit": 1})

    # And the documented errors of the same routes
    call("DELETE", "/v1/refunds/{refundId}", login="demo", status=409, refundId=refund_id)
    call("GET", "/v1/refunds/{refundId}", login="demo2", status=404, refundId=refund_id)
    call("PATCH", "/v1/refunds/{refundId}", login="demo", status=403, refundId=refund_id, body={"action": "APPROVE"})
    call("POST", "/v1/order/{orderId}/refund", status=401, orderId=order_id, body={"email": "m@example.com"})
    call("POST", "/v1/order/{orderId}/refund", login="demo", status=400, orderId=order_id,
         body={"email": "merchant@example.com", "items": [{"itemId": "sku-1", "quantity": 5}]})
    call("PUT", "/v1/orders/{orderId}", login="orders-service", status=409, orderId=order_id,
         body={**order, "currency": "EUR"})


def test_webhook_routes(api, call, admin):
    merchant_id, login = f"oa-{uuid.uuid4().hex[:8]}", f"oa-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    token = call("POST", "/v1/auth/token", status=200, body={"login": login, "password": "a-long-password"})["token"]
    created = call("POST", "/v1/webhooks", token=token, status=201,
                   body={"url": "http://127.0.0.1:9/hooks", "events": ["refund.issued", "refund.denied"]})
    webhook_id = created["data"]["id"]
    call("GET", "/v1/webhooks", token=token, status=200)
    call("GET", "/v1/webhooks/{webhookId}", token=token, status=200, webhookId=webhook_id)
    call("PATCH", "/v1/webhooks/{webhookId}", token=token, status=200, webhookId=webhook_id,
         body={"description": "ERP", "enabled": False})
    call("PATCH", "/v1/webhooks/{webhookId}", token=token, status=200, webhookId=webhook_id,
         body={"description": None, "enabled": True})
    call("PATCH", "/v1/webhooks/{webhookId}", token=token, status=400, webhookId=webhook_id, body={"events": []})
    ping = call("POST", "/v1/webhooks/{webhookId}/test", token=token, status=200, webhookId=webhook_id)
    assert ping["data"]["error"] == "connection refused"
    call("POST", "/v1/webhooks/{webhookId}/rotate-secret", token=token, status=200, webhookId=webhook_id)
    call("GET", "/v1/webhooks/{webhookId}/deliveries", token=token, status=200, query={"limit": 5},
         webhookId=webhook_id)
    call("POST", "/v1/webhooks/{webhookId}/replay", token=token, status=202, webhookId=webhook_id,
         body={"since": "2026-01-01T00:00:00Z"})
    call("POST", "/v1/webhooks/{webhookId}/replay", token=token, status=404, webhookId=webhook_id,
         body={"eventId": "evt_01JD0000000000000000000000"})
    call("DELETE", "/v1/webhooks/{webhookId}", token=token, status=200, webhookId=webhook_id)
    call("DELETE", "/v1/webhooks/{webhookId}", token=token, status=404, webhookId=webhook_id)
    call("GET", "/v1/webhooks", login="support", status=403)


def test_replayed_answers_say_so_as_documented(api, call):
    """A repeat with the same Idempotency-Key answers the first answer again, with
    ``Idempotent-Replayed: true``, whether it was a success or a refusal; and the
    document lists the header on each of those answers."""
    order_id = api.paid_order()
    body = {"email": "merchant@example.com"}
    key = f"oa-{uuid.uuid4().hex}"
    for replayed in (False, True):
        refund = call("POST", "/v1/order/{orderId}/refund", login="demo", status=200, body=body, key=key,
                      replayed=replayed, orderId=order_id)
    refund_id = refund["data"]["id"]
    call("PATCH", "/v1/refunds/{refundId}", login="support", status=200, body={"action": "DENY",
         "responseReason": "No", "declineReason": "other"}, refundId=refund_id)
    key = f"oa-{uuid.uuid4().hex}"
    for replayed in (False, True):  # a denied refund cannot be cancelled: the 409 is kept and replayed
        call("DELETE", "/v1/refunds/{refundId}", login="demo", status=409, key=key, replayed=replayed,
             refundId=refund_id)
    key, missing = f"oa-{uuid.uuid4().hex}", f"missing-{uuid.uuid4().hex[:8]}"
    for replayed in (False, True):
        call("POST", "/v1/order/{orderId}/refund", login="demo", status=404, body=body, key=key, replayed=replayed,
             orderId=missing)


def test_the_event_of_a_real_change_holds_to_the_documented_webhook_payload(api, call):
    """The body a webhook delivery POSTs (kept with the change, as the events API
    answers it) is what the document's ``webhooks`` describe; and the events
    routes answer as documented."""
    import jsonschema

    refund = call("POST", "/v1/order/{orderId}/refund", login="demo", status=200, orderId=api.paid_order(),
                  body={"email": "merchant@example.com"})
    call("PATCH", "/v1/refunds/{refundId}", login="support", status=200, body={"action": "APPROVE"},
         refundId=refund["data"]["id"])
    page = call("GET", "/v1/events", login="demo", status=200, query={"refundId": refund["data"]["id"], "limit": 1})
    event = page["data"][0]
    assert (event["type"], event["sequence"]) == ("refund.approved", 2) and page["nextCursor"]
    call("GET", "/v1/events", login="demo", status=200, query={"refundId": refund["data"]["id"], "limit": 1,
                                                                "cursor": page["nextCursor"]})
    call("GET", "/v1/events/{eventId}", login="demo", status=200, eventId=event["id"])
    call("GET", "/v1/events/{eventId}", login="demo2", status=404, eventId=event["id"])
    call("GET", "/v1/events", login="support", status=400)
    call("GET", "/v1/events", login="orders-service", status=403)
    # The whole body against the document's payload, its references resolved in the document.
    jsonschema.Draft202012Validator({"$ref": "#/components/schemas/RefundEvent", "components": DOCUMENT["components"]},
                                    format_checker=jsonschema.FormatChecker()).validate(event)


def test_seed_002_routes_answer_as_documented(api, call):
    """Its entity (integer ids, a number for the amount), its list, and its refusals, in our errors body."""
    order_id = 10**14 + uuid.uuid4().int % 10**14
    order = {"merchantId": "demo", "number": "SO-002", "status": "paid", "currency": "USD", "customerId": "cust-1",
             "lineItems": [{"itemId": "sku-1", "name": "Shoes", "quantity": 1, "unitPrice": "80.00"}]}
    call("PUT", "/v1/orders/{orderId}", login="orders-service", status=200, body=order, orderId=str(order_id))
    body = {"orderId": order_id, "reason": "Wrong size", "amount": 22.5, "refundOnly": False}
    created = call("POST", "/api/v2/refunds", login="demo", status=200, body=body)["data"]
    assert created["order"] == order_id and created["amount"] == 22.5
    call("POST", "/api/v2/refunds", login="demo", status=400, body=body)  # 15050
    call("GET", "/api/v2/refunds", login="demo", status=200, query={"orderId": order_id, "size": 5, "page": 0})
    call("GET", "/api/v2/refunds", login="demo", status=400, query={"page": 100, "size": 100})
    call("GET", "/api/v2/refunds/{id}", login="demo", status=200, id=created["id"])
    customer = call("POST", "/v1/auth/customer-token", login="demo", status=200, body={"customerId": "cust-1"})
    call("PATCH", "/api/v2/refunds/{id}", token=customer["token"], status=200, id=created["id"],
         body={"action": "SHIP_INIT", "trackingId": "1Z999", "carrierName": "UPS"})
    call("PATCH", "/api/v2/refunds/{id}", login="demo", status=403, id=created["id"],
         body={"action": "SHIP_INIT", "trackingId": "1Z999", "carrierName": "UPS"})
    call("DELETE", "/api/v2/refunds/{id}", login="demo", status=200, id=created["id"])
    call("DELETE", "/api/v2/refunds/{id}", login="demo", status=409, id=created["id"])
    call("GET", "/api/v2/refunds/{id}", login="demo2", status=404, id=created["id"])
    call("GET", "/api/v2/refunds", login="support", status=403)


def test_seed_003_route_and_the_connections_answer_as_documented(api, call):
    """201 with the refund at the top level, its 422s and 404s, the same request
    replayed; and GET /v1/connections's page."""
    from localrun.seed import LOCAL_ACCOUNTS

    connection = next(account.connection_id for account in LOCAL_ACCOUNTS if account.login == "demo")
    order_id = api.paid_order()  # demo's: 2 x sku-1, 45.00 after its discount, 4.50 tax, 10.00 shipping
    path = "/v1/connections/{connectionId}/orders/{orderId}/refunds"
    body = {"items": [{"itemId": "sku-1", "quantity": 1}], "batchId": "contract", "returnedDate": None}
    created = call("POST", path, login="demo", status=201, body=body, key=f"k-{order_id}", connectionId=connection,
                   orderId=order_id)
    assert (created["connectionId"], created["items"][0]["amount"], created["returnedDate"]) == (
        connection, "22.50", None)
    again = call("POST", path, login="demo", status=201, body=body, key=f"k-{order_id}", replayed=True,
                 connectionId=connection, orderId=order_id)
    assert again == created
    call("POST", path, login="demo", status=422, body={}, connectionId=connection, orderId=order_id)  # 15050
    call("POST", path, login="demo", status=400, body={"items": [{"itemId": "sku-1", "quantity": 1, "price": "1"}]},
         connectionId=connection, orderId=order_id)
    call("POST", path, login="demo2", status=404, body={}, connectionId=connection, orderId=order_id)
    call("POST", path, login="support", status=403, body={}, connectionId=connection, orderId=order_id)
    page = call("GET", "/v1/connections", login="demo", status=200, query={"limit": 1})
    assert [c["id"] for c in page["data"]] == [connection]
    call("GET", "/v1/connections", login="demo", status=400, query={"cursor": "not.ours"})
def test_seed_004_routes_answer_as_documented(api, call):
    """Its refund order and order record at the top level, and its refusals in its errors body with our code."""
    order_id = f"s4-{uuid.uuid4().hex[:10]}"
    order = {"merchantId": "demo", "number": "SPZ-004", "status": "paid", "currency": "USD", "customerId": "cust-1",
             "lineItems": [{"itemId": "sku-1", "name": "Shoes", "quantity": 1, "unitPrice": "80.00", "tax": "8.00"}],
             "shipping": {"price": "15.00", "tax": "0"},
             "details": {"note": "n", "customer": {"firstName": "Jane", "email": "jane@example.com"},
                         "shippingAddress": {"city": "Springfield", "countryCode": "US"},
                         "shippingLine": {"name": "Express"}, "canceledAt": "2026-11-22T12:00:00+02:00"}}
    call("PUT", "/v1/orders/{orderId}", login="orders-service", status=200, body=order, orderId=order_id)
    created = call("POST", "/v1/orders/{orderId}/full-refund", login="demo", status=200, orderId=order_id)
    assert created["Order"]["TotalPrice"] == "103.00" and created["AllRefunded"] is False
    call("POST", "/v1/orders/{orderId}/full-refund", login="demo", status=406, orderId=order_id)  # open
    call("POST", "/v1/orders/{orderId}/full-refund", login="demo", status=422, orderId=" ")
    call("POST", "/v1/orders/{orderId}/full-refund", login="demo", status=404, orderId=f"nope-{order_id}")
    call("POST", "/v1/orders/{orderId}/full-refund", login="demo", status=400, orderId=order_id, body={"x": 1})
    call("POST", "/v1/orders/{orderId}/full-refund", login="support", status=403, orderId=order_id)
    read = call("GET", "/v1/orders/{orderId}/full-refund/{refundId}", login="demo", status=200, orderId=order_id,
                refundId=created["Id"])
    assert read == created
    call("GET", "/v1/orders/{orderId}/full-refund/{refundId}", login="demo2", status=404, orderId=order_id,
         refundId=created["Id"])
    call("GET", "/v1/orders/{orderId}/full-refund/{refundId}", login="demo", status=422, orderId=order_id,
         refundId="rf_x")


def test_metadata_reasons_ranges_and_the_export_answer_as_documented(api, call):
    """A refund with a reason and metadata, a metadata change (with its
    Idempotency-Key replayed), a DENY with its code, the list's new filters and
    the CSV export: each answer held to the document (the export's media type
    included)."""
    refund = call("POST", "/v1/order/{orderId}/refund", login="demo", status=200, orderId=api.paid_order(),
                  body={"email": "merchant@example.com", "reason": "damaged", "metadata": {"erp": "E-1"}})["data"]
    key = f"oa-{uuid.uuid4().hex}"
    for replayed in (False, True):
        changed = call("PATCH", "/v1/refunds/{refundId}", login="demo", status=200, key=key, replayed=replayed,
                       refundId=refund["id"], body={"metadata": {"erp": None, "ledger": "L-9"}})
    assert changed["data"]["metadata"] == {"ledger": "L-9"}
    call("PATCH", "/v1/refunds/{refundId}", login="demo", status=400, refundId=refund["id"],
         body={"metadata": {f"k{i}": "v" for i in range(20)}})
    call("PATCH", "/v1/refunds/{refundId}", login="support", status=200, refundId=refund["id"],
         body={"action": "DENY", "responseReason": "Sale item", "declineReason": "final_sale"})
    since = refund["createdAt"]
    page = call("GET", "/v1/refunds", login="demo", status=200,
                query={"declineReason": "final_sale", "reason": "damaged", "createdFrom": since})
    assert refund["id"] in [shown["id"] for shown in page["data"]]
    empty = call("GET", "/v1/refunds", login="demo", status=200, query={"createdFrom": since, "createdTo": since})
    assert empty["data"] == []
    call("GET", "/v1/refunds", login="demo", status=400, query={"createdFrom": "2100-01-01T00:00:00Z",
                                                                 "createdTo": since})
    text = call("GET", "/v1/refunds/export", login="demo", status=200,
                query={"createdFrom": since, "createdTo": "2100-01-01T00:00:00Z"})
    assert refund["id"] in text
    call("GET", "/v1/refunds/export", login="support", status=400, query={"createdFrom": since,
                                                                          "createdTo": "2100-01-01T00:00:00Z"})
