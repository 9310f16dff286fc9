"""`make deploy-console` (scripts/deploy_console.py) against the runtime's
embedded AWS: a stack with the template's console outputs, its bucket and its
distribution. What it uploads, with which types, what it removes, and what it
leaves alone."""

from __future__ import annotations

import json
import uuid
from functools import partial

import pytest

from localrun.provision import local_client
from scripts import deploy_console

pytestmark = pytest.mark.server

API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


@pytest.fixture
def aws(runtime):
    return partial(local_client, endpoints={"default": runtime.aws_endpoint})


@pytest.fixture
def stack(aws):
    """A stack whose outputs are the template's console outputs (on moto: its bucket is made by the stack,
    the distribution beside it)."""
    name = f"console-{uuid.uuid4().hex[:8]}"
    distribution = aws("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": name, "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "b", "DomainName": f"{name}.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "b", "ViewerProtocolPolicy": "redirect-to-https"}})["Distribution"]
    template = {"Parameters": {"ApiAllowedOrigin": {"Type": "String", "Default": "*"}},
                "Resources": {"ConsoleBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}}},
                "Outputs": {"ApiUrl": {"Value": API_URL}, "ConsoleBucketName": {"Value": {"Ref": "ConsoleBucket"}},
                            "ConsoleDistributionId": {"Value": distribution["Id"]},
                            "ConsoleUrl": {"Value": f"https://{distribution['DomainName']}/console/"}}}
    aws("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


@pytest.fixture
def app(tmp_path):
    folder = tmp_path / "console"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html><script src=app.js></script>")
    (folder / "app.js").write_text("fetch('config.json')")
    (folder / "assets" / "style.css").write_text("body{}")
    (folder / "config.json").write_text('{"apiBaseUrl": ""}')  # make run's: never uploaded
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def objects(aws, bucket: str) -> dict[str, dict]:
    s3 = aws("s3")
    return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])
            for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_the_app_goes_under_console_with_a_config_naming_the_stacks_api(aws, stack, app):
    said: list[str] = []
    done = deploy_console.deploy(aws, stack, app, say=said.append)
    stored = objects(aws, stack)
    assert sorted(stored) == ["console/app.js", "console/assets/style.css", "console/config.json",
                              "console/index.html"]
    assert json.loads(stored["console/config.json"]["Body"].read()) == {"apiBaseUrl": API_URL}
    assert {key: (o["ContentType"], o["CacheControl"]) for key, o in stored.items()} == {
        "console/app.js": ("text/javascript; charset=utf-8", "no-cache"),
        "console/assets/style.css": ("text/css; charset=utf-8", "no-cache"),
        "console/config.json": ("application/json", "no-cache"),
        "console/index.html": ("text/html; charset=utf-8", "no-cache")}
    assert json.loads((app / "config.json").read_text()) == {"apiBaseUrl": ""}  # the working tree's, untouched
    outputs, _ = deploy_console.stack_outputs(aws("cloudformation"), stack)
    invalidation = aws("cloudfront").get_invalidation(DistributionId=outputs["ConsoleDistributionId"],
                                                      Id=done["invalidation"])["Invalidation"]
    assert invalidation["InvalidationBatch"]["Paths"]["Items"] == ["/console/*"]
    # The API still allows any origin: the output says how to allow the console's alone.
    assert any("ApiAllowedOrigin=https://" in line for line in said)


def test_a_file_the_app_no_longer_has_is_removed_and_nothing_outside_console(aws, stack, app):
    aws("s3").put_object(Bucket=stack, Key="console/old.js", Body=b"old")
    aws("s3").put_object(Bucket=stack, Key="elsewhere.txt", Body=b"not ours")
    done = deploy_console.deploy(aws, stack, app, say=lambda _line: None)
    assert done["stale"] == ["console/old.js"]
    assert "console/old.js" not in objects(aws, stack) and "elsewhere.txt" in objects(aws, stack)


def test_a_folder_without_index_html_or_a_stack_without_the_console_is_refused(aws, stack, app, tmp_path):
    (app / "index.html").unlink()
    with pytest.raises(SystemExit, match="no index.html"):
        deploy_console.deploy(aws, stack, app, say=lambda _line: None)
    older = f"older-{uuid.uuid4().hex[:8]}"
    aws("cloudformation").create_stack(StackName=older, TemplateBody=json.dumps({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"ApiUrl": {"Value": API_URL}}}))
    with pytest.raises(SystemExit, match="no output ConsoleBucketName, ConsoleDistributionId, ConsoleUrl"):
        deploy_console.deploy(aws, older, tmp_path, say=lambda _line: None)
    assert objects(aws, stack) == {}


@pytest.mark.parametrize(("key", "expected"), [
    ("console/index.html", "text/html; charset=utf-8"), ("console/a.mjs", "text/javascript; charset=utf-8"),
    ("console/i.svg", "image/svg+xml"), ("console/f.woff2", "font/woff2"),
    ("console/x.unknown-type", "application/octet-stream"),
])
def test_each_file_is_served_with_its_type(key, expected):
    assert deploy_console.content_type(key) == expected
