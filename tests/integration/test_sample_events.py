"""The sample events in events/ run through `make invoke`'s path (the docker-free
twin of `sam local invoke`) and get the answer a merchant would expect."""

import json

import pytest

from tests.conftest import ROOT, SAMPLE_EVENTS

pytestmark = pytest.mark.server



@pytest.mark.parametrize("name", sorted(SAMPLE_EVENTS))
def test_sample_event_invokes_its_function(runtime, name):
    from localrun.__main__ import prepare_event

    function, status = SAMPLE_EVENTS[name]
    event = prepare_event(runtime, json.loads((ROOT / "events" / name).read_text()))
    response = runtime.invoke(function, event)
    assert response["statusCode"] == status, response["body"]
    assert "data" in json.loads(response["body"]) or "token" in json.loads(response["body"])
