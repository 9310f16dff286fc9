"""GET /v1/refunds/counts without AWS: who counts which partitions, and what
the cap makes of a count."""

from __future__ import annotations

import pytest

from refunds_core.callers import Caller, Role
from refunds_core.dal import refund_queries
from refunds_core.errors import FieldErrors
from refunds_core.logic import counts

MERCHANT = Caller("demo", Role.MERCHANT, "demo")
SUPPORT = Caller("support", Role.SUPPORT, None)


@pytest.fixture
def counted(monkeypatch):
    """counts.open_counts with a fake count: ``counted.stored`` maps a partition
    to how many it holds; ``counted.calls`` lists each (index, partition, at_most)."""

    class Counted:
        stored: dict[str, int] = {}
        calls: list[tuple[str, str, int]] = []

    def fake_count(index, partition, *, at_most):
        Counted.calls.append((index, partition, at_most))
        return min(Counted.stored.get(partition, 0), at_most)

    Counted.stored, Counted.calls = {}, []
    monkeypatch.setattr(counts, "require_active_account", lambda caller: None)
    monkeypatch.setattr(refund_queries, "count", fake_count)
    return Counted


@pytest.mark.parametrize(("caller", "params", "index", "prefix"), [
    (MERCHANT, {}, "ByMerchantStatus", "MERCHANT#demo#STATUS#"),
    (SUPPORT, {}, "ByStatus", "STATUS#"),
    (SUPPORT, {"merchantId": "demo2"}, "ByMerchantStatus", "MERCHANT#demo2#STATUS#"),
])
def test_each_open_status_is_counted_in_its_own_partition(counted, caller, params, index, prefix):
    counts.open_counts(caller, params)
    assert counted.calls == [(index, prefix + status, counts.CAP + 1)
                             for status in ("REQUESTED", "WAITING", "PROCESSING")]


def test_the_answer_names_each_open_status_with_its_count(counted):
    counted.stored = {"MERCHANT#demo#STATUS#REQUESTED": 12, "MERCHANT#demo#STATUS#PROCESSING": 1,
                      "MERCHANT#demo#STATUS#ISSUED": 40}
    assert counts.open_counts(MERCHANT, {}) == {
        "REQUESTED": {"count": 12, "capped": False}, "WAITING": {"count": 0, "capped": False},
        "PROCESSING": {"count": 1, "capped": False}}


@pytest.mark.parametrize(("stored", "answer"), [
    (999, {"count": 999, "capped": False}), (1000, {"count": 1000, "capped": False}),
    (1001, {"count": 1000, "capped": True}), (250_000, {"count": 1000, "capped": True}),
])
def test_counting_stops_past_the_cap_and_says_so(counted, stored, answer):
    counted.stored = {"STATUS#WAITING": stored}
    assert counts.open_counts(SUPPORT, {})["WAITING"] == answer


@pytest.mark.parametrize(("caller", "params", "bad"), [
    (MERCHANT, {"merchantId": "demo"}, ["merchantId"]),  # a merchant's merchant is its token's
    (MERCHANT, {"status": "REQUESTED"}, ["status"]),
    (SUPPORT, {"merchantId": "no such/merchant"}, ["merchantId"]),
    (SUPPORT, {"limit": "5", "merchantId": "demo"}, ["limit"]),
])
def test_a_bad_or_unknown_parameter_is_15010_and_counts_nothing(counted, caller, params, bad):
    with pytest.raises(FieldErrors) as caught:
        counts.open_counts(caller, params)
    assert caught.value.fields == bad
    assert counted.calls == []
