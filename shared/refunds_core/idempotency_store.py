"""The idempotency records' store: Powertools' DynamoDB persistence layer, whose
save of an answer never fails the request that earned it.

Powertools saves the route's answer after the route ran, through the store's
``_update_record`` (one of the four methods its documentation names for a
persistence layer of one's own, "Bring your own persistent store"), and turns
a failure there into an error: the client would get a 5xx for work that was
done. Here that save is tried again while time allows and, failing that, the
record is deleted so the key is not left in flight (a repeat runs the route
again, as without a key); either way the save returns and the client gets the
answer. tests/integration/test_idempotency_store.py pins what this relies on:
``_update_record`` is called once per answer, after the route ran, and for
nothing else.

Imported with the first request that carries an Idempotency-Key (this module
loads the utility)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from refunds_core.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

# Saves of an answer beyond the first (each with botocore's own retries): a
# repeat of a saved answer replays it, while a repeat of a lost one would run
# the route again and keep that second answer.
SAVE_RETRIES = 2
# A further call to the store only starts with this much of the invocation
# left (a throttled call answers in milliseconds; one that hangs takes 1 s to
# connect and 2 s to read): the client must get the answer of work done, not
# the function's timeout.
CALL_BUDGET_MS = 4_000


class AnswerKeepingStore(DynamoDBPersistenceLayer):
    """``config`` is the one the records are made with: the Lambda context
    registered on it tells how much of the invocation is left."""

    def __init__(self, *, config: IdempotencyConfig, **options):
        super().__init__(**options)
        self._config = config

    def _update_record(self, data_record: DataRecord) -> None:
        """Save the route's answer; if it cannot be saved, delete the record
        (if even that fails, the in-flight record stops blocking when the
        invocation's time is over). Never raises: the work is done."""
        error = None
        for attempt in range(1 + SAVE_RETRIES):
            if attempt and not self._time_for_a_call():
                break
            try:
                super()._update_record(data_record)
                return
            except Exception as exc:  # noqa: BLE001 - any failure to save is answered the same way
                error = exc
        logger.warning("idempotency record not saved: answering without it", extra={"reason": str(error)})
        if self._time_for_a_call():
            try:
                self._delete_record(data_record)
            except Exception as delete_error:  # noqa: BLE001 - the answer stands; the in-flight record expires
                logger.warning("idempotency record not deleted", extra={"reason": str(delete_error)})

    def _time_for_a_call(self) -> bool:
        context = self._config.lambda_context
        return context is None or context.get_remaining_time_in_millis() >= CALL_BUDGET_MS
