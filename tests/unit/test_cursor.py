"""List cursors: opaque, bound to the query and the caller, and tamper-proof."""

from __future__ import annotations

import base64
import json

import pytest

from refunds_core import auth
from refunds_core.errors import FieldErrors
from refunds_core.listing_query import cursor_page, open_cursor, seal_cursor

KEY = bytes(range(32))
LAST_KEY = {"PK": {"S": "REFUND#rf_01J"}, "SK": {"S": "REFUND"}, "GSI1PK": {"S": "MERCHANT#demo"},
            "GSI1SK": {"S": "rf_01J"}}
CONTEXT = {"caller": {"login": "demo", "role": "merchant", "merchantId": "demo", "customerId": None},
           "index": "ByMerchant", "partition": "MERCHANT#demo", "orderId": None, "status": None, "valid": None,
           "merchantId": None, "limit": 20}


def refused(cursor: str, context: dict = CONTEXT, key: bytes = KEY) -> bool:
    with pytest.raises(FieldErrors) as caught:
        open_cursor(cursor, context, key)
    return caught.value.fields == ["cursor"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_cursor_opens_to_the_key_it_was_sealed_with():
    cursor = seal_cursor(LAST_KEY, CONTEXT, KEY)
    assert open_cursor(cursor, CONTEXT, KEY) == LAST_KEY
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_every_flipped_byte_is_refused():
    payload, mac = (_unb64(part) for part in seal_cursor(LAST_KEY, CONTEXT, KEY).split("."))
    for i in range(len(payload)):
        changed = bytearray(payload)
        changed[i] ^= 0x20
        assert refused(f"{_b64(bytes(changed))}.{_b64(mac)}"), i
    for i in range(len(mac)):
        changed = bytearray(mac)
        changed[i] ^= 0x01
        assert refused(f"{_b64(payload)}.{_b64(bytes(changed))}"), i


@pytest.mark.parametrize("cut", [1, 4, 10, 43])
def test_a_truncated_cursor_is_refused(cut):
    cursor = seal_cursor(LAST_KEY, CONTEXT, KEY)
    assert refused(cursor[:-cut])
    payload, mac = cursor.split(".")
    assert refused(f"{payload[:-cut]}.{mac}")


@pytest.mark.parametrize("garbage", ["", ".", "abc", "abc.", ".abc", "a.b.c", "!!!.???", "e30.e30"])
def test_garbage_is_refused(garbage):
    assert refused(garbage)


@pytest.mark.parametrize(("path", "value"), [
    (("caller", "login"), "demo-other"), (("caller", "role"), "support"), (("caller", "merchantId"), "demo2"),
    (("caller", "customerId"), "cust-1"), (("index",), "ByMerchantStatus"), (("partition",), "MERCHANT#demo2"),
    (("orderId",), "1001"), (("status",), "REQUESTED"), (("valid",), True), (("valid",), False),
    (("merchantId",), "demo"), (("limit",), 21),
])
def test_a_cursor_opens_only_for_the_context_it_was_issued_for(path, value):
    cursor = seal_cursor(LAST_KEY, CONTEXT, KEY)
    other = json.loads(json.dumps(CONTEXT))
    target = other
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert refused(cursor, other)


def test_a_cursor_made_with_another_key_is_refused():
    assert refused(seal_cursor(LAST_KEY, CONTEXT, bytes(32)))


@pytest.mark.parametrize("payload", [
    b"not json", b"[]", b'{"v": 2, "q": null, "k": null}',
    json.dumps({"v": 1, "q": CONTEXT, "k": {}}).encode(),
    json.dumps({"v": 1, "q": CONTEXT, "k": {"PK": {"N": "1"}}}).encode(),
    json.dumps({"v": 1, "q": CONTEXT, "k": "REFUND#x"}).encode(),
])
def test_a_correctly_signed_payload_that_is_not_a_cursor_is_refused(payload):
    import hashlib
    import hmac

    assert refused(f"{_b64(payload)}.{_b64(hmac.new(KEY, payload, hashlib.sha256).digest())}")


def test_derived_keys_depend_on_the_purpose_and_the_signing_key(monkeypatch):
    monkeypatch.setattr(auth, "_signing_key", lambda: "signing-key-1")
    first = auth.derived_key("list-refunds-cursor")
    assert first == auth.derived_key("list-refunds-cursor") and len(first) == 32
    assert first != auth.derived_key("another-purpose")
    assert first not in (b"signing-key-1", b"signing-key-1".ljust(32, b"\0"))
    monkeypatch.setattr(auth, "_signing_key", lambda: "signing-key-2")  # rotation
    assert auth.derived_key("list-refunds-cursor") != first


# ----------------------------------------------- a page a Query at a time

class Reads:
    """``cursor_page``'s ``read``: what it was asked to start from, and a next page to come."""

    def __init__(self, last_key: dict | None):
        self.last_key, self.starts = last_key, []

    def __call__(self, start_key: dict | None) -> tuple[list[dict], dict | None]:
        self.starts.append(start_key)
        return [{"n": len(self.starts)}], self.last_key


def test_a_page_seals_its_next_cursor_for_the_same_context_and_the_next_page_starts_there():
    reads = Reads(LAST_KEY)
    items, cursor = cursor_page(None, CONTEXT, KEY, fits=lambda key: True, read=reads)
    assert items == [{"n": 1}] and open_cursor(cursor, CONTEXT, KEY) == LAST_KEY
    cursor_page(cursor, CONTEXT, KEY, fits=lambda key: key == LAST_KEY, read=reads)
    assert reads.starts == [None, LAST_KEY]
    assert cursor_page(None, CONTEXT, KEY, fits=lambda key: True, read=Reads(None))[1] is None  # the last page


def test_a_cursor_whose_key_is_not_of_the_lists_partition_reads_nothing():
    reads = Reads(None)
    with pytest.raises(FieldErrors) as caught:
        cursor_page(seal_cursor(LAST_KEY, CONTEXT, KEY), CONTEXT, KEY, fits=lambda key: False, read=reads)
    assert caught.value.fields == ["cursor"] and reads.starts == []
    with pytest.raises(FieldErrors):
        cursor_page(seal_cursor(LAST_KEY, {**CONTEXT, "limit": 21}, KEY), CONTEXT, KEY, fits=lambda key: True,
                    read=reads)
    assert reads.starts == []


ENDPOINT = "whk_01JD0000000000000000000000"
REFUND = "rf_01JD0000000000000000000000"
OWNER = {"login": "demo", "role": "merchant", "merchantId": "demo"}
# The contexts, and a key of each list, as the cursors already issued were sealed: they keep opening.
ISSUED = {
    "endpoint": ("list-webhook-deliveries-cursor", {"caller": OWNER, "webhookId": ENDPOINT, "limit": 2},
                 {"PK": {"S": f"WEBHOOK#{ENDPOINT}"}, "SK": {"S": "ATTEMPT#01JD0000000000000000000001"}}),
    "refund": ("list-refund-deliveries-cursor", {"caller": OWNER, "refundId": REFUND, "limit": 2},
               {"PK": {"S": f"WEBHOOK#{ENDPOINT}"}, "SK": {"S": "ATTEMPT#01JD0000000000000000000001"},
                "GSI8PK": {"S": f"REFUND#{REFUND}"}, "GSI8SK": {"S": "01JD0000000000000000000001"}}),
}


@pytest.fixture
def deliveries(monkeypatch):
    """Both deliveries lists with their reads recorded: ``deliveries[list](cursor)`` is a page of it."""
    from refunds_core.callers import Caller, Role
    from refunds_core.dal import webhooks as dal
    from refunds_core.logic import refund_deliveries, webhooks

    starts: list[dict | None] = []
    caller = Caller("demo", Role.MERCHANT, "demo")
    for module in (webhooks, refund_deliveries):
        monkeypatch.setattr(module, "require_active_account", lambda caller: None)
        monkeypatch.setattr(module, "derived_key", lambda purpose: KEY + purpose.encode())
    monkeypatch.setattr(webhooks, "visible_endpoint", lambda caller, webhook_id: {"id": webhook_id})
    monkeypatch.setattr(refund_deliveries, "visible_refund", lambda caller, refund_id: {"id": refund_id})
    monkeypatch.setattr(dal, "attempts_page", lambda webhook_id, limit, start: starts.append(start) or ([], None))
    monkeypatch.setattr(dal, "refund_attempts_page", lambda refund_id, limit, start: starts.append(start) or ([], None))
    lists = {"endpoint": lambda params: webhooks.deliveries(caller, ENDPOINT, params),
             "refund": lambda params: refund_deliveries.page(caller, REFUND, params)}
    return lists, starts


@pytest.mark.parametrize("listed", ISSUED)
def test_a_deliveries_cursor_issued_before_the_one_paging_helper_still_opens(deliveries, listed):
    lists, starts = deliveries
    purpose, context, last_key = ISSUED[listed]
    lists[listed]({"limit": "2", "cursor": seal_cursor(last_key, context, KEY + purpose.encode())})
    assert starts == [last_key]


@pytest.mark.parametrize("listed", ISSUED)
def test_a_deliveries_cursor_of_another_partition_is_refused(deliveries, listed):
    lists, starts = deliveries
    purpose, context, last_key = ISSUED[listed]
    elsewhere = {name: {"S": value["S"].replace("01JD0", "01JE0")} for name, value in last_key.items()}
    with pytest.raises(FieldErrors) as caught:
        lists[listed]({"limit": "2", "cursor": seal_cursor(elsewhere, context, KEY + purpose.encode())})
    assert caught.value.fields == ["cursor"] and starts == []
