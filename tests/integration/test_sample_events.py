"""The sample events in events/ run through `make invoke`'s path (the docker-free
twin of `sam local invoke`) and get the answer a merchant would expect."""

import json

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.server

EXPECTED = {"issue_token.json": ("IssueTokenFunction", 200), "put_order.json": ("PutOrderFunction", 200),
            "get_order.json": ("GetOrderFunction", 200), "create_refund.json": ("CreateRefundFunction", 200),
            "list_refunds.json": ("ListRefundsFunction", 200),
            # {{refund:demo}}: the open demo refund on order 1002 (refundOnly false), opened when none is;
            # whatever order these run in, each finds a refund its action is allowed on.
            "get_refund.json": ("GetRefundFunction", 200), "update_refund.json": ("UpdateRefundFunction", 200),
            "cancel_refund.json": ("CancelRefundFunction", 200),
            "issue_customer_token.json": ("IssueCustomerTokenFunction", 200)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event_invokes_its_function(runtime, name):
    from localrun.__main__ import prepare_event

    function, status = EXPECTED[name]
    event = prepare_event(runtime, json.loads((ROOT / "events" / name).read_text()))
    response = runtime.invoke(function, event)
    assert response["statusCode"] == status, response["body"]
    assert "data" in json.loads(response["body"]) or "token" in json.loads(response["body"])
