"""Upload the web console to a deployed stack: the files of console/ to the
stack's private bucket (under console/, as `make run` serves them), with a
config.json naming the stack's API, then a CloudFront invalidation.

    make deploy-console                                  # the stack of samconfig.toml
    make deploy-console ARGS="--stack my-stack --region eu-west-1"

Your AWS credentials as usual (AWS_PROFILE...); the stack and region default
to samconfig.toml's. It reads the stack's outputs (ApiUrl, ConsoleBucketName,
ConsoleDistributionId, ConsoleUrl) and needs s3:PutObject, s3:ListBucket and
s3:DeleteObject on the bucket and cloudfront:CreateInvalidation. console/ in
the working tree is left as it is: the config.json it uploads is made here
(docs/deploying.md, "Deploying the console").
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "console/"  # the bucket's layout is the URL's: https://<distribution>/console/
CONFIG = "config.json"
# Every answer is revalidated (a 304 when unchanged): the files keep their names
# from one deploy to the next, so a cached copy must never outlive an upload.
CACHE_CONTROL = "no-cache"
# Browsers check a script's and a style sheet's type (the distribution sends
# nosniff): the types are said here rather than left to the platform's tables.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".json": "application/json",
    ".map": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2", ".txt": "text/plain; charset=utf-8", ".webmanifest": "application/manifest+json",
}
_NOT_SHIPPED = {"__pycache__", "node_modules"}

Client = Callable[[str], object]  # boto3.client, or a test's client for a local endpoint


def samconfig_defaults() -> tuple[str | None, str | None]:
    """(stack name, region) of samconfig.toml's default environment, as `make deploy` uses them."""
    path = ROOT / "samconfig.toml"
    if not path.exists():
        return None, None
    config = tomllib.loads(path.read_text())["default"]
    deploy = {**config.get("global", {}).get("parameters", {}), **config.get("deploy", {}).get("parameters", {})}
    return deploy.get("stack_name"), deploy.get("region")


def stack_outputs(cloudformation, stack: str) -> tuple[dict[str, str], dict[str, str]]:
    """The stack's outputs and parameters, by key."""
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    return outputs, parameters


def console_files(folder: Path) -> dict[str, Path]:
    """{key in the bucket: file} for every file of the app; config.json is the deploy's own."""
    if not (folder / "index.html").is_file():
        raise SystemExit(f"{folder} has no index.html: nothing to deploy")
    files = {}
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if not path.is_file() or any(part.startswith(".") or part in _NOT_SHIPPED for part in parts):
            continue
        if parts == (CONFIG,):
            continue
        files[PREFIX + "/".join(parts)] = path
    return files


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def upload(s3, bucket: str, files: dict[str, Path], config: dict) -> list[str]:
    """Put every file and the config, then delete what an earlier upload left
    under the prefix that this one does not have. Returns the keys deleted."""
    bodies = {key: path.read_bytes() for key, path in files.items()}
    bodies[PREFIX + CONFIG] = json.dumps(config, indent=2).encode() + b"\n"
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type(key), CacheControl=CACHE_CONTROL)
    stale = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX)
             for item in page.get("Contents", []) if item["Key"] not in bodies]
    for start in range(0, len(stale), 1000):  # DeleteObjects takes at most 1,000 keys
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in stale[start:start + 1000]],
                                                 "Quiet": True})
    return stale


def invalidate(cloudfront, distribution_id: str) -> str:
    """Drop the console's cached copies at every edge; the invalidation's id."""
    answer = cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": [f"/{PREFIX}*"]}, "CallerReference": str(uuid.uuid4())})
    return answer["Invalidation"]["Id"]


def deploy(client: Client, stack: str, folder: Path, say: Callable[[str], None] = print) -> dict:
    outputs, parameters = stack_outputs(client("cloudformation"), stack)
    missing = [key for key in ("ApiUrl", "ConsoleBucketName", "ConsoleDistributionId", "ConsoleUrl")
               if key not in outputs]
    if missing:
        raise SystemExit(f"stack {stack} has no output {', '.join(missing)}: deploy the template first (make deploy)")
    config = {"apiBaseUrl": outputs["ApiUrl"]}
    files = console_files(folder)
    stale = upload(client("s3"), outputs["ConsoleBucketName"], files, config)
    invalidation = invalidate(client("cloudfront"), outputs["ConsoleDistributionId"])
    say(f"Uploaded {len(files) + 1} files to s3://{outputs['ConsoleBucketName']}/{PREFIX} "
        f"({len(stale)} stale removed), config.json: {json.dumps(config)}")
    say(f"CloudFront invalidation {invalidation} of /{PREFIX}* (a minute or so)")
    say(f"The console: {outputs['ConsoleUrl']}")
    origin = outputs["ConsoleUrl"].split("/" + PREFIX, 1)[0]
    if parameters.get("ApiAllowedOrigin", "*") != origin:
        say(f"The API allows the origin {parameters.get('ApiAllowedOrigin', '*')!r}; to allow the console's only: "
            f"sam deploy --parameter-overrides ApiAllowedOrigin={origin} (docs/deploying.md)")
    return {"config": config, "files": sorted(files), "stale": stale, "invalidation": invalidation}


def main(argv: list[str] | None = None) -> int:
    stack_default, region_default = samconfig_defaults()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default=stack_default, required=stack_default is None,
                        help=f"the deployed stack's name (default: {stack_default})")
    parser.add_argument("--region", default=region_default, help=f"its region (default: {region_default})")
    parser.add_argument("--folder", type=Path, default=ROOT / "console", help="the app's files (default: console/)")
    args = parser.parse_args(argv)
    import boto3

    session = boto3.Session(region_name=args.region)
    deploy(session.client, args.stack, args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
