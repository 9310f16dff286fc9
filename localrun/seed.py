"""The local accounts and the demo order, written through the layer itself
(the same code and password hashing the deployed API uses).

Everything here runs inside `in_process.function_environment(...)`, in live
mode unless it says otherwise (``LocalRuntime._in_layer``), and is
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
    contact_email: str | None = None  # the merchant's contact email on file (seed 002's requests carry none)
    connection_id: str | None = None  # the merchant's store connection (seed 003's connectionId), fixed so docs name it


LOCAL_ACCOUNTS = (
    LocalAccount("demo", "demo-secret", "merchant", "demo", "refunds@demo.example.com",
                 "3f6c2a7e-1d4b-4c8a-9e2f-5b7d0a1c3e64"),
    LocalAccount("demo2", "demo2-secret", "merchant", "demo2", "refunds@demo2.example.com",
                 "8a1e5c3b-7f2d-4b6a-8c9e-0d4f2b6a1c75"),
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
    from refunds_core.dal import connections as stored_connections
    from refunds_core.logic import accounts, connections

    for account in LOCAL_ACCOUNTS:
        credential, merchant = stored.get_login_and_merchant(account.login, account.merchant_id)
        if account.merchant_id and merchant is None:
            accounts.create_merchant(account.merchant_id, contact_email=account.contact_email)
        elif account.contact_email and not merchant.get("contactEmail"):  # a merchant seeded before emails were
            accounts.set_contact_email(account.merchant_id, account.contact_email, only_if_none=True)
        if credential is None:
            accounts.create_login(account.login, account.password, Role(account.role), account.merchant_id)
        if account.connection_id and stored_connections.get(account.merchant_id, account.connection_id) is None:
            connections.create(account.merchant_id, f"{account.merchant_id}'s store",
                               connection_id=account.connection_id)


def seed_demo_order() -> None:
    """Order 1001 of merchant demo, paid, in live mode and in test mode, so
    events/*.json and a test-mode integration (docs/test-mode.md) have data to
    act on, put the way the order system puts it (PUT /v1/orders' logic)."""
    from refunds_core import modes
    from refunds_core.callers import Caller, Role
    from refunds_core.dal import orders as stored
    from refunds_core.logic import orders
    from refunds_core.modes import Mode

    for mode in Mode:
        with modes.acting_in(mode):
            if stored.get(DEMO_ORDER_ID) is None:
                orders.put(Caller("orders-service", Role.SERVICE, None, mode=mode), DEMO_ORDER_ID, DEMO_ORDER)


def open_demo_refund() -> str:
    """A fresh demo refund, REQUESTED, on a new paid order of merchant demo
    (refundOnly false, so it can be approved, shipped, denied or cancelled),
    opened through the create route's logic. Fresh every time, so a sample
    event finds the same state whatever ran before it."""
    return _fresh_demo_refund()["id"]


def open_demo_refund_and_order() -> tuple[str, str]:
    """The id of a fresh demo refund, as open_demo_refund opens it, and its order's
    (seed 004's routes name both)."""
    refund = _fresh_demo_refund()
    return refund["id"], refund["orderId"]


def open_demo_refund_number() -> str:
    """The number (seed 002's integer id) of a fresh demo refund, as open_demo_refund opens it."""
    return str(_fresh_demo_refund()["numericId"])


def _fresh_demo_refund() -> dict:
    from refunds_core import modes
    from refunds_core.callers import Caller, Role
    from refunds_core.logic import refunds
    from refunds_core.observability import metrics

    order_id = open_demo_order()
    try:
        return refunds.create(Caller("demo", Role.MERCHANT, "demo", mode=modes.current()), order_id,
                              DEMO_REFUND_REQUEST)
    finally:
        metrics.clear_metrics()  # this process publishes no metrics


def open_demo_order() -> str:
    """A fresh paid order of merchant demo (customer cust-1), put the way the
    order system puts it, its id a 15-digit integer: seed 002's clients name
    orders by integer ids."""
    import secrets

    from refunds_core import modes
    from refunds_core.callers import Caller, Role
    from refunds_core.logic import orders

    order_id = str(10**14 + secrets.randbelow(9 * 10**14))
    orders.put(Caller("orders-service", Role.SERVICE, None, mode=modes.current()), order_id,
               {**DEMO_ORDER, "number": f"SO-{order_id}"})
    return order_id
