"""Reference (json + boto3): PATCH /v1/refunds/{refundId} {"action": "APPROVE"}
by support: the refund read, then one transaction that moves it (conditioned
on the status and version read) and checks the caller's account."""

import json
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
        if claims["role"] != "support" or body.get("action") != "APPROVE":
            raise Refused(403, 15120)
        refund_id = event["pathParameters"]["refundId"]
        found = dynamodb.get_item(TableName=TABLE, Key=key(f"REFUND#{refund_id}", "REFUND"), ConsistentRead=True)
        if "Item" not in found:
            raise Refused(404, 15070)
        refund = plain(found["Item"])
        if refund["status"] != "REQUESTED":
            raise Refused(409, 15080)
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        merchant = refund["merchantId"]
        dynamodb.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key(f"REFUND#{refund_id}", "REFUND"),
                        "UpdateExpression": "SET #status = :new, GSI2PK = :by_status, GSI6PK = :status_key, "
                                            "updatedAt = :now, confirmedAt = :now, version = version + :one",
                        "ConditionExpression": "#status = :old AND version = :version",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":new": {"S": "PROCESSING"}, ":old": {"S": "REQUESTED"}, ":now": {"S": now},
                            ":by_status": {"S": f"MERCHANT#{merchant}#STATUS#PROCESSING"},
                            ":status_key": {"S": "STATUS#PROCESSING"}, ":one": {"N": "1"},
                            ":version": {"N": str(refund["version"])}}}},
            *account_checks(claims)])
        refund.update(status="PROCESSING", updatedAt=now, confirmedAt=now, version=refund["version"] + 1)
        return answer(200, {"data": {name: value for name, value in refund.items()
                                     if not name.startswith(("PK", "SK", "GSI"))}})
    except Refused as error:
        return refused(error)
