"""One open request per order is enforced by DynamoDB, not by a read in Python:
50 merchants' clients racing on one order get exactly one request."""

from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.server

CLIENTS = 50


def test_fifty_concurrent_requests_open_exactly_one(api, dynamodb, table_name):
    order_id = api.paid_order()
    token = api.token("demo")

    def create(_):
        return api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "m@example.com"},
                           token=token)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(create, range(CLIENTS)))

    statuses = sorted(a.status for a in answers)
    assert statuses == [200] + [400] * (CLIENTS - 1), statuses
    assert all(a.codes == [15050] for a in answers if a.status == 400)
    winner = next(a.body["data"]["id"] for a in answers if a.status == 200)

    stored = dynamodb.query(
        TableName=table_name, IndexName="ByOrder", KeyConditionExpression="GSI3PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}})["Items"]
    assert [item["id"]["S"] for item in stored] == [winner]
    assert [item["status"]["S"] for item in stored] == ["REQUESTED"]
    order = dynamodb.get_item(TableName=table_name, Key={"PK": {"S": f"ORDER#{order_id}"}, "SK": {"S": "ORDER"}},
                              ConsistentRead=True)["Item"]
    assert order["openRefundId"]["S"] == winner
