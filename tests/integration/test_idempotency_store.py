"""What refunds_core/idempotency_store.py relies on in Powertools' idempotency
utility, pinned on the runtime's IdempotencyTable (moto), so an upgrade that
changes it fails here rather than in production: the answer is saved with one
``_update_record`` call after the function ran, and that method is used for
nothing else; a save that returns is an answer returned. And what the store
does with the time it has when the save fails."""

from __future__ import annotations

import uuid

import pytest
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemNotFoundError,
)

from refunds_core.idempotency_store import CALL_BUDGET_MS, SAVE_RETRIES, AnswerKeepingStore
from tests.conftest import LambdaContext

pytestmark = pytest.mark.server


class ContextWith(LambdaContext):
    def __init__(self, left_ms: int):
        self.left_ms = left_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.left_ms


class RecordingStore(AnswerKeepingStore):
    """The store, noting each save Powertools asks of it: (status, answer)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.saves: list[tuple[str, dict]] = []

    def _update_record(self, data_record) -> None:
        self.saves.append((data_record.status, data_record.response_json_as_dict()))
        super()._update_record(data_record)


@pytest.fixture
def setup(runtime, dynamodb):
    """A store, its config and a key prefix of the test's own (faults match it)."""
    config = IdempotencyConfig(event_key_jmespath="key", raise_on_no_idempotency_key=True)
    store = RecordingStore(config=config, table_name=runtime.physical_ids["IdempotencyTable"], boto3_client=dynamodb)
    return store, config, f"pin-{uuid.uuid4().hex}"


def idempotent(store, config, prefix, work):
    return idempotent_function(data_keyword_argument="request", persistence_store=store, config=config,
                               key_prefix=prefix)(work)


def test_an_answer_is_saved_once_after_the_call_and_no_other_path_saves(setup):
    store, config, prefix = setup
    config.register_lambda_context(ContextWith(10_000))
    saves_before_the_call = []

    def work(*, request):
        saves_before_the_call.append(len(store.saves))
        if request["key"] == "fails":
            raise RuntimeError("the route failed")
        return {"answer": request["key"]}

    call = idempotent(store, config, prefix, work)
    assert call(request={"key": "k1"}) == {"answer": "k1"}
    assert store.saves == [("COMPLETED", {"answer": "k1"})] and saves_before_the_call == [0]

    assert call(request={"key": "k1"}) == {"answer": "k1"}  # a replay: the function did not run
    with pytest.raises(RuntimeError):
        call(request={"key": "fails"})  # its record is deleted
    store.save_inprogress(data={"key": "k2"}, remaining_time_in_millis=60_000)
    with pytest.raises(IdempotencyAlreadyInProgressError):
        call(request={"key": "k2"})
    assert saves_before_the_call == [0, 1] and len(store.saves) == 1
    with pytest.raises(IdempotencyItemNotFoundError):
        store.get_record(data={"key": "fails"})


@pytest.mark.parametrize(("left_ms", "saves", "record"), [
    (CALL_BUDGET_MS, 1 + SAVE_RETRIES, None),   # tried again, then deleted: the key is free
    (CALL_BUDGET_MS - 1, 1, "INPROGRESS"),      # no time for another call: it expires with the invocation
])
def test_when_the_answer_cannot_be_saved_it_is_still_returned(setup, runtime, left_ms, saves, record):
    store, config, prefix = setup
    config.register_lambda_context(ContextWith(left_ms))
    faults = runtime.aws.faults
    refused = faults.inject("dynamodb", "UpdateItem", "ValidationException", times=None, match=f"{prefix}#")
    try:
        answer = idempotent(store, config, prefix, lambda *, request: {"answer": 1})(request={"key": "k"})
    finally:
        faults.clear()
    assert answer == {"answer": 1}
    assert refused.hits == saves
    if record is None:
        with pytest.raises(IdempotencyItemNotFoundError):
            store.get_record(data={"key": "k"})
    else:
        assert store.get_record(data={"key": "k"}).status == record
