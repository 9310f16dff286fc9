"""A refund after it is opened: GET /v1/refunds/{id}, the PATCH actions and
DELETE (cancel). The rules are the table in ``logic/transitions.py``; this
module applies them, each transition as one conditional write
(docs/lifecycle.md)."""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import replace

from refunds_core import errors, shapes, statuses
from refunds_core.auth import account_guards, require_active_account
from refunds_core.callers import Caller, Role, Scope
from refunds_core.clock import now_iso
from refunds_core.dal import events, orders, refunds
from refunds_core.dal.transactions import AlreadyApplied, Contention, Guarded, retry_on_contention, transact_write
from refunds_core.errors import ApiError, FieldErrors
from refunds_core.logic import refund_math, transitions
from refunds_core.logic.orders import present as present_order
from refunds_core.logic.orders import sees
from refunds_core.logic.refunds import event_of, history_entry, names_its_event, present
from refunds_core.logic.transitions import TRANSITIONS, Transition
from refunds_core.models import RefundQuery
from refunds_core.modes import Mode
from refunds_core.observability import count, logger
from refunds_core.validation import parse

# Our refund ids: "rf_" + a ULID (Crockford base32). Anything else is not one
# of ours, answered 404 without a read (and never a key DynamoDB would refuse).
_REFUND_ID = re.compile(r"rf_[0-9A-HJKMNP-TV-Z]{26}")
# Who may simulate support's decisions in test mode: the refund's merchant (its route's roles).
SIMULATING = frozenset({Role.MERCHANT})


def get(caller: Caller, refund_id: str, params: dict[str, str]) -> shapes.RefundView | shapes.RefundWithOrder:
    """The refund, with the actions the caller may take on it now; with
    ``?expand=order``, its order beside it (seed 004). A caller who sees a
    refund sees its order: they share merchant and customer."""
    require_active_account(caller)
    query = parse(RefundQuery, params)
    refund = visible_refund(caller, refund_id)
    view = shapes.RefundView(**present(refund), actions=transitions.allowed(caller.role, refund),
                             simulations=_simulations(caller, refund))
    if query.expand == "order":
        return shapes.RefundWithOrder(**view, order=present_order(orders.get(refund["orderId"])))
    return view


def get_with_order(caller: Caller, order_id: str, refund_id: str) -> shapes.RefundWithOrder:
    """A refund of this order, with the order beside it (seed 004's GET): a
    refund of another order is 15070, as one the caller cannot see."""
    refund = get(caller, refund_id, {"expand": "order"})
    if refund["orderId"] != order_id:
        raise ApiError(errors.REFUND_NOT_FOUND)
    return refund


def act(caller: Caller, refund_id: str, body: dict) -> shapes.Refund:
    """PATCH: 15000, then the action (15010), then the role (403, 15120), then
    the action's fields (15010), then the refund (404, 15070), then its status
    (409, 15080)."""
    require_active_account(caller)
    transition = _action(body)
    _require_role(caller, transition)  # before the action's fields: a role that may never act learns no more
    return _apply(caller, refund_id, transition, _fields(transition, body))


def simulate(caller: Caller, refund_id: str, body: dict) -> shapes.Refund:
    """POST /v1/test/refunds/{id}/simulate: in test mode, one of support's
    decisions on the merchant's own refund, taken as support would take it
    (the same transition, conditional write, event and webhooks); the history
    names the merchant's login with the role support. In live mode the route
    does not exist for the merchant (404, 104): no live refund moves without an operator."""
    if caller.mode is not Mode.TEST:
        raise ApiError(errors.ROUTE_NOT_FOUND)
    require_active_account(caller)
    transition = _action(body, transitions.SIMULATED_ACTIONS)
    return _apply(caller, refund_id, transition, _fields(transition, body), actor=replace(caller, role=Role.SUPPORT))


def _simulations(caller: Caller, refund: dict) -> list[str]:
    """What ``simulate`` would take on the refund now, for this caller (its
    route's roles and scope: a key that may only read is offered nothing)."""
    if caller.mode is not Mode.TEST or caller.role not in SIMULATING or Scope.WRITE_ORDER not in caller.scopes:
        return []
    return transitions.allowed(Role.SUPPORT, refund)  # SIMULATED_ACTIONS are support's, all of them


def cancel(caller: Caller, refund_id: str) -> shapes.Refund:
    require_active_account(caller)
    _require_role(caller, transitions.CANCEL)
    return _apply(caller, refund_id, transitions.CANCEL, {})


def _require_role(caller: Caller, transition: Transition) -> None:
    if caller.role not in transition.roles:
        raise ApiError(errors.FORBIDDEN)


def visible_refund(caller: Caller, refund_id: str) -> dict:
    """The refund, or 15070 when it does not exist for this caller: another
    merchant's or another customer's refund is indistinguishable from a missing one."""
    refund = refunds.get(refund_id) if _REFUND_ID.fullmatch(refund_id) else None
    if refund is None or not sees(caller, refund):
        raise ApiError(errors.REFUND_NOT_FOUND)
    return refund


def _action(body: dict, offered: tuple[str, ...] = transitions.PATCH_ACTIONS) -> Transition:
    action = body.get("action")
    if not isinstance(action, str) or action not in offered:
        raise FieldErrors(["action"])
    return TRANSITIONS[action]


def _fields(transition: Transition, body: dict) -> dict:
    """The action's own fields (15010 for each missing, unknown or bad one)."""
    return parse(transition.fields, {name: value for name, value in body.items() if name != "action"}).model_dump()


def _apply(caller: Caller, refund_id: str, transition: Transition, fields: dict, actor: Caller | None = None) -> dict:
    """The transition, written for ``caller`` (its tenancy and account checks)
    and recorded in the history as ``actor``'s (the caller, unless simulated)."""
    logger.append_keys(refund_id=refund_id, action=transition.action)
    attempted: set[str] = set()  # our entry ids: an attempt answered "in progress" may have committed

    def attempt(_n: int) -> dict:
        refund = visible_refund(caller, refund_id)
        if any(entry.get("id") in attempted for entry in refund.get("history", [])):
            return present(refund)
        if (error := transitions.refusal(transition, refund)) is not None:
            raise error
        moved, changes, entry = _moved(refund, transition, fields, actor or caller)
        attempted.add(entry["id"])
        answer = present(moved)
        event = event_of(moved, answer)
        with contextlib.suppress(AlreadyApplied):  # our own write had been applied; its answer was lost
            _write(caller, refund, {**changes, **names_its_event(moved, event)}, entry, transition, event)
        count(f"Refund{transition.action.title().replace('_', '')}")
        return answer

    return retry_on_contention(attempt, gave_up="refund kept being written by other transactions")


def _moved(refund: dict, transition: Transition, fields: dict, caller: Caller) -> tuple[dict, dict, dict]:
    """The refund after the transition, the attributes it sets, and its history entry."""
    now = now_iso()
    status = transitions.target(transition, refund)
    changes = {"status": status, "updatedAt": now, **fields, **dict.fromkeys(transition.stamps, now)}
    reason = fields.get(transition.reason_field) if transition.reason_field else None
    entry = history_entry(status, transition.action, caller, now, reason, entry_id=str(uuid.uuid4()))
    moved = {**refund, **changes, "version": refund["version"] + 1, "history": [*refund.get("history", []), entry]}
    return moved, changes, entry


def _write(caller: Caller, refund: dict, changes: dict, entry: dict, transition: Transition, event: dict) -> None:
    """One transaction: the refund's status and version, and its event,
    conditioned on the caller's account (``account_guards``). Reaching a final
    status also changes its order: ISSUED counts the refund on the order's
    counters; the others release its lock."""
    status = changes["status"]
    move = refunds.move(refund, changes, entry,
                        lambda stored: _refund_refused(stored, refund, transition, entry["id"]),
                        history_limit=None if status in statuses.FINAL else transitions.HISTORY_LIMIT)
    order_change = []
    if status == statuses.ISSUED:
        order_change = [_count_issue(refund, changes["updatedAt"])]
    elif status in statuses.FINAL:
        order_change = [orders.release_refund_lock(refund["orderId"], refund["id"],
                                                   explain=lambda stored: _lock_not_held(stored, refund["id"]))]
    # The entry id is a fresh uuid: a botocore retry of this very call is
    # answered by DynamoDB as the first success; another request never shares it.
    transact_write([move, *order_change, events.keep(event), *account_guards(caller)], idempotency_token=entry["id"])


def _count_issue(refund: dict, now: str) -> Guarded:
    """The order's side of ISSUE, from the order read now: still paid (15030),
    the refund's parts checked against what is left (15090, 15100), then added
    to the counters; the write is conditioned on this version of the order."""
    order = orders.get(refund["orderId"])
    if order is None:
        raise _lock_not_held(None, refund["id"])
    if order.get("openRefundId") != refund["id"]:
        # Another request decided the refund since we read it, and released the
        # lock (an ISSUE may even have made the order `refunded`): read it again
        # and answer from its new state (15080, 109), not from the order's.
        current = refunds.get(refund["id"])
        if current is None or current["version"] != refund["version"]:
            raise Contention("the refund was decided since it was read")
        raise _lock_not_held(order, refund["id"])
    if order["status"] != "paid":
        raise ApiError(errors.ORDER_NOT_PAID)
    consumed = refund_math.consumed(order)
    refund_math.check_still_fits(order, consumed, refund)
    refunded = refund_math.apply(consumed, refund)
    left = refund_math.remaining(order, refunded)["total"]
    return orders.record_issue(order, refund["id"], refunded, fully_refunded=left <= 0, now=now,
                               explain=lambda stored: _issue_refused(stored, refund["id"]))


def _issue_refused(order: dict | None, refund_id: str) -> Exception | None:
    if order is not None and order.get("openRefundId") == refund_id and order.get("status") != "paid":
        return ApiError(errors.ORDER_NOT_PAID)
    return _lock_not_held(order, refund_id)


def _refund_refused(stored: dict | None, read: dict, transition: Transition, entry_id: str) -> Exception | None:
    """Why the refund's condition failed, from the refund as DynamoDB saw it
    (``read``: as the transition read it)."""
    if stored is None:
        return ApiError(errors.REFUND_NOT_FOUND)
    if any(entry.get("id") == entry_id for entry in stored.get("history", [])):
        return AlreadyApplied()
    if (stored["version"], stored["status"]) == (read["version"], read["status"]) \
            and stored.get("metadata") != read.get("metadata"):
        # Only its metadata changed: the transition still applies, read again so that
        # its answer and its event carry the new metadata (None: retried).
        return None
    # Another request moved it first: 15080 when its new status no longer
    # allows the action, else 109 (the action is still possible on its new state).
    return transitions.refusal(transition, stored) or ApiError(errors.CONFLICT)


def _lock_not_held(order: dict | None, refund_id: str) -> Exception | None:
    """The order does not hold this open refund's lock: an invariant is broken
    (every open refund holds its order's lock). Nothing a retry or the client
    can fix: a 500 whose log names both ids. When it does hold it, the order
    only changed since it was read (ISSUE's version): None, read again."""
    if order is not None and order.get("openRefundId") == refund_id:
        return None
    return RuntimeError(f"order {order and order.get('id')} holds lock {order and order.get('openRefundId')}, "
                        f"not that of its open refund {refund_id}")
