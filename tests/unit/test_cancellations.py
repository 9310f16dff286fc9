"""The one place where a cancelled transaction becomes an answer."""

from refunds_core import errors
from refunds_core.dal.transactions import Guarded, StaleRead, explain_cancellation
from refunds_core.errors import ApiError, RetryableError
from refunds_core.logic.refunds import refusal

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


def test_a_version_race_that_breaks_no_rule_is_a_stale_read_not_a_business_error():
    assert isinstance(explained([failed(ORDER), {"Code": "None"}]), StaleRead)


def test_conflicts_and_throttling_are_retryable_never_a_business_code():
    for code in ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"):
        error = explained([{"Code": code}, {"Code": "None"}])
        assert isinstance(error, RetryableError) and not isinstance(error, ApiError)


def test_an_unexplained_failure_on_an_item_without_rules_is_retryable():
    error = explained([{"Code": "None"}, failed()])
    assert isinstance(error, StaleRead)


def test_codes_are_unique_in_the_catalogue():
    codes = [entry.code for entry in errors.CATALOGUE]
    assert len(codes) == len(set(codes))
