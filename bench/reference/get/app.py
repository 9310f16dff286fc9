"""Reference (json + boto3): GET /v1/refunds/{refundId}[?expand=order]: the
refund (its merchant's only), and with expand=order its order beside it."""

from reference_common import TABLE, Refused, answer, claims_of, dynamodb, key, plain, refused, require_account


def lambda_handler(event, context):
    try:
        claims = claims_of(event)
        require_account(claims)
        refund_id = event["pathParameters"]["refundId"]
        found = dynamodb.get_item(TableName=TABLE, Key=key(f"REFUND#{refund_id}", "REFUND"), ConsistentRead=True)
        refund = plain(found["Item"]) if "Item" in found else None
        if refund is None or refund["merchantId"] != claims.get("mid"):
            raise Refused(404, 15070)
        shown = {name: value for name, value in refund.items() if not name.startswith(("PK", "SK", "GSI"))}
        if (event.get("queryStringParameters") or {}).get("expand") == "order":
            order = dynamodb.get_item(TableName=TABLE, Key=key(f"ORDER#{refund['orderId']}", "ORDER"))["Item"]
            shown["order"] = {name: value for name, value in plain(order).items() if name not in ("PK", "SK")}
        return answer(200, {"data": shown})
    except Refused as error:
        return refused(error)
