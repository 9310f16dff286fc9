"""A client of seed 003's "Refund order" endpoint, written from its document
alone, as a merchant migrating to us has one.

It imports nothing of this project (tests/integration/test_seed003_story.py
checks), only the standard library. What the document does not say, it takes
as most clients would: the endpoint's path is the deployment's (the document
names none: ``REFUND_PATH`` is the one the deployment gives), a Bearer token
or an X-API-KEY obtained elsewhere, JSON bodies, 201 a success and any other
status a refusal, and an optional field of the request (``batchId``,
``returnedDate``) read back as null when the request had none.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

# The document names no path, only its parameters: the deployment's.
REFUND_PATH = "/v1/connections/{connectionId}/orders/{orderId}/refunds"
# The document's response: name -> the JSON types it may have.
RESPONSE_FIELDS = {"connectionId": (str,), "items": (list,), "batchId": (str, type(None)),
                   "createdDate": (str,), "returnedDate": (str, type(None))}
ERROR_STATUSES = (400, 401, 403, 404, 422, 429, 500)  # the document's list
_UNSET = object()


class Refused(Exception):  # noqa: N818 - the server's refusal, as the client sees it
    """A non-201 answer: its status and body."""

    def __init__(self, status: int, body: object):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


@dataclass
class Answer:
    status: int
    body: object
    headers: dict


class Seed003Client:
    def __init__(self, base_url: str, *, token: str | None = None, api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.credentials = {"Authorization": f"Bearer {token}"} if token else {"X-API-KEY": api_key or ""}
        self.last: Answer | None = None

    def refund_order(self, connection_id: str, order_id: str, *, items: list[dict] | None = None,
                     batch_id: str | None = None, returned_date: object = _UNSET,
                     idempotency_key: str | None = None) -> dict:
        """Create a refund against an order: ``items`` ({itemId, quantity}) or none for the entire order;
        ``returned_date`` an ISO 8601 date-time or None (sent as null); absent when not given."""
        body: dict = {}
        if batch_id is not None:
            body["batchId"] = batch_id
        if items is not None:
            body["items"] = items
        if returned_date is not _UNSET:
            body["returnedDate"] = returned_date
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call(self.path(connection_id, order_id), json.dumps(body), headers)

    def send(self, connection_id: str, order_id: str, body: str | None) -> Answer:
        """A request as the client would send it, for what refund_order cannot send (a price, a bad field)."""
        with contextlib.suppress(Refused):
            self._call(self.path(connection_id, order_id), body)
        return self.last

    @staticmethod
    def path(connection_id: str, order_id: str) -> str:
        return REFUND_PATH.format(connectionId=urllib.parse.quote(connection_id, safe=""),
                                  orderId=urllib.parse.quote(order_id, safe=""))

    def _call(self, path: str, body: str | None, headers: dict | None = None) -> dict:
        all_headers = {**self.credentials, "Accept": "application/json", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=body.encode() if body is not None else None,
                                         method="POST", headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the API under test
                status, raw, sent_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, sent_headers = error.code, error.read(), error.headers
        parsed = json.loads(raw) if raw else None
        self.last = Answer(status, parsed, {name.lower(): value for name, value in sent_headers.items()})
        if status != 201:  # "Created" is the document's only success
            raise Refused(status, parsed)
        return parsed


def problems(refund: dict) -> list[str]:
    """How an answer differs from the document's response (an empty list: it is one)."""
    found = [f"{name} missing" for name in RESPONSE_FIELDS if name not in refund]
    for name, types in RESPONSE_FIELDS.items():
        if name in refund and not isinstance(refund[name], types):
            found.append(f"{name} is {refund[name]!r}")
    if isinstance(refund.get("connectionId"), str) and len(refund["connectionId"]) < 36:
        found.append("connectionId is shorter than 36 characters")
    for name in ("createdDate", "returnedDate"):
        if isinstance(refund.get(name), str):
            try:
                datetime.fromisoformat(refund[name])
            except ValueError:
                found.append(f"{name} is no date-time: {refund[name]!r}")
    if not all(isinstance(item, dict) for item in refund.get("items") or []):
        found.append("an item is not an object")
    return found
