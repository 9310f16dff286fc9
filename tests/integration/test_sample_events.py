"""The sample events in events/ run through `make invoke`'s path (the docker-free
twin of `sam local invoke`) and get the answer a merchant would expect."""

import json

import pytest

from tests.conftest import BATCH_SAMPLE_EVENTS, ROOT, SAMPLE_EVENTS

pytestmark = pytest.mark.server


@pytest.fixture(scope="module", autouse=True)
def _no_sample_endpoint_left(api):
    """The webhook samples register demo's endpoint on a port nothing listens
    on; left behind, every later refund.issued of demo would be delivered
    there and retried in the background for the rest of the session."""
    yield
    sample_url = json.loads(json.loads((ROOT / "events" / "create_webhook.json").read_text())["body"])["url"]
    for endpoint in api.request("GET", "/v1/webhooks", login="demo").body["data"]:
        if endpoint["url"] == sample_url:
            assert api.request("DELETE", f"/v1/webhooks/{endpoint['id']}", login="demo").status == 200


@pytest.mark.parametrize("name", sorted(SAMPLE_EVENTS))
def test_sample_event_invokes_its_function(runtime, name):
    from localrun.__main__ import prepare_event

    function, status = SAMPLE_EVENTS[name]
    event = prepare_event(runtime, json.loads((ROOT / "events" / name).read_text()))
    response = runtime.invoke(function, event)
    assert response["statusCode"] == status, response["body"]
    if status == 204:  # done, nothing to show
        assert not response.get("body")
    elif (response.get("multiValueHeaders") or {}).get("Content-Type", [""])[0].startswith("text/csv"):
        # An export: a header row at least.
        assert response["body"].startswith("id,")
    else:
        body = json.loads(response["body"])  # an answer, enveloped or not (a dialect's may be at the top level)
        assert isinstance(body, dict) and body and "errors" not in body


@pytest.mark.parametrize("name", sorted(BATCH_SAMPLE_EVENTS))
def test_batch_sample_event_is_processed_without_a_failed_record(runtime, name):
    from localrun.__main__ import prepare_event

    event = prepare_event(runtime, json.loads((ROOT / "events" / name).read_text()))
    assert runtime.invoke(BATCH_SAMPLE_EVENTS[name], event) == {"batchItemFailures": []}
