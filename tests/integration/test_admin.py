"""scripts/admin.py creates merchants and logins that can then use the API."""

import io
import uuid

import pytest

from scripts import admin

pytestmark = pytest.mark.server


@pytest.fixture(autouse=True)
def _restore_environment(monkeypatch):
    """admin.main configures os.environ like the CLI it is; undo that afterwards."""
    from refunds_core.settings import settings

    for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "TOKEN_SIGNING_SECRET_ID"):
        monkeypatch.setenv(name, "placeholder")
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_a_merchant_and_login_created_by_the_admin_command_can_open_refunds(api, runtime, monkeypatch, capsys):
    merchant, login = f"acme-{uuid.uuid4().hex[:6]}", f"acme-api-{uuid.uuid4().hex[:6]}"
    target = ["--endpoint", runtime.aws_endpoint, "--table", runtime.physical_ids["RefundsTable"]]
    assert admin.main([*target, "create-merchant", merchant, "--name", "Acme Ltd"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert admin.main([*target, "create-login", login, "--role", "merchant", "--merchant", merchant,
                       "--password-stdin"]) == 0
    assert "correct horse" not in capsys.readouterr().out

    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "correct horse battery"})
    assert token.status == 200
    order_id = api.paid_order(merchant_id=merchant)
    answer = api.request("POST", f"/v1/order/{order_id}/refund", json_body={"email": "ops@acme.example"},
                         token=token.body["token"])
    assert answer.status == 200 and answer.body["data"]["requester"] == login


def test_a_merchant_login_needs_its_merchant(runtime):
    target = ["--endpoint", runtime.aws_endpoint, "--table", runtime.physical_ids["RefundsTable"]]
    with pytest.raises(ValueError, match="merchant id"):
        admin.main([*target, "create-login", "lonely", "--role", "merchant", "--generate"])


def test_creating_never_overwrites_and_disabling_needs_an_existing_record(runtime, capsys):
    target = ["--endpoint", runtime.aws_endpoint, "--table", runtime.physical_ids["RefundsTable"]]
    merchant = f"keep-{uuid.uuid4().hex[:6]}"
    assert admin.main([*target, "create-merchant", merchant]) == 0
    assert admin.main([*target, "disable-merchant", merchant]) == 0
    assert admin.main([*target, "create-merchant", merchant]) == 1  # a disabled merchant is not re-enabled by accident
    assert "already exists" in capsys.readouterr().err
    assert admin.main([*target, "disable-merchant", "never-created"]) == 1
    # demo keeps its password and role:
    assert admin.main([*target, "create-login", "demo", "--role", "support", "--generate"]) == 1


def test_the_admin_command_sets_a_merchants_contact_email(runtime, dynamodb, table_name):
    target = ["--endpoint", runtime.aws_endpoint, "--table", runtime.physical_ids["RefundsTable"]]
    merchant = f"mail-{uuid.uuid4().hex[:6]}"

    def on_file() -> str | None:
        key = {"PK": {"S": f"MERCHANT#{merchant}"}, "SK": {"S": "MERCHANT"}}
        item = dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True)["Item"]
        return item.get("contactEmail", {}).get("S")

    assert admin.main([*target, "create-merchant", merchant, "--contact-email", "refunds@shop.example"]) == 0
    assert on_file() == "refunds@shop.example"
    assert admin.main([*target, "set-contact-email", merchant, "returns@shop.example"]) == 0
    assert on_file() == "returns@shop.example"
    with pytest.raises(ValueError, match="email"):
        admin.main([*target, "set-contact-email", merchant, "not-an-email"])
    assert on_file() == "returns@shop.example"
    assert admin.main([*target, "set-contact-email", "never-created", "returns@shop.example"]) == 1


def test_the_admin_command_creates_a_merchants_connections_which_it_then_lists(api, runtime, monkeypatch, capsys):
    target = ["--endpoint", runtime.aws_endpoint, "--table", runtime.physical_ids["RefundsTable"]]
    merchant, login = f"conn-{uuid.uuid4().hex[:6]}", f"conn-{uuid.uuid4().hex[:6]}"
    assert admin.main([*target, "create-merchant", merchant, "--contact-email", "refunds@shop.example"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert admin.main([*target, "create-login", login, "--role", "merchant", "--merchant", merchant,
                       "--password-stdin"]) == 0
    capsys.readouterr()
    created = []
    for name in ("web shop", "marketplace"):
        assert admin.main([*target, "create-connection", merchant, "--name", name]) == 0
        created.append(capsys.readouterr().out.split("connection: ")[1].split()[0])
    token = api.request("POST", "/v1/auth/token", json_body={"login": login, "password": "a-long-password"})
    listed = api.request("GET", "/v1/connections", token=token.body["token"]).body["data"]
    assert sorted((c["id"], c["name"]) for c in listed) == sorted(zip(created, ("web shop", "marketplace"),
                                                                      strict=True))
    assert all(len(connection_id) == 36 for connection_id in created)

    # Only for an active merchant
    assert admin.main([*target, "create-connection", "never-created"]) == 1
    assert "never-created does not exist or is disabled" in capsys.readouterr().err
    assert admin.main([*target, "disable-merchant", merchant]) == 0
    assert admin.main([*target, "create-connection", merchant]) == 1
