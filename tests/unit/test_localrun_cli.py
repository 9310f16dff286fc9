"""What `make run` and `make invoke` print: a request log a person reads
(the functions' metric documents left out unless asked for), and usage rather
than a traceback when the event file is wrong."""

from __future__ import annotations

import io
import json

import pytest

from localrun.__main__ import main
from localrun.lambda_pool import _forward_log

# What Powertools' Metrics prints at the end of an invocation (CloudWatch's embedded metric format).
METRIC_LINE = json.dumps({"_aws": {"Timestamp": 1796653051934, "CloudWatchMetrics": [
    {"Namespace": "RefundRequests", "Dimensions": [["service"]],
     "Metrics": [{"Name": "TokenIssued", "Unit": "Count"}]}]},
    "service": "refund-requests", "TokenIssued": [1.0]}, separators=(",", ":"))
LOG_LINE = '{"level":"INFO","message":"refund created","service":"refund-requests"}'


def forwarded(show_metrics: bool, capsys) -> list[str]:
    worker_stderr = io.BytesIO(f"{METRIC_LINE}\n{LOG_LINE}\nplain print\n".encode())
    _forward_log(worker_stderr, "[CreateRefundFunction] ", show_metrics)
    return capsys.readouterr().err.splitlines()


def test_the_request_log_leaves_the_metric_documents_out(capsys):
    assert forwarded(False, capsys) == [f"[CreateRefundFunction] {LOG_LINE}", "[CreateRefundFunction] plain print"]


def test_local_show_metrics_shows_them(capsys):
    assert forwarded(True, capsys)[0] == f"[CreateRefundFunction] {METRIC_LINE}"


@pytest.mark.parametrize(("content", "complaint"), [
    (None, "cannot read the event file"),
    ("{not json", "is not JSON"),
    ("[1, 2]", "holds no JSON object"),
])
def test_invoke_with_a_bad_event_file_prints_usage(tmp_path, capsys, content, complaint):
    event = tmp_path / "event.json"
    if content is not None:
        event.write_text(content)
    assert main(["invoke", "CreateRefundFunction", str(event)]) == 2
    err = capsys.readouterr().err
    assert complaint in err and "usage: make invoke FN=" in err and "create_refund.json" in err
    assert "Traceback" not in err
