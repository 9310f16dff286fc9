"""The refund state machine (issue 3), as one table: ``TRANSITIONS``.

Each row says who may take an action, from which statuses, to which status,
which body fields it needs and which timestamps it sets. The lifecycle code
(``logic/lifecycle.py``), the tests and docs/lifecycle.md (its table is
``markdown_table()``; a test keeps the two equal) all read this table; nothing
else lists these rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from refunds_core import errors, statuses
from refunds_core.callers import Role
from refunds_core.errors import ApiError
from refunds_core.models import DenyFields, NoFields, ResponseReasonFields, ShipmentFields
from refunds_core.statuses import CANCELLED, DENIED, FAILED, ISSUED, PROCESSING, REQUESTED, WAITING


@dataclass(frozen=True)
class Condition:
    """A rule on the refund as stored, with the words the docs show for it."""

    text: str
    holds: Callable[[dict], bool]


@dataclass(frozen=True)
class Choice:
    """A target status that depends on the refund: ``then`` when the condition holds, else ``otherwise``."""

    condition: Condition
    then: str
    otherwise: str

    def text(self) -> str:
        return f"{self.then} if {self.condition.text}, else {self.otherwise}"


Target = str | Choice


@dataclass(frozen=True)
class Transition:
    action: str
    route: str                                 # "PATCH" (the body's "action") or "DELETE"
    roles: frozenset[Role]                     # the only roles that may ever take it (else 403, 15120)
    moves: Mapping[str, Target]                # from-status -> target (any other status: 409, 15080)
    fields: type[BaseModel] | None = None      # the PATCH body besides "action" (None: no body)
    stamps: tuple[str, ...] = ()               # timestamps set to the transition's time
    only_if: Condition | None = None           # a further rule on the refund (else 409, 15080)
    reason_field: str | None = None            # the body field the history entry's reason comes from

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.moves)

    @property
    def required(self) -> tuple[str, ...]:
        """The body fields the action needs besides "action" (all of them are required)."""
        return tuple(self.fields.model_fields) if self.fields is not None else ()

    def outcomes(self) -> set[str]:
        """Every status the transition can lead to."""
        found: set[str] = set()
        for target in self.moves.values():
            found |= {target.then, target.otherwise} if isinstance(target, Choice) else {target}
        return found


def _return_settled(refund: dict) -> bool:
    return bool(refund.get("refundOnly", True) or (refund.get("trackingId") and refund.get("carrierName")))


RETURN_SETTLED = Condition("`refundOnly` is true or shipment info is already given", _return_settled)
GOODS_COME_BACK = Condition("`refundOnly` is false", lambda refund: refund.get("refundOnly", True) is False)

MERCHANT_OR_CUSTOMER = frozenset({Role.MERCHANT, Role.CUSTOMER})
SUPPORT = frozenset({Role.SUPPORT})
OPEN_IN_ORDER = statuses.OPEN_IN_ORDER

TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("APPROVE", "PATCH", SUPPORT, {REQUESTED: Choice(RETURN_SETTLED, PROCESSING, WAITING)},
               fields=NoFields, stamps=("confirmedAt",)),
    Transition("SHIP_INIT", "PATCH", MERCHANT_OR_CUSTOMER, {REQUESTED: REQUESTED, WAITING: PROCESSING},
               fields=ShipmentFields, only_if=GOODS_COME_BACK),
    Transition("ISSUE", "PATCH", SUPPORT, {PROCESSING: ISSUED}, fields=NoFields, stamps=("issuedAt",)),
    Transition("DENY", "PATCH", SUPPORT, dict.fromkeys(OPEN_IN_ORDER, DENIED), fields=DenyFields,
               reason_field="responseReason"),
    Transition("FAIL", "PATCH", SUPPORT, {PROCESSING: FAILED}, fields=ResponseReasonFields,
               reason_field="responseReason"),
    Transition("CANCEL", "DELETE", MERCHANT_OR_CUSTOMER, {REQUESTED: CANCELLED, WAITING: CANCELLED}),
)}

PATCH_ACTIONS = tuple(action for action, t in TRANSITIONS.items() if t.route == "PATCH")
# The PATCH body's name in the OpenAPI document: one of the actions, each with
# its own fields (scripts/openapi.py builds it from this table).
ACTION_BODY = "RefundAction"
# PATCH /v1/refunds/{id}'s whole body: one of the actions, or a change of the
# refund's metadata (models.MetadataUpdate, logic/metadata.py).
UPDATE_BODY = "RefundUpdate"
CANCEL = TRANSITIONS["CANCEL"]
# What POST /v1/test/refunds/{id}/simulate may run in test mode (docs/test-mode.md):
# support's decisions, so a merchant's integration sees every event without an operator.
SIMULATED_ACTIONS = tuple(action for action, t in TRANSITIONS.items() if t.roles == SUPPORT)
SIMULATE_BODY = "SimulatedAction"


# A refund's history entries, at most, before only a final action is allowed:
# SHIP_INIT may repeat from REQUESTED (a corrected tracking number), but an
# endless loop of them must not grow the item towards DynamoDB's 400 KB limit,
# where no write, not even DENY or cancel, could release the order's lock.
HISTORY_LIMIT = 50


def refusal(transition: Transition, refund: dict) -> ApiError | None:
    """409 (15080) when the refund's status (or the transition's further rule)
    does not allow the action; None when it does. Used on the refund as read,
    and on the refund as DynamoDB saw it when the conditional write failed."""
    allowed = refund.get("status") in transition.moves
    if not allowed or (transition.only_if is not None and not transition.only_if.holds(refund)):
        return ApiError(errors.TRANSITION_NOT_ALLOWED)
    if len(refund.get("history", [])) >= HISTORY_LIMIT and target(transition, refund) not in statuses.FINAL:
        return ApiError(errors.REFUND_HISTORY_FULL)
    return None


def allowed(role: Role, refund: dict) -> list[str]:
    """The actions ``role`` may take on the refund as it is now, in the table's
    order: what a client offers (GET /v1/refunds/{id}'s ``actions``)."""
    return [transition.action for transition in TRANSITIONS.values()
            if role in transition.roles and refusal(transition, refund) is None]


def target(transition: Transition, refund: dict) -> str:
    """The status the refund moves to (call only when ``refusal`` found nothing)."""
    chosen = transition.moves[refund["status"]]
    if isinstance(chosen, Choice):
        return chosen.then if chosen.condition.holds(refund) else chosen.otherwise
    return chosen


# ---------------------------------------------------------------- docs

def _request(transition: Transition) -> str:
    if transition.route == "DELETE":
        return "`DELETE`"
    fields = "".join(f', "{name}": "…"' for name in transition.required)
    return f'`PATCH {{"action": "{transition.action}"{fields}}}`'


def _moves(transition: Transition) -> str:
    by_target: dict[str, list[str]] = {}
    for source, chosen in transition.moves.items():
        by_target.setdefault(chosen.text() if isinstance(chosen, Choice) else chosen, []).append(source)
    cells = []
    for chosen, sources in by_target.items():
        unchanged = len(sources) == 1 and sources[0] == chosen
        cells.append(f"{', '.join(sources)} → {'unchanged' if unchanged else chosen}")
    return "; ".join(cells)


def markdown_table() -> str:
    """docs/lifecycle.md's transition table, generated from TRANSITIONS."""
    rows = ["| action | request to `/v1/refunds/{id}` | who | from → to | only if | also sets | write |",
            "|---|---|---|---|---|---|---|"]
    for transition in TRANSITIONS.values():
        who = ", ".join(role.value for role in Role if role in transition.roles)
        sets = ", ".join((*transition.required, *transition.stamps)) or "-"
        final = transition.outcomes() & statuses.FINAL
        if not final:
            write = "UpdateItem"
        elif transition.outcomes() <= statuses.FINAL:
            counters = ", order's refund counters" if ISSUED in final else ""
            write = f"TransactWriteItems (refund + order lock{counters})"
        else:
            write = "UpdateItem, or TransactWriteItems when the target is final"
        only_if = transition.only_if.text if transition.only_if else "-"
        rows.append(f"| {transition.action} | {_request(transition)} | {who} | {_moves(transition)} | {only_if} "
                    f"| {sets} | {write} |")
    return "\n".join(rows)
