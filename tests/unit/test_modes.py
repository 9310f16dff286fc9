"""Test mode's separation is in the keys (dal/keys.py, docs/test-mode.md):
every partition of data that has a mode is built in the mode being handled,
the two modes' partitions never meet, and nothing is built without a mode."""

import contextvars

import pytest

from refunds_core import idempotency, listing_query, modes
from refunds_core.callers import Caller, Role
from refunds_core.dal import keys
from refunds_core.modes import Mode

MODED = {  # every partition of data with a mode: what a key or a query names
    "order": lambda: keys.order("o-1")["PK"]["S"],
    "refund": lambda: keys.refund("rf_1")["PK"]["S"],
    "by merchant": lambda: keys.by_merchant("m-1"),
    "by merchant status": lambda: keys.by_merchant_status("m-1", "REQUESTED"),
    "by order": lambda: keys.by_order("o-1"),
    "by merchant validity": lambda: keys.by_merchant_validity("m-1", True),
    "by customer": lambda: keys.by_customer("m-1", "c-1"),
    "support's queue": lambda: keys.by_status("REQUESTED"),
    "by merchant batch": lambda: keys.by_merchant_batch("m-1", "b-1"),
    "endpoints": lambda: keys.webhook_endpoint("m-1", "whk_1")["PK"]["S"],
    "attempts": lambda: keys.webhook_attempt("whk_1", "a-1")["PK"]["S"],
    "a refund's deliveries": lambda: keys.by_refund_deliveries("rf_1"),
    "events": lambda: keys.event("m-1", "evt_1")["PK"]["S"],
    "events by type": lambda: keys.events_by_type("m-1", "refund.created"),
    "events by refund": lambda: keys.events_by_refund("m-1", "rf_1"),
}
ACCOUNT = {  # the account's items: one for both modes
    "login": lambda: keys.credential("demo")["PK"]["S"],
    "merchant": lambda: keys.merchant("m-1")["PK"]["S"],
    "api key": lambda: keys.api_key("ab12")["PK"]["S"],
    "connection": lambda: keys.merchant_connection("m-1", "c-1")["PK"]["S"],
}


def built(partition, mode: Mode) -> str:
    with modes.acting_in(mode):
        return partition()


@pytest.mark.parametrize("name", MODED)
def test_a_test_partition_is_marked_after_its_first_word_and_a_live_one_is_as_before(name):
    live, test = built(MODED[name], Mode.LIVE), built(MODED[name], Mode.TEST)
    kind, _, rest = live.partition("#")
    assert test == f"{kind}#@test#{rest}"
    assert test.startswith(keys.leading_test_keys(kind).removesuffix("*"))  # what a test-only IAM policy names


@pytest.mark.parametrize("name", ACCOUNT)
def test_the_accounts_items_have_no_mode(name):
    assert built(ACCOUNT[name], Mode.LIVE) == built(ACCOUNT[name], Mode.TEST)


def test_no_live_partition_of_any_id_is_a_test_partition():
    # An id starts with a letter or digit (models.IDENTIFIER): "@test" is never one, nor a status.
    live = {built(partition, Mode.LIVE) for partition in MODED.values()}
    assert not any("@test" in value for value in live)
    assert live.isdisjoint(built(partition, Mode.TEST) for partition in MODED.values())


def test_a_key_built_where_no_mode_was_said_is_refused_not_guessed():
    with pytest.raises(RuntimeError, match="no mode"):
        contextvars.Context().run(lambda: keys.order("o-1"))


@pytest.mark.parametrize("role", list(Role))
def test_idempotency_keys_and_cursors_of_one_caller_differ_by_mode_and_live_ones_are_as_before(role):
    live = Caller("demo", role, "m-1", customer_id="c-1", minted_by="demo")
    test = Caller("demo", role, "m-1", customer_id="c-1", minted_by="demo", mode=Mode.TEST)
    assert idempotency.scope(live) != idempotency.scope(test)
    assert listing_query.cursor_owner(live) != listing_query.cursor_owner(test)
    assert "mode" not in listing_query.cursor_owner(live)
    assert not any("mode" in part for part in idempotency.scope(live))
