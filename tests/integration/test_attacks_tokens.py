"""Forged and misused tokens, through the API, on every route that needs one:
401 with error 101 and the errors body, never a 500 and never data.

tests/unit/test_tokens.py checks caller_from_authorization itself; here the
tokens travel the whole way (the gateway, the proxy event, each function's
resolver), and the near-valid ones are made with the runtime's real signing
key so each is wrong in exactly one respect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from localrun import template as cfn
from refunds_core.auth import AUDIENCE, ISSUER
from tests.conftest import ROOT

pytestmark = pytest.mark.server

UNAUTHORIZED = {"errors": [{"error": 101, "message": "Unsuccessful authorization."}]}
UNKNOWN_ACCOUNT = {"errors": [{"error": 15000, "message": (
    "Unable to identify your configuration for accessing this API. Please contact technical support.")}]}
# Every route needs a Bearer token but the token exchange and the public OpenAPI
# document (a route added later is in this list by itself).
PUBLIC = {"/v1/auth/token", "/v1/openapi.json"}
ROUTES = [(r.method, re.sub(r"\{[^}]+\}", "x-1", r.path))
          for r in cfn.api_routes(cfn.load_template(ROOT / "template.yaml")) if r.path not in PUBLIC]


@pytest.fixture(scope="module")
def signing_key(runtime) -> str:
    secrets = boto3.client("secretsmanager", endpoint_url=runtime.aws_endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    return secrets.get_secret_value(SecretId=runtime.physical_ids["TokenSigningSecret"])["SecretString"]


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "demo", "role": "merchant", "mid": "demo",
            "iat": now, "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex[:16]}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict) -> str:
    return _b64(json.dumps(value).encode())


def unsigned(alg: str) -> str:
    return f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(claims())}."


def hmac_signed(header: dict, payload: dict, key: bytes) -> str:
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    return signing_input + "." + _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def forged_tokens(key: str, rsa_key) -> dict[str, str]:
    public_pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    good = jwt.encode(claims(), key, algorithm="HS256")
    return {
        "alg none": unsigned("none"),
        "alg None": unsigned("None"),
        "alg none with our signature kept": unsigned("none") + good.rsplit(".", 1)[1],
        # RS256 with a key pair of the attacker's: we accept HS256 only.
        "RS256, attacker's key pair": jwt.encode(claims(), rsa_key, algorithm="RS256"),
        # HS/RS confusion: HS256 "signed" with an RSA public key as the HMAC secret.
        "HS256 with a public key as secret": hmac_signed({"alg": "HS256", "typ": "JWT"}, claims(), public_pem),
        "HS256 with an empty key": hmac_signed({"alg": "HS256", "typ": "JWT"}, claims(), b""),
        "wrong key": jwt.encode(claims(), "not-our-key" * 6, algorithm="HS256"),
        "our key, HS512": jwt.encode(claims(), key, algorithm="HS512"),
        "expired": jwt.encode(claims(iat=now - 7200, nbf=now - 7200, exp=now - 120), key, algorithm="HS256"),
        "not yet valid": jwt.encode(claims(nbf=now + 600, exp=now + 1200), key, algorithm="HS256"),
        "wrong issuer": jwt.encode(claims(iss="someone-else"), key, algorithm="HS256"),
        "wrong audience": jwt.encode(claims(aud="another-api"), key, algorithm="HS256"),
        "no expiry": jwt.encode(claims(exp=None), key, algorithm="HS256"),
        "truncated signature": good[:-4],
        "header and payload only": good.rsplit(".", 1)[0],
        "payload altered (support role)": ".".join([good.split(".")[0], _segment(claims(role="support")),
                                                    good.split(".")[2]]),
        "kid and jku pointing elsewhere": jwt.encode(claims(), "attacker" * 8, algorithm="HS256", headers={
            "kid": "../../../../dev/null", "jku": "http://127.0.0.1:9/jwks.json"}),
    }


CASES = ["alg none", "alg None", "alg none with our signature kept", "RS256, attacker's key pair",
         "HS256 with a public key as secret", "HS256 with an empty key", "wrong key", "our key, HS512", "expired",
         "not yet valid", "wrong issuer", "wrong audience", "no expiry", "truncated signature",
         "header and payload only", "payload altered (support role)", "kid and jku pointing elsewhere"]


def test_the_real_key_makes_a_token_that_works(api, signing_key):
    """The control: the forged tokens below are refused for what is wrong with
    them, not because the test's key or claims are off."""
    token = jwt.encode(claims(), signing_key, algorithm="HS256")
    assert api.request("GET", "/v1/webhooks", token=token).status == 200


@pytest.mark.parametrize("case", CASES)
def test_a_forged_or_invalid_token_is_401_101_on_every_route(api, signing_key, rsa_key, case):
    token = forged_tokens(signing_key, rsa_key)[case]
    for method, path in ROUTES:
        body = {} if method in ("POST", "PUT", "PATCH") else None
        answer = api.request(method, path, json_body=body, token=token)
        assert (answer.status, answer.ours) == (401, UNAUTHORIZED), (method, path, answer)


def _merchant_with_token(api, admin) -> tuple[str, str, str]:
    merchant_id, login = f"atk-{uuid.uuid4().hex[:8]}", f"atk-{uuid.uuid4().hex[:8]}"
    admin.create_merchant(merchant_id)
    admin.create_login(login, "a-long-password", admin.Role.MERCHANT, merchant_id)
    answer = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    assert answer.status == 200, answer
    return merchant_id, login, answer.body["token"]


@pytest.mark.parametrize("deleted", ["merchant", "login"])
def test_a_valid_token_of_a_deleted_account_is_15000(api, admin, dynamodb, table_name, deleted):
    """Deleted, not just disabled (test_auth_api.py): the token is still
    correctly signed and unexpired, but nothing it names exists any more."""
    merchant_id, login, token = _merchant_with_token(api, admin)
    key = {"merchant": {"PK": {"S": f"MERCHANT#{merchant_id}"}, "SK": {"S": "MERCHANT"}},
           "login": {"PK": {"S": f"LOGIN#{login}"}, "SK": {"S": "CREDENTIAL"}}}[deleted]
    dynamodb.delete_item(TableName=table_name, Key=key)
    for method, path, body in (("GET", "/v1/webhooks", None), ("GET", "/v1/refunds", None),
                               ("POST", "/v1/order/1001/refund", {"email": "a@b.co"}),
                               ("POST", "/v1/auth/customer-token", {"customerId": "cust-1"})):
        answer = api.request(method, path, json_body=body, token=token)
        assert (answer.status, answer.ours) == (400, UNKNOWN_ACCOUNT), (method, path, answer)


def test_a_customer_token_of_a_deleted_merchant_is_15000(api, admin, dynamodb, table_name):
    merchant_id, _, token = _merchant_with_token(api, admin)
    minted = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "c-1"}, token=token)
    assert minted.status == 200
    dynamodb.delete_item(TableName=table_name, Key={"PK": {"S": f"MERCHANT#{merchant_id}"}, "SK": {"S": "MERCHANT"}})
    answer = api.request("GET", "/v1/refunds", token=minted.body["token"])
    assert (answer.status, answer.body) == (400, UNKNOWN_ACCOUNT)


def test_a_customer_token_on_another_customers_refund_is_404_on_every_refund_route(api):
    order_id = api.paid_order()  # customer cust-1
    refund = api.request("POST", f"/v1/order/{order_id}/refund",
                         json_body={"email": "m@example.com", "refundOnly": False}, login="demo")
    assert refund.status == 200
    refund_id = refund.body["data"]["id"]
    other = api.request("POST", "/v1/auth/customer-token", json_body={"customerId": "cust-2"}, login="demo")
    token = other.body["token"]
    for method, body in (("GET", None), ("DELETE", None),
                         ("PATCH", {"action": "SHIP_INIT", "trackingId": "T1", "carrierName": "UPS"})):
        answer = api.request(method, f"/v1/refunds/{refund_id}", json_body=body, token=token)
        assert (answer.status, answer.codes) == (404, [15070]), (method, answer)
        assert set(answer.ours) == {"errors"}
    mine = api.request("GET", f"/v1/refunds/{refund_id}", login="demo").body["data"]
    assert mine["status"] == "REQUESTED" and mine["trackingId"] is None


@pytest.mark.parametrize("authorization", [
    "Bearer  ", "bearer", "Bearer a.b", "Bearer " + "A" * 8000, "Bearer \u00e9\u00e9.\u00e9.\u00e9",
    "Basic ZGVtbzpkZW1vLXNlY3JldA==", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer ....",
])
def test_malformed_authorization_headers_are_401_101(api, authorization):
    answer = api.request("GET", "/v1/refunds", headers={"Authorization": authorization})
    assert (answer.status, answer.body) == (401, UNAUTHORIZED)
