"""The one place where a cancelled transaction becomes an answer."""

from refunds_core.callers import Caller, Role
from refunds_core.dal.codec import from_item
from refunds_core.dal.transactions import AlreadyApplied, Contention, Guarded, explain_cancellation
from refunds_core.errors import ApiError, RetryableError
from refunds_core.logic.refunds import _lock_refused, refusal

ORDER = {"PK": {"S": "ORDER#1"}, "merchantId": {"S": "demo"}, "status": {"S": "paid"},
         "totals": {"M": {"total": {"N": "59.50"}}}, "version": {"N": "3"}}


def explained(reasons):
    items = [Guarded({"Update": {}}, lambda old: refusal(old, "demo")), Guarded({"Put": {}})]
    return explain_cancellation(reasons, items)


def failed(item=None):
    return {"Code": "ConditionalCheckFailed", **({"Item": item} if item is not None else {})}


def test_a_lock_already_held_is_15050():
    error = explained([failed({**ORDER, "openRefundId": {"S": "rf_1"}}), {"Code": "None"}])
    assert isinstance(error, ApiError) and error.entries[0][0] == 15050


def test_each_order_rule_maps_to_its_code():
    assert explained([failed({**ORDER, "status": {"S": "pending"}}), {"Code": "None"}]).entries[0][0] == 15030
    zero = {**ORDER, "totals": {"M": {"total": {"N": "0"}}}}
    assert explained([failed(zero), {"Code": "None"}]).entries[0][0] == 15040
    assert explained([failed(), {"Code": "None"}]).entries[0][0] == 15060  # order gone
    assert explained([failed({**ORDER, "merchantId": {"S": "demo2"}}), {"Code": "None"}]).entries[0][0] == 15060


def test_a_version_race_that_breaks_no_rule_is_contention_not_a_business_error():
    assert isinstance(explained([failed(ORDER), {"Code": "None"}]), Contention)


def test_a_concurrent_transaction_is_contention_to_retry():
    assert isinstance(explained([{"Code": "TransactionConflict"}, {"Code": "None"}]), Contention)


def test_throttling_is_retryable_never_a_business_code_nor_a_retry_loop():
    for code in ("ThrottlingError", "ProvisionedThroughputExceeded", "ValidationError"):
        error = explained([{"Code": code}, {"Code": "None"}])
        assert type(error) is RetryableError


def test_our_own_committed_lock_is_recognised():
    """A botocore retry of a transaction that had committed sees our own lock:
    that is success, not 15050."""
    demo = Caller("demo", Role.MERCHANT, "demo")
    mine = from_item({**ORDER, "openRefundId": {"S": "rf_mine"}})
    assert isinstance(_lock_refused(mine, demo, "rf_mine"), AlreadyApplied)
    assert _lock_refused(mine, demo, "rf_other").entries[0][0] == 15050
