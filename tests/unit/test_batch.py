"""The whole-batch stream processor (refunds_core/batch.py): the records before the
one a handler stopped at succeed; it and every record after it are reported failed."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from refunds_core.batch import InOrderStreamBatchProcessor, StoppedAt


def stream(count: int) -> dict:
    return {"Records": [{"eventID": str(i), "eventSource": "aws:dynamodb", "dynamodb": {
        "SequenceNumber": f"{i:024d}", "NewImage": {"n": {"N": str(i)}}}} for i in range(count)]}


def run(handler, count: int) -> dict:
    return process_partial_response(event=stream(count), record_handler=handler,
                                    processor=InOrderStreamBatchProcessor())


def test_the_handler_gets_the_whole_batch_typed_and_in_order():
    seen = []
    assert run(lambda records: seen.extend(r.dynamodb.sequence_number for r in records), 4) == {
        "batchItemFailures": []}
    assert seen == [f"{i:024d}" for i in range(4)]


def test_a_stop_fails_that_record_and_every_one_after_it():
    def stop_at_two(records):
        raise StoppedAt(2, RuntimeError("SNS down"))

    assert run(stop_at_two, 5) == {"batchItemFailures": [{"itemIdentifier": f"{i:024d}"} for i in (2, 3, 4)]}


@pytest.mark.parametrize("error", [StoppedAt(0, RuntimeError("down")), RuntimeError("anything else")])
def test_a_stop_at_the_first_record_fails_the_whole_batch(error):
    def fail(records):
        raise error

    with pytest.raises(BatchProcessingError):  # Lambda retries all of it
        run(fail, 3)
