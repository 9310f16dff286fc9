"""A short run of the load test (scripts/load_test.py, `make load`): concurrent
clients creating (some racing on the same orders), deciding and listing, on a
runtime of its own with stage throttling off. No 5xx and no broken invariant;
speed is not asserted (docs/benchmarks.md has the full run's figures)."""

from __future__ import annotations

import pytest

from scripts.load_test import Config, run_on_local_runtime

pytestmark = pytest.mark.server


def test_a_short_load_run_answers_no_5xx_and_breaks_no_invariant():
    result = run_on_local_runtime(Config(duration=12, clients=3, merchants=3, orders_per_merchant=4, hot_orders=2,
                                         seed=6), log=lambda *_: None)
    assert result.server_errors == [] and result.five_xx == 0
    assert not result.errors  # every request got an HTTP answer
    assert result.invariants.violations == []
    assert result.replays > 0 and result.replay_mismatches == []  # retried writes answered the first response
    # It did load the API: requests were opened and decided, and the invariants covered them.
    assert result.statuses["create"][200] > 0 and result.statuses["decide"][200] > 0
    assert result.invariants.refunds >= result.statuses["create"][200]
    assert 429 not in {status for counts in result.statuses.values() for status in counts}  # throttling off
