"""A client of seed 002's refund API, written from its document alone
(the seed's "Refunds" page: the Refund entity, GET/POST /api/v2/refunds,
GET/PATCH/DELETE /api/v2/refunds/<ID>), as a merchant migrating to us has one.

It imports nothing of this project (tests/integration/test_seed002_story.py
checks), only the standard library. What the document does not say, it
takes as most clients would: a Bearer token (or an X-API-KEY) obtained
elsewhere, JSON bodies, any 2xx a success, and a number for ``amount`` that
it reads as a Decimal so no digit is lost.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

# The document's Refund entity: name -> the JSON types it may have (the Date fields may be null until set).
REFUND_FIELDS = {
    "id": (int,), "order": (int,), "createdAt": (str,), "updatedAt": (str,), "requester": (str,),
    "requestReason": (str, type(None)), "responseReason": (str, type(None)), "confirmedAt": (str, type(None)),
    "issuedAt": (str, type(None)), "amount": (int, Decimal), "status": (str,), "trackingId": (str, type(None)),
    "carrierName": (str, type(None)), "refundOnly": (bool,), "valid": (bool,),
}
STATUSES = ("PROCESSING", "DENIED", "ISSUED", "CANCELLED", "REQUESTED", "WAITING")


class Refused(Exception):  # noqa: N818 - the server's refusal, as the client sees it
    """A non-2xx answer: its status and body."""

    def __init__(self, status: int, body: object):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


@dataclass
class Answer:
    status: int
    text: str      # the body as sent, to look at how a number was written
    data: object   # the body's "data"
    headers: dict


class Seed002Client:
    def __init__(self, base_url: str, *, token: str | None = None, api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.credentials = {"Authorization": f"Bearer {token}"} if token else {"X-API-KEY": api_key or ""}
        self.last: Answer | None = None

    # -------------------------------------------------------- the endpoints

    def list_refunds(self, *, page: int | None = None, size: int | None = None, order_id: int | None = None,
                     status: str | None = None, valid: bool | None = None) -> list[dict]:
        """GET /api/v2/refunds: the matching refunds (data: Refund[])."""
        query = {"page": page, "size": size, "orderId": order_id, "status": status,
                 "valid": None if valid is None else str(valid).lower()}
        encoded = urllib.parse.urlencode({name: value for name, value in query.items() if value is not None})
        return self._call("GET", "/api/v2/refunds" + (f"?{encoded}" if encoded else ""))

    def get_refund(self, refund_id: int | str) -> dict:
        return self._call("GET", f"/api/v2/refunds/{refund_id}")

    def create_refund(self, order_id: int, reason: str, amount: Decimal | int, refund_only: bool, *,
                      idempotency_key: str | None = None) -> dict:
        """POST /api/v2/refunds: the created Refund. ``amount`` goes out as the JSON number it is, digit for digit."""
        body = json.dumps({"orderId": order_id, "reason": reason, "amount": "AMOUNT", "refundOnly": refund_only})
        body = body.replace('"AMOUNT"', str(amount))
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call("POST", "/api/v2/refunds", body, headers)

    def provide_shipment(self, refund_id: int, tracking_id: str, carrier_name: str) -> dict:
        """PATCH /api/v2/refunds/<id>: action SHIP_INIT (CUSTOMER role, refundOnly false)."""
        return self._call("PATCH", f"/api/v2/refunds/{refund_id}", json.dumps(
            {"action": "SHIP_INIT", "trackingId": tracking_id, "carrierName": carrier_name}))

    def cancel_refund(self, refund_id: int) -> object:
        """DELETE /api/v2/refunds/<ID> (the document gives no answer: whatever data there is)."""
        return self._call("DELETE", f"/api/v2/refunds/{refund_id}")

    def send(self, method: str, path: str, body: str | None = None) -> Answer:
        """Any request, as the client would send it, for what the methods above cannot send."""
        with contextlib.suppress(Refused):
            self._call(method, path, body)
        return self.last

    # ------------------------------------------------------------------ HTTP

    def _call(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        all_headers = {**self.credentials, "Accept": "application/json", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=body.encode() if body is not None else None,
                                         method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the API under test
                status, raw, sent_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, sent_headers = error.code, error.read(), error.headers
        text = raw.decode("utf-8")
        parsed = json.loads(text, parse_float=Decimal) if text else None
        data = parsed.get("data") if isinstance(parsed, dict) else None
        self.last = Answer(status, text, data, {name.lower(): value for name, value in sent_headers.items()})
        if not 200 <= status < 300:
            raise Refused(status, parsed)
        return data


def problems(refund: dict) -> list[str]:
    """How a refund differs from the document's entity (an empty list: it is one)."""
    found = [f"{name} missing" for name in REFUND_FIELDS if name not in refund]
    for name, types in REFUND_FIELDS.items():
        value = refund.get(name)
        # bool is an int in Python; the document's Integer is not a Boolean.
        if name in refund and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
            found.append(f"{name} is {value!r}")
    if refund.get("status") not in STATUSES:
        found.append(f"status {refund.get('status')!r} is none of {STATUSES}")
    return found
