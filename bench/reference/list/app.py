"""Reference (json + boto3): GET /v1/refunds?status=...: one page (20) of the
merchant's refunds in that status, newest first, with a signed cursor."""

import base64
import hashlib
import hmac
import json

from reference_common import TABLE, Refused, answer, claims_of, dynamodb, plain, refused, require_account, signing_key


def lambda_handler(event, context):
    try:
        claims = claims_of(event)
        require_account(claims)
        status = (event.get("queryStringParameters") or {}).get("status", "REQUESTED")
        partition = {"S": f"MERCHANT#{claims['mid']}#STATUS#{status}"}
        page = dynamodb.query(TableName=TABLE, IndexName="ByMerchantStatus", Limit=20, ScanIndexForward=False,
                              KeyConditionExpression="GSI2PK = :partition",
                              ExpressionAttributeValues={":partition": partition})
        items = [{name: value for name, value in plain(item).items() if not name.startswith(("PK", "SK", "GSI"))}
                 for item in page.get("Items", [])]
        cursor = None
        if "LastEvaluatedKey" in page:
            text = json.dumps(page["LastEvaluatedKey"]).encode()
            mac = hmac.new(signing_key().encode(), text, hashlib.sha256).hexdigest()
            cursor = base64.urlsafe_b64encode(text).decode() + "." + mac
        return answer(200, {"data": items, "nextCursor": cursor})
    except Refused as error:
        return refused(error)
