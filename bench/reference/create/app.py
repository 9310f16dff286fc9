"""Reference (json + boto3): POST /v1/order/{orderId}/refund, a full refund of
a paid order: the order read, then one transaction that writes the refund,
takes the order's lock and checks the caller's account."""

import json
import uuid
from datetime import UTC, datetime

from reference_common import (
    TABLE,
    Refused,
    account_checks,
    answer,
    claims_of,
    dynamodb,
    key,
    plain,
    refused,
    require_account,
)


def lambda_handler(event, context):
    try:
        claims = claims_of(event)
        require_account(claims)
        body = json.loads(event["body"])
        if not isinstance(body, dict) or "@" not in str(body.get("email", "")):
            raise Refused(400, 15010)
        order_id = event["pathParameters"]["orderId"]
        found = dynamodb.get_item(TableName=TABLE, Key=key(f"ORDER#{order_id}", "ORDER"), ConsistentRead=True)
        order = plain(found["Item"]) if "Item" in found else None
        if order is None or order["merchantId"] != claims.get("mid"):
            raise Refused(404, 15030)
        if order["status"] != "paid" or order.get("openRefundId"):
            raise Refused(400, 15040)
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        refund_id = f"rf_{uuid.uuid4().hex}"
        merchant = order["merchantId"]
        refund = {"id": refund_id, "orderId": order_id, "merchantId": merchant, "status": "REQUESTED",
                  "email": body["email"], "description": body.get("description"),
                  "amount": str(order["totals"]["total"]), "currency": order["currency"],
                  "requester": claims["sub"], "createdAt": now, "updatedAt": now}
        # Index partitions of their own ("REFERENCE#..."): the same writes, in no list the API serves.
        indexes = {"GSI1PK": f"REFERENCE#MERCHANT#{merchant}", "GSI2PK": f"REFERENCE#MERCHANT#{merchant}#REQUESTED",
                   "GSI3PK": f"REFERENCE#ORDER#{order_id}", "GSI4PK": f"REFERENCE#MERCHANT#{merchant}#VALID#true",
                   "GSI6PK": "REFERENCE#STATUS#REQUESTED"}
        item = {**key(f"REFUND#{refund_id}", "REFUND"),
                **{name: {"S": value} for name, value in refund.items() if isinstance(value, str)},
                **{name: {"S": value} for name, value in indexes.items()},
                **{name.replace("PK", "SK"): {"S": refund_id} for name in indexes}}
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Update": {"TableName": TABLE, "Key": key(f"ORDER#{order_id}", "ORDER"),
                        "UpdateExpression": "SET openRefundId = :id, version = version + :one",
                        "ConditionExpression": "#status = :paid AND attribute_not_exists(openRefundId)",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":id": {"S": refund_id}, ":one": {"N": "1"},
                                                      ":paid": {"S": "paid"}}}},
            *account_checks(claims)])
        return answer(200, {"data": refund})
    except Refused as error:
        return refused(error)
