"""The sample events in events/ run through `make invoke`'s path (the docker-free
twin of `sam local invoke`) and get the answer a merchant would expect."""

import json

import pytest

from tests.conftest import BATCH_SAMPLE_EVENTS, ROOT, SAMPLE_EVENTS

pytestmark = pytest.mark.server



@pytest.mark.parametrize("name", sorted(SAMPLE_EVENTS))
def test_sample_event_invokes_its_function(runtime, name):
    from localrun.__main__ import prepare_event

    function, status = SAMPLE_EVENTS[name]
    event = prepare_event(runtime, json.loads((ROOT / "events" / name).read_text()))
    response = runtime.invoke(function, event)
    assert response["statusCode"] == status, response["body"]
    body = json.loads(response["body"])
    assert "data" in body or "token" in body or "openapi" in body


@pytest.mark.parametrize("name", sorted(BATCH_SAMPLE_EVENTS))
def test_batch_sample_event_is_processed_without_a_failed_record(runtime, name):
    from localrun.__main__ import prepare_event

    event = prepare_event(runtime, json.loads((ROOT / "events" / name).read_text()))
    assert runtime.invoke(BATCH_SAMPLE_EVENTS[name], event) == {"batchItemFailures": []}
