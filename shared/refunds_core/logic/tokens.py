"""POST /v1/auth/token: a login and password for an access token."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from refunds_core import errors
from refunds_core.auth import Caller, Role, issue_token, verify_password
from refunds_core.dal import accounts
from refunds_core.errors import ApiError
from refunds_core.models import TokenRequest
from refunds_core.observability import logger, metrics
from refunds_core.validation import parse


def exchange(body: dict) -> dict:
    request = parse(TokenRequest, body)
    credential = accounts.get_credential(request.login)
    # Hash even when the login is unknown, so the answer's timing tells nothing.
    valid = verify_password(request.password, credential and credential.get("passwordHash"))
    if not valid or credential is None or credential.get("disabled"):
        metrics.add_metric(name="LoginFailed", unit=MetricUnit.Count, value=1)
        logger.info("login refused", extra={"login": request.login})
        raise ApiError(errors.INVALID_CREDENTIALS)
    caller = Caller(login=request.login, role=Role(credential["role"]), merchant_id=credential.get("merchantId"))
    token, expires_in = issue_token(caller)
    metrics.add_metric(name="TokenIssued", unit=MetricUnit.Count, value=1)
    return {"token": token, "tokenType": "Bearer", "expiresIn": expires_in}
