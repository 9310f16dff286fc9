"""What the reference handlers share, written by hand with json and boto3 only:
the clients (made at import, as such handlers do), the signing key (read once),
the Bearer token (HS256 checked with hmac) and the caller's account (one
BatchGetItem of the login and its merchant)."""

import base64
import hashlib
import hmac
import json
import os
import time

import boto3
from boto3.dynamodb.types import TypeDeserializer

TABLE = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")
secrets = boto3.client("secretsmanager")
_plain = TypeDeserializer()
_key: list[str] = []


class Refused(Exception):
    def __init__(self, status: int, code: int):
        super().__init__(code)
        self.status, self.code = status, code


def answer(status: int, body) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, default=str)}


def refused(error: Refused) -> dict:
    return answer(error.status, {"errors": [{"error": error.code}]})


def plain(item: dict) -> dict:
    return {name: _plain.deserialize(value) for name, value in item.items()}


def key(pk: str, sk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def signing_key() -> str:
    if not _key:
        _key.append(secrets.get_secret_value(SecretId=os.environ["TOKEN_SIGNING_SECRET_ID"])["SecretString"])
    return _key[0]


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def claims_of(event: dict) -> dict:
    """The token's claims once its signature, audience and times are checked; 401 otherwise."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    scheme, _, token = headers.get("authorization", "").partition(" ")
    try:
        head, payload, signature = token.split(".")
        expected = hmac.new(signing_key().encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
        claims = json.loads(_b64(payload))
        valid = (scheme == "Bearer" and json.loads(_b64(head)).get("alg") == "HS256"
                 and hmac.compare_digest(expected, _b64(signature)) and claims["aud"] == "refund-requests-api"
                 and claims["nbf"] - 30 <= time.time() < claims["exp"] + 30)
    except (ValueError, KeyError):
        valid = False
    if not valid:
        raise Refused(401, 101)
    return claims


def require_account(claims: dict) -> None:
    """The login is enabled with the token's role; its merchant, if any, is active."""
    wanted = [key(f"LOGIN#{claims['sub']}", "CREDENTIAL")]
    if claims.get("mid"):
        wanted.append(key(f"MERCHANT#{claims['mid']}", "MERCHANT"))
    found = dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": wanted}})["Responses"][TABLE]
    items = {item["PK"]["S"].split("#", 1)[0]: plain(item) for item in found}
    login, merchant = items.get("LOGIN"), items.get("MERCHANT")
    if (login is None or login.get("disabled") or login.get("role") != claims.get("role")
            or (claims.get("mid") and (merchant is None or merchant.get("status") != "active"))):
        raise Refused(400, 15000)


def account_checks(claims: dict) -> list[dict]:
    """A write's ConditionChecks: the login and the merchant are still usable when it commits."""
    checks = [{"ConditionCheck": {
        "TableName": TABLE, "Key": key(f"LOGIN#{claims['sub']}", "CREDENTIAL"),
        "ConditionExpression": "attribute_exists(PK) AND disabled = :no AND #role = :role",
        "ExpressionAttributeNames": {"#role": "role"},
        "ExpressionAttributeValues": {":no": {"BOOL": False}, ":role": {"S": claims["role"]}}}}]
    if claims.get("mid"):
        checks.append({"ConditionCheck": {
            "TableName": TABLE, "Key": key(f"MERCHANT#{claims['mid']}", "MERCHANT"),
            "ConditionExpression": "#status = :active", "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":active": {"S": "active"}}}})
    return checks
