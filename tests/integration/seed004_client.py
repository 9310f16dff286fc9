"""A client of seed 004's Full Order Refund API, written from its document
alone (the seed's page: the path parameter ``id``, the success response and
its Order, ShippingLine and Customer structures, the two error bodies and
the error table), as a merchant migrating to us has one.

It imports nothing of this project (tests/integration/test_seed004_story.py
checks), only the standard library. What the document does not say, it
takes as most clients would: the paths (the document names none: the
deployment tells its clients, ``PATHS``), a credential obtained elsewhere
(a Bearer token or an ``X-API-KEY`` with the ``write_order`` scope the
document requires), a POST with no body (the document names only the path's
id), any 2xx a success, and money as the strings the document shows
(``"15.00"``), read as Decimals so no digit is lost.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# Where the deployment serves the two calls (the document names no path).
PATHS = {"refund": "/v1/orders/{id}/full-refund", "read": "/v1/orders/{id}/full-refund/{refund_id}"}

# The success response's fields and their types, as the document's table gives them.
RESPONSE_FIELDS = {"Id": str, "Status": str, "Number": str, "CreatedAt": str, "Note": str, "RefundFailReason": str,
                   "AllRefunded": bool, "RefundStatus": str, "Order": dict, "Refund": dict}
# The Order structure's fields a client of the document reads (its table gives no types for them).
ORDER_FIELDS = ("Id", "Note", "Number", "FinancialStatus", "Status", "Currency", "TotalPrice", "TotalDiscount",
                "TotalTax", "TotalShipping", "SubTotal", "LineItemDiscountTotal", "Tags", "CreatedAt", "UpdatedAt",
                "TotalRefundPrice", "RefundStatus", "ShippingLine", "Customer", "ShippingAddress", "BillingAddress",
                "LineItems")
SHIPPING_LINE_FIELDS = {"Name": str, "Desc": str, "ShippingPrice": str}
CUSTOMER_FIELDS = {"UserId": str, "FirstName": str, "LastName": str, "Email": str, "Phone": str}


class Refused(Exception):  # noqa: N818 - the server's refusal, as the client sees it
    """A non-2xx answer: its status and its messages (from `errors` or `error`, whichever it sent)."""

    def __init__(self, status: int, messages: list[str], body: object):
        super().__init__(f"{status}: {messages}")
        self.status, self.messages, self.body = status, messages, body


@dataclass
class Answer:
    status: int
    body: object
    messages: list[str]


class FullOrderRefundClient:
    def __init__(self, base_url: str, *, token: str | None = None, api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.credentials = {"Authorization": f"Bearer {token}"} if token else {"X-API-KEY": api_key or ""}
        self.last: Answer | None = None

    def refund_order(self, order_id: str, *, note: str | None = None, body: dict | None = None) -> dict:
        """Fully refund the order (items, shipping, tax); the response's refund order."""
        if note is not None:
            body = {"note": note}
        return self._call("POST", PATHS["refund"].format(id=_segment(order_id)),
                          None if body is None else json.dumps(body))

    def get_refund(self, order_id: str, refund_id: str) -> dict:
        return self._call("GET", PATHS["read"].format(id=_segment(order_id), refund_id=_segment(refund_id)))

    def _call(self, method: str, path: str, body: str | None = None) -> dict:
        headers = {**self.credentials, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        data = body.encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.base_url + path, data=data,
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the API under test
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        parsed = json.loads(raw, parse_float=Decimal) if raw else None
        messages = _messages(parsed)
        self.last = Answer(status, parsed, messages)
        if not 200 <= status < 300:
            raise Refused(status, messages, parsed)
        return parsed


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _messages(body: object) -> list[str]:
    """The document's two error bodies: {"errors": ["..."]} or {"error": "..."}."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("errors"), list):
        return [str(message) for message in body["errors"]]
    return [body["error"]] if isinstance(body.get("error"), str) else []


def money(value: str) -> Decimal:
    """A money string as the document shows them ("15.00")."""
    return Decimal(value)


def problems(answer: dict) -> list[str]:
    """How an answer differs from the document's response (an empty list: it is one)."""
    found = [f"{name} missing" for name in RESPONSE_FIELDS if name not in answer]
    found += [f"{name} is {answer[name]!r}" for name, kind in RESPONSE_FIELDS.items()
              if name in answer and not isinstance(answer[name], kind)]
    if isinstance(answer.get("CreatedAt"), str) and not _iso8601(answer["CreatedAt"]):
        found.append(f"CreatedAt {answer['CreatedAt']!r} is no ISO 8601 time")
    order = answer.get("Order")
    if isinstance(order, dict):
        found += [f"Order.{name} missing" for name in ORDER_FIELDS if name not in order]
        found += _struct("Order.ShippingLine", order.get("ShippingLine"), SHIPPING_LINE_FIELDS)
        if order.get("Customer") is not None:
            found += _struct("Order.Customer", order["Customer"], CUSTOMER_FIELDS)
        found += [f"Order.{name} {order[name]!r} is no ISO 8601 time" for name in ("CreatedAt", "UpdatedAt")
                  if name in order and not (isinstance(order[name], str) and _iso8601(order[name]))]
    return found


def _struct(name: str, value: object, fields: dict) -> list[str]:
    if not isinstance(value, dict):
        return [f"{name} is {value!r}"]
    return [f"{name}.{field} is {value.get(field)!r}" for field, kind in fields.items()
            if not isinstance(value.get(field), kind)]


def _iso8601(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
