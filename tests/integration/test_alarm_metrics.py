"""The alarm on webhook delivery failures watches the metric DeliverWebhooksFunction
really emits: the same namespace, name and dimensions (CloudWatch matches an
alarm's dimensions exactly: one more or one less and the alarm never fires)."""

from __future__ import annotations

import json

import pytest

from localrun import template as cfn
from tests.conftest import ROOT
from tests.integration.test_iam_coverage import _run, sample_event_as

pytestmark = pytest.mark.server

ALARM = cfn.load_template(ROOT / "template.yaml")["Resources"]["WebhookDeliveryFailuresAlarm"]["Properties"]


def _emitted_metrics(printed: str) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric name, dimensions) of each metric in the Embedded
    Metric Format documents printed (what CloudWatch Logs turns into metrics)."""
    found = []
    for line in printed.splitlines():
        document = json.loads(line) if line.startswith("{") else {}
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimension_set in directive["Dimensions"]:
                dimensions = {name: document[name] for name in dimension_set}
                found += [(directive["Namespace"], metric["Name"], dimensions) for metric in directive["Metrics"]]
    return found


def test_a_delivery_that_fails_for_good_emits_what_the_alarm_watches(runtime, monkeypatch, capsys):
    function = "DeliverWebhooksFunction"
    event = sample_event_as(runtime, monkeypatch, function, "deliver_webhooks.json")  # its last attempt, refused
    capsys.readouterr()
    response, _ = _run(function, event)
    assert response == {"batchItemFailures": []}  # recorded failed and dead-lettered: the task is done
    emitted = _emitted_metrics(capsys.readouterr().out)
    watched = (ALARM["Namespace"], ALARM["MetricName"], {d["Name"]: d["Value"] for d in ALARM["Dimensions"]})
    assert watched in emitted, emitted
    # Deployed, the namespace and the service are the function's environment as the template sets it.
    environment = runtime.function_env(function)
    assert watched[0] == environment["POWERTOOLS_METRICS_NAMESPACE"]
    assert watched[2] == {"service": environment["POWERTOOLS_SERVICE_NAME"]}
