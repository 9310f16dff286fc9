"""Test mode's separation is in the keys (dal/keys.py, docs/test-mode.md):
every partition of data that has a mode is built in the mode being handled,
the two modes' partitions never meet, and nothing is built without a mode."""

import contextvars
import inspect
import json

import pytest

from refunds_core import idempotency, listing_query, modes
from refunds_core.callers import Caller, Role
from refunds_core.dal import keys
from refunds_core.models import EVENT_ID, IDENTIFIER
from refunds_core.modes import Mode

MODED = {  # every key function of data with a mode -> the partition it builds for sample ids
    "order": lambda: keys.order("o-1")["PK"]["S"],
    "refund": lambda: keys.refund("rf_1")["PK"]["S"],
    "by_merchant": lambda: keys.by_merchant("m-1"),
    "by_merchant_status": lambda: keys.by_merchant_status("m-1", "REQUESTED"),
    "by_order": lambda: keys.by_order("o-1"),
    "by_merchant_validity": lambda: keys.by_merchant_validity("m-1", True),
    "by_customer": lambda: keys.by_customer("m-1", "c-1"),
    "by_status": lambda: keys.by_status("REQUESTED"),  # support's queue
    "by_merchant_batch": lambda: keys.by_merchant_batch("m-1", "b-1"),
    "refund_indexes": lambda: keys.refund_indexes(
        {"id": "rf_1", "merchantId": "m-1", "orderId": "o-1", "status": "REQUESTED", "customerId": "c-1",
         "batchId": "b-1"})["GSI7PK"],
    "status_indexes": lambda: keys.status_indexes("m-1", "ISSUED")["GSI6PK"],
    "endpoints_partition": lambda: keys.endpoints_partition("m-1"),
    "webhook_endpoint": lambda: keys.webhook_endpoint("m-1", "whk_1")["PK"]["S"],
    "attempts_partition": lambda: keys.attempts_partition("whk_1"),
    "webhook_attempt": lambda: keys.webhook_attempt("whk_1", "a-1")["PK"]["S"],
    "by_refund_deliveries": lambda: keys.by_refund_deliveries("rf_1"),
    "refund_delivery_index": lambda: keys.refund_delivery_index("rf_1", "a-1")["GSI8PK"],
    "events_partition": lambda: keys.events_partition("m-1"),
    "event": lambda: keys.event("m-1", "evt_1")["PK"]["S"],
    "events_by_type": lambda: keys.events_by_type("m-1", "refund.created"),
    "events_by_refund": lambda: keys.events_by_refund("m-1", "rf_1"),
    "event_indexes": lambda: keys.event_indexes(
        {"merchantId": "m-1", "eventType": "refund.created", "eventId": "evt_1", "refundId": "rf_1"})["GSI3PK"],
}
ACCOUNT = {  # the account's items: one for both modes
    "credential": lambda: keys.credential("demo")["PK"]["S"],
    "merchant": lambda: keys.merchant("m-1")["PK"]["S"],
    "api_key": lambda: keys.api_key("ab12")["PK"]["S"],
    "merchant_api_key": lambda: keys.merchant_api_key("m-1", "key_1")["PK"]["S"],
    "merchant_connection": lambda: keys.merchant_connection("m-1", "c-1")["PK"]["S"],
}
NO_PARTITION = {"created_between", "leading_test_keys"}  # sort key bounds; an IAM pattern


def test_every_key_function_is_known_to_have_a_mode_or_not():
    public = {name for name, value in vars(keys).items()
              if inspect.isfunction(value) and value.__module__ == keys.__name__ and not name.startswith("_")}
    assert public == set(MODED) | set(ACCOUNT) | NO_PARTITION, "a new key: say here whether it has a mode"


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


def test_no_id_can_forge_the_mark_so_the_modes_partitions_never_meet():
    # Every id a key is built from is checked first: an identifier, or one of our prefixed ULIDs.
    assert not IDENTIFIER.fullmatch("@test") and not IDENTIFIER.fullmatch("a#@test")
    assert not EVENT_ID.fullmatch("evt_@test")
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


def test_a_business_metric_of_test_mode_is_named_apart_so_no_live_alarm_counts_it():
    from refunds_core.observability import count, metrics

    metrics.clear_metrics()
    try:
        count("WebhookDeliveryFailed")
        with modes.acting_in(Mode.TEST):
            count("WebhookDeliveryFailed")
        assert set(metrics.metric_set) == {"WebhookDeliveryFailed", "TestWebhookDeliveryFailed"}
    finally:
        metrics.clear_metrics()


# The stream and queue workers say each record's mode themselves: run in a
# context where nothing said one (not even this suite's session-wide live mode),
# each reads and writes in the record's own.

def _in_a_fresh_context(call):
    return contextvars.Context().run(call)


def _sqs_record(body: str):
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    return SQSRecord({"messageId": "m-1", "receiptHandle": "r", "body": body, "attributes": {
        "ApproximateReceiveCount": "1"}, "messageAttributes": {}, "eventSource": "aws:sqs"})


@pytest.mark.parametrize("livemode", [True, False])
def test_the_dispatcher_reads_the_endpoints_and_queues_the_tasks_of_the_events_mode(monkeypatch, livemode):
    from refunds_core.logic import dispatch

    read_in, queued = [], []
    monkeypatch.setattr(dispatch.webhooks, "endpoints_of", lambda merchant_id: read_in.append(modes.current()) or [
        {"id": "whk_1", "events": ["refund.created"], "enabled": True}])
    monkeypatch.setattr(dispatch, "queue", queued.extend)
    body = json.dumps({"id": "evt_01M81B5H80RNXZ98W5K0QCDWVQ", "type": "refund.created",
                       "createdAt": "2026-12-07T10:00:00.000Z", "merchantId": "m-1", "livemode": livemode,
                       "sequence": 1, "data": {"id": "rf_1"}})
    _in_a_fresh_context(lambda: dispatch.Dispatcher().handle(_sqs_record(body)))
    assert read_in == [modes.of_livemode(livemode)]
    assert [task.livemode for task in queued] == [livemode]


@pytest.mark.parametrize("livemode", [True, False])
def test_the_deliverer_delivers_a_task_in_its_mode(monkeypatch, livemode):
    from refunds_core.logic import delivery

    delivered_in = []
    monkeypatch.setattr(delivery, "_deliver_task", lambda *_args: delivered_in.append(modes.current()))
    task = json.dumps({"webhookId": "whk_1", "merchantId": "m-1", "eventId": "evt_1", "eventType": "refund.created",
                       "body": "{}", "livemode": livemode})
    _in_a_fresh_context(lambda: delivery.deliver(_sqs_record(task)))
    assert delivered_in == [modes.of_livemode(livemode)]


@pytest.mark.parametrize("livemode", [True, False, None])
def test_the_publisher_keeps_a_legacy_changes_event_in_the_refunds_mode(monkeypatch, livemode):
    from refunds_core.logic import publishing

    kept_in = []
    monkeypatch.setattr(publishing.kept_events, "keep_once", lambda event: kept_in.append(modes.current()))
    refund = {"type": "Refund", "livemode": livemode} if livemode is not None else {"type": "Refund"}
    _in_a_fresh_context(lambda: publishing._keep_once_in_mode_of(refund, {}))
    assert kept_in == [modes.of_livemode(livemode)]  # a refund from before test mode: live
