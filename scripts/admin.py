"""Create and disable merchants and logins, in any environment.

    make admin ARGS="--stack refund-requests create-merchant acme --name 'Acme' --contact-email refunds@acme.example"
    make admin ARGS="--stack refund-requests set-contact-email acme refunds@acme.example"
    make admin ARGS="--stack refund-requests create-login acme-ops --role merchant --merchant acme"
    make admin ARGS="--endpoint http://127.0.0.1:5001 disable-merchant acme"
    make admin ARGS="--stack refund-requests create-connection acme --name 'Acme web shop'"

--stack reads the table from a deployed stack's outputs (your AWS credentials
and region as usual); --endpoint talks to an AWS-compatible endpoint such as
the one `make run` prints. Passwords are read from stdin or a prompt, never
from the command line, or generated (--generate) and printed once. A
merchant's contact email is the address a refund request carries when the
request itself has none (seed 002's POST /api/v2/refunds: docs/dialects.md).
A connection is one of a merchant's stores: create-connection prints its id,
which seed 003's clients name in their paths (docs/dialects.md).
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))


def _configure(args: argparse.Namespace) -> None:
    """Point refunds_core at the environment's table (it reads TABLE_NAME)."""
    if args.endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_DEFAULT_REGION", "us-east-1")):
            os.environ.setdefault(name, value)
    table = args.table
    if args.stack:
        import boto3

        outputs = boto3.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]["Outputs"]
        table = {o["OutputKey"]: o["OutputValue"] for o in outputs}["TableName"]
    os.environ["TABLE_NAME"] = table
    os.environ.setdefault("TOKEN_SIGNING_SECRET_ID", "not-used-by-admin")


def _password(args: argparse.Namespace) -> str:
    if args.generate:
        password = secrets.token_urlsafe(18)
        print(f"password (shown once): {password}")
        return password
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("password: ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="a deployed stack's name")
    where.add_argument("--endpoint", help="an AWS-compatible endpoint (local runtime, DynamoDB Local)")
    parser.add_argument("--table", default="RefundsTable", help="table name with --endpoint (default RefundsTable)")
    commands = parser.add_subparsers(dest="command", required=True)
    merchant = commands.add_parser("create-merchant")
    merchant.add_argument("merchant_id")
    merchant.add_argument("--name")
    merchant.add_argument("--contact-email", help="the email refund requests carry when they name none")
    merchant.add_argument("--force", action="store_true", help="replace an existing merchant (re-enables it)")
    contact = commands.add_parser("set-contact-email")
    contact.add_argument("merchant_id")
    contact.add_argument("email")
    for name in ("disable-merchant", "enable-merchant"):
        commands.add_parser(name).add_argument("merchant_id")
    connection = commands.add_parser("create-connection", help="a store connection of an active merchant")
    connection.add_argument("merchant_id")
    connection.add_argument("--name", help="a label for the merchant's list (GET /v1/connections)")
    login = commands.add_parser("create-login")
    login.add_argument("login")
    login.add_argument("--role", required=True, choices=["merchant", "service", "support"])
    login.add_argument("--merchant", help="the merchant a merchant login acts for")
    login.add_argument("--password-stdin", action="store_true")
    login.add_argument("--generate", action="store_true", help="generate a password and print it once")
    login.add_argument("--force", action="store_true", help="replace an existing login (new password)")
    for name in ("disable-login", "enable-login"):
        commands.add_parser(name).add_argument("login")
    args = parser.parse_args(argv)
    _configure(args)

    from refunds_core.callers import Role
    from refunds_core.logic import accounts, connections

    try:
        if args.command == "create-connection":
            created = connections.create(args.merchant_id, args.name)
            print(f"connection: {created['id']}")
        elif args.command == "create-merchant":
            accounts.create_merchant(args.merchant_id, args.name, contact_email=args.contact_email,
                                     replace=args.force)
        elif args.command == "set-contact-email":
            accounts.set_contact_email(args.merchant_id, args.email)
        elif args.command in ("disable-merchant", "enable-merchant"):
            accounts.set_merchant_disabled(args.merchant_id, args.command == "disable-merchant")
        elif args.command == "create-login":
            accounts.create_login(args.login, _password(args), Role(args.role), args.merchant, replace=args.force)
        else:
            accounts.set_login_disabled(args.login, args.command == "disable-login")
    except accounts.NotCreated as exc:
        if args.command == "create-connection":
            print(f"{args.command}: {exc}", file=sys.stderr)
            return 1
        verb = "already exists (--force replaces it)" if args.command.startswith("create") else "does not exist"
        print(f"{args.command}: {exc} {verb}", file=sys.stderr)
        return 1
    print(f"{args.command}: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
