"""The outbox's publisher: table stream records -> the refund events topic, in
SNS ``PublishBatch`` calls (up to 10 events and 256 KiB each).

The outbox is the events themselves: a refund's change and its event are
written in one transaction (``logic/refunds.event_of``), and the publisher
sends each refund event's body, as kept, when its item appears in the stream
(an INSERT). A refund change whose item does not name the event of its own
version (no ``eventId``, or an ``eventVersion`` other than its ``version``)
was written by a version that did not keep events with the change (during the
deploy that introduced it, old and new functions run side by side, and an old
one may move a refund the new one created): its event is made from the
stream's image and kept here (once: ``keep_once``), and is published when
that item comes through the stream in turn.

A stream batch is published in order, one call at a time: the next call is
made only when the previous one published all of its entries. At the first
record that is not published (its event could not be built, its call failed,
or SNS answered its entry in ``Failed``) the batch stops: that record and all
after it are reported failed and Lambda retries from it. Entries of the same
call after a failed one may have been published already; the retry publishes
them again with the same event id (at least once per event id, the contract
subscribers already have: they de-duplicate on the id)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from refunds_core import events, modes
from refunds_core.aws import sns
from refunds_core.dal import events as kept_events
from refunds_core.errors import StoppedAt
from refunds_core.logic.refunds import event_of
from refunds_core.observability import logger, metrics
from refunds_core.settings import settings

MAX_ENTRIES = 10                 # SNS PublishBatch: at most 10 entries per request
MAX_REQUEST_BYTES = 256 * 1024   # and at most 256 KiB of messages (bodies and attributes) per request


class EntryFailed(Exception):  # noqa: N818 - SNS's answer for one entry
    """SNS listed the entry in the ``Failed`` of its PublishBatch answer."""


def entry_size(entry: dict) -> int:
    """What an entry counts toward a request's 256 KiB: its body and its attributes."""
    return len(entry["Message"].encode()) + sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in entry["MessageAttributes"].items())


def _entry(index: int, event: dict) -> dict:
    livemode = str(modes.livemode(modes.of_item(event))).lower()  # an event kept before test mode: live
    return {"Id": str(index), "Message": event["body"],
            # Subscribers filter on these without reading the body (a finance subscriber: livemode "true").
            "MessageAttributes": {"eventType": {"DataType": "String", "StringValue": event["eventType"]},
                                  "merchantId": {"DataType": "String", "StringValue": event["merchantId"]},
                                  "livemode": {"DataType": "String", "StringValue": livemode}}}


def event_of_change(old: dict | None, new: dict | None) -> dict | None:
    """The event a change of a refund item is (as ``dal/events.keep`` keeps it),
    or None: not a refund, a removal, or a write that was not a transition."""
    if not new or new.get("type") != "Refund" or not new.get("history"):
        return None
    if old is not None and old.get("version") == new.get("version"):
        return None
    return event_of(new)


def kept_with_its_change(refund: dict) -> bool:
    """Whether a refund item names the event kept with its latest change
    (``logic/refunds.names_its_event``): written by a version that keeps them."""
    return "eventId" in refund and refund.get("eventVersion") == refund.get("version")


def _event(record: DynamoDBRecord) -> dict | None:
    """The refund event to publish for a record, or None. A refund change
    without its event kept gets it kept now (its item is published in turn)."""
    stream = record.dynamodb
    new = stream.new_image if stream else None
    if not new:
        return None
    if new.get("type") == "Event":
        # Kept once, never changed: its INSERT is the one to publish. Only refund
        # events go out: the endpoints' own (webhook_endpoint.disabled) are listed only.
        inserted = record.event_name is not None and record.event_name.name == "INSERT"
        return new if inserted and new.get("eventType") in events.TYPES else None
    if new.get("type") == "Refund" and not kept_with_its_change(new):
        legacy = event_of_change(stream.old_image, new)
        if legacy is not None and _keep_once_in_mode_of(new, legacy):
            logger.info("refund event kept from the stream", extra={"event_id": legacy["eventId"]})
    return None


def _keep_once_in_mode_of(refund: dict, event: dict) -> bool:
    # A refund from before test mode has no livemode: it is live, as its keys are.
    with modes.acting_in(modes.of_item(refund)):
        return kept_events.keep_once(event)


def publish_all(records: list[DynamoDBRecord]) -> None:
    """Publish the events of a stream batch's records (the records that are no
    event are skipped), in order. Raises :class:`StoppedAt` at the first record
    not published: Lambda retries the batch from it."""
    chunk: list[tuple[dict, dict]] = []
    size = 0
    for index, record in enumerate(records):
        try:
            event = _event(record)
        except Exception as exc:  # noqa: BLE001 - the records before it are published, then the batch stops
            _send(chunk)
            raise StoppedAt(index, exc) from exc
        if event is None:
            continue
        entry = _entry(index, event)
        if chunk and (len(chunk) == MAX_ENTRIES or size + entry_size(entry) > MAX_REQUEST_BYTES):
            _send(chunk)
            chunk, size = [], 0
        chunk.append((event, entry))
        size += entry_size(entry)
    _send(chunk)


def _send(chunk: list[tuple[dict, dict]]) -> None:
    """One PublishBatch call; raises StoppedAt at its first entry not published."""
    if not chunk:
        return
    try:
        answer = sns().publish_batch(TopicArn=settings().EVENTS_TOPIC_ARN,
                                     PublishBatchRequestEntries=[entry for _, entry in chunk])
    except Exception as exc:  # noqa: BLE001 - nothing of this call is known published: it fails from its first
        raise StoppedAt(int(chunk[0][1]["Id"]), exc) from exc
    failed = {failure["Id"]: failure for failure in answer.get("Failed", [])}
    for event, entry in chunk:
        if failure := failed.get(entry["Id"]):
            raise StoppedAt(int(entry["Id"]), EntryFailed(f"{failure.get('Code')}: {failure.get('Message')}"))
        logger.info("refund event published", extra={"event_id": event["eventId"], "event_type": event["eventType"]})
        metrics.add_metric(name="RefundEventPublished", unit=MetricUnit.Count, value=1)
