"""The local accounts and the demo order, written through the layer itself
(the same code and password hashing the deployed API uses).

Everything here runs inside `in_process.function_environment(...)`, and is
idempotent: what exists is kept, so restarts against a long-lived endpoint
neither duplicate nor reset anything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalAccount:
    login: str
    password: str
    role: str
    merchant_id: str | None = None


LOCAL_ACCOUNTS = (
    LocalAccount("demo", "demo-secret", "merchant", "demo"),
    LocalAccount("demo2", "demo2-secret", "merchant", "demo2"),
    LocalAccount("orders-service", "orders-secret", "service"),
    LocalAccount("support", "support-secret", "support"),
)

DEMO_ORDER_ID = "1001"
DEMO_ORDER = {
    "merchantId": "demo", "number": "SO-1001", "status": "paid", "currency": "USD", "customerId": "cust-1",
    "lineItems": [{"itemId": "sku-1", "name": "Widget", "quantity": 2, "unitPrice": "25.00",
                   "discount": "5.00", "tax": "4.50"}],
    "shipping": {"price": "10.00", "tax": "0.00"},
}
# The request each {{refund:demo}} opens (see open_demo_refund).
DEMO_REFUND_REQUEST = {"description": "Demo return", "email": "merchant@example.com", "refundOnly": False}


def seed_accounts() -> None:
    from refunds_core.callers import Role
    from refunds_core.dal import accounts as stored
    from refunds_core.logic import accounts

    for account in LOCAL_ACCOUNTS:
        credential, merchant = stored.get_login_and_merchant(account.login, account.merchant_id)
        if account.merchant_id and merchant is None:
            accounts.create_merchant(account.merchant_id)
        if credential is None:
            accounts.create_login(account.login, account.password, Role(account.role), account.merchant_id)


def seed_demo_order() -> None:
    """Order 1001 of merchant demo, paid, so events/*.json have data to act on,
    put the way the order system puts it (PUT /v1/orders' logic)."""
    from refunds_core.callers import Caller, Role
    from refunds_core.dal import orders as stored
    from refunds_core.logic import orders

    if stored.get(DEMO_ORDER_ID) is None:
        orders.put(Caller("orders-service", Role.SERVICE, None), DEMO_ORDER_ID, DEMO_ORDER)


def open_demo_refund() -> str:
    """A fresh demo refund, REQUESTED, on a new paid order of merchant demo
    (refundOnly false, so it can be approved, shipped, denied or cancelled),
    opened through the create route's logic. Fresh every time, so a sample
    event finds the same state whatever ran before it."""
    import uuid

    from refunds_core.callers import Caller, Role
    from refunds_core.logic import orders, refunds
    from refunds_core.observability import metrics

    order_id = f"demo-{uuid.uuid4().hex[:12]}"
    try:
        orders.put(Caller("orders-service", Role.SERVICE, None), order_id, {**DEMO_ORDER, "number": order_id})
        return refunds.create(Caller("demo", Role.MERCHANT, "demo"), order_id, DEMO_REFUND_REQUEST)["id"]
    finally:
        metrics.clear_metrics()  # this process publishes no metrics
