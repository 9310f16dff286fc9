"""POST /v1/auth/token: a login and password for an access token; and
POST /v1/auth/customer-token: a merchant's short-lived token for one of its customers."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from refunds_core import errors, shapes
from refunds_core.auth import CUSTOMER_TOKEN_TTL_SECONDS, issue_token, require_active_account, verify_password
from refunds_core.callers import Caller, Role
from refunds_core.dal import accounts
from refunds_core.errors import ApiError
from refunds_core.models import CustomerTokenRequest, TokenRequest
from refunds_core.modes import Mode
from refunds_core.observability import logger, metrics
from refunds_core.validation import parse


def exchange(body: dict) -> shapes.TokenResponse:
    request = parse(TokenRequest, body)
    credential = accounts.get_credential(request.login)
    # Hash even when the login is unknown, so the answer's timing tells nothing.
    valid = verify_password(request.password, credential and credential.get("passwordHash"))
    if not valid or credential is None or credential.get("disabled") or not _merchant_active(credential):
        metrics.add_metric(name="LoginFailed", unit=MetricUnit.Count, value=1)
        logger.info("login refused", extra={"login": request.login})
        raise ApiError(errors.INVALID_CREDENTIALS)
    caller = Caller(login=request.login, role=Role(credential["role"]), merchant_id=credential.get("merchantId"),
                    mode=Mode(request.mode))
    token, expires_in = issue_token(caller)
    metrics.add_metric(name="TokenIssued", unit=MetricUnit.Count, value=1)
    return _answer(token, expires_in, caller)


def _merchant_active(credential: dict) -> bool:
    """A merchant login mints no token once its merchant is disabled (read
    strongly, as the login was): it answers like a wrong password."""
    merchant_id = credential.get("merchantId")
    if merchant_id is None:
        return True
    _, merchant = accounts.get_with_merchant(None, merchant_id, consistent=True)
    return merchant is not None and merchant.get("status") == "active"


def customer_token(caller: Caller, body: dict) -> shapes.TokenResponse:
    """A token with role customer for one customer of the calling merchant
    (the route serves merchants only): it sees and acts on only the refunds
    of that merchant's orders whose customerId is this one. The minting login
    or key is read strongly: one revoked a moment ago mints nothing."""
    require_active_account(caller, fresh=True)
    request = parse(CustomerTokenRequest, body)
    # The token may do what its minter may: a key's scopes bound its customer tokens too.
    customer = Caller(login=f"customer:{request.customerId}", role=Role.CUSTOMER, merchant_id=caller.merchant_id,
                      customer_id=request.customerId, minted_by=caller.login, scopes=caller.scopes,
                      mode=caller.mode)
    token, expires_in = issue_token(customer, ttl=CUSTOMER_TOKEN_TTL_SECONDS)
    metrics.add_metric(name="CustomerTokenIssued", unit=MetricUnit.Count, value=1)
    logger.info("customer token issued", extra={"customer_id": request.customerId})
    return _answer(token, expires_in, customer)


def _answer(token: str, expires_in: int, caller: Caller) -> shapes.TokenResponse:
    return shapes.TokenResponse(token=token, tokenType="Bearer", expiresIn=expires_in, role=caller.role.value,
                                merchantId=caller.merchant_id, mode=caller.mode.value)
