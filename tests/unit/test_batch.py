"""A stream batch handled whole and in order (refunds_core/batch.py): the records
before the one a handler stopped at succeed; it and every record after it are
reported failed, in Lambda's ReportBatchItemFailures answer."""

from __future__ import annotations

import pytest

from refunds_core.batch import process_in_order
from refunds_core.errors import StoppedAt


def stream(count: int) -> dict:
    return {"Records": [{"eventID": str(i), "eventSource": "aws:dynamodb", "dynamodb": {
        "SequenceNumber": f"{i:024d}", "NewImage": {"n": {"N": str(i)}}}} for i in range(count)]}


def test_the_handler_gets_the_whole_batch_typed_and_in_order():
    seen = []
    answer = process_in_order(stream(4), lambda records: seen.extend(
        (r.dynamodb.sequence_number, r.dynamodb.new_image["n"]) for r in records))
    assert answer == {"batchItemFailures": []}
    assert seen == [(f"{i:024d}", i) for i in range(4)]


def test_a_stop_fails_that_record_and_every_one_after_it():
    def stop_at_two(records):
        raise StoppedAt(2, RuntimeError("SNS down"))

    assert process_in_order(stream(5), stop_at_two) == {
        "batchItemFailures": [{"itemIdentifier": f"{i:024d}"} for i in (2, 3, 4)]}


@pytest.mark.parametrize("error", [StoppedAt(0, KeyError("down")), KeyError("anything else")])
def test_a_stop_at_the_first_record_fails_the_invocation_with_its_cause(error):
    def fail(records):
        raise error

    with pytest.raises(KeyError):  # Lambda retries all of it
        process_in_order(stream(3), fail)
