"""Powertools' REST resolver without the rest of its packages' ``__init__``s.

Two Powertools packages import everything they hold in their ``__init__``:
``event_handler`` imports every resolver Powertools ships (AppSync and with it
asyncio, Bedrock agents, VPC Lattice, function URLs...: ~65 ms of CPU in every
cold start), and ``utilities.data_classes`` imports all of its 45 event classes
(S3, Kafka, Cognito, AppSync... ~20 ms), for the one resolver and the handful
of event classes it needs (docs/benchmarks.md). ``defer_package`` registers
such a package with its ``__init__`` not yet run: its submodules import as
usual (by their full names, or ``from <package> import <submodule>``), the
names in ``exports`` come from the submodule the ``__init__`` would take them
from, and the first lookup of any other name runs the real ``__init__`` then,
so code that wants the whole package still gets all of it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Mapping

PACKAGE = "aws_lambda_powertools.event_handler"
DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes"
# Every name the data classes package's __init__ binds, from the submodule it
# takes it from: its own submodules look names up in the package too (sqs_event
# imports S3Event from it), so each must resolve without the __init__
# (tests/packaging/test_lean_imports.py keeps this equal to that __init__).
DATA_CLASSES_EXPORTS = {
    "ALBEvent": "alb_event", "APIGatewayProxyEvent": "api_gateway_proxy_event",
    "APIGatewayProxyEventV2": "api_gateway_proxy_event", "APIGatewayWebSocketEvent": "api_gateway_websocket_event",
    "AWSConfigRuleEvent": "aws_config_rule_event", "AppSyncResolverEvent": "appsync_resolver_event",
    "AppSyncResolverEventsEvent": "appsync_resolver_events_event", "BedrockAgentEvent": "bedrock_agent_event",
    "BedrockAgentFunctionEvent": "bedrock_agent_function_event",
    "CloudFormationCustomResourceEvent": "cloudformation_custom_resource_event",
    "CloudWatchAlarmConfiguration": "cloud_watch_alarm_event", "CloudWatchAlarmData": "cloud_watch_alarm_event",
    "CloudWatchAlarmEvent": "cloud_watch_alarm_event", "CloudWatchAlarmMetric": "cloud_watch_alarm_event",
    "CloudWatchAlarmMetricStat": "cloud_watch_alarm_event", "CloudWatchAlarmState": "cloud_watch_alarm_event",
    "CloudWatchDashboardCustomWidgetEvent": "cloud_watch_custom_widget_event",
    "CloudWatchLogsEvent": "cloud_watch_logs_event",
    "CodeDeployLifecycleHookEvent": "code_deploy_lifecycle_hook_event",
    "CodePipelineJobEvent": "code_pipeline_job_event", "ConnectContactFlowEvent": "connect_contact_flow_event",
    "DynamoDBStreamEvent": "dynamo_db_stream_event", "EventBridgeEvent": "event_bridge_event",
    "KafkaEvent": "kafka_event", "KinesisFirehoseDataTransformationRecord": "kinesis_firehose_event",
    "KinesisFirehoseDataTransformationRecordMetadata": "kinesis_firehose_event",
    "KinesisFirehoseDataTransformationResponse": "kinesis_firehose_event",
    "KinesisFirehoseEvent": "kinesis_firehose_event", "KinesisStreamEvent": "kinesis_stream_event",
    "LambdaFunctionUrlEvent": "lambda_function_url_event", "S3BatchOperationEvent": "s3_batch_operation_event",
    "S3BatchOperationResponse": "s3_batch_operation_event",
    "S3BatchOperationResponseRecord": "s3_batch_operation_event", "S3Event": "s3_event",
    "S3EventBridgeNotificationEvent": "s3_event", "SESEvent": "ses_event", "SNSEvent": "sns_event",
    "SQSEvent": "sqs_event", "SQSRecord": "sqs_event", "SecretsManagerEvent": "secrets_manager_event",
    "TransferFamilyAuthorizer": "transfer_family_event", "TransferFamilyAuthorizerResponse": "transfer_family_event",
    "VPCLatticeEvent": "vpc_lattice", "VPCLatticeEventV2": "vpc_lattice", "event_source": "event_source",
}


def defer_event_handler_package() -> None:
    defer_package(PACKAGE)


def defer_data_classes_package() -> None:
    defer_package(DATA_CLASSES, DATA_CLASSES_EXPORTS)


def defer_package(name: str, exports: Mapping[str, str] | None = None) -> None:
    """Register package `name` with its ``__init__`` not run (see the module)."""
    if name in sys.modules:
        return  # already imported whole (or already deferred): nothing to save
    exports = dict(exports or {})
    spec = importlib.util.find_spec(name)
    package = importlib.util.module_from_spec(spec)
    whole = threading.RLock()  # a lookup from another thread waits for the __init__ to finish
    running: list[bool] = []  # the __init__ is running (on the thread holding `whole`)

    def __getattr__(attribute: str):  # noqa: N807 - a module's __getattr__ (PEP 562)
        if attribute.startswith("__") and attribute != "__all__":
            raise AttributeError(attribute)
        if attribute in exports:
            value = getattr(importlib.import_module(f"{name}.{exports[attribute]}"), attribute)
            setattr(package, attribute, value)  # what the __init__ would bind, found without it
            return value
        if attribute != "__all__" and importlib.util.find_spec(f"{name}.{attribute}") is not None:
            return importlib.import_module(f"{name}.{attribute}")
        with whole:
            if "__getattr__" in vars(package):
                if running:  # asked by the __init__ itself: what a module being initialised answers
                    raise AttributeError(f"partially initialised module {name!r} has no attribute {attribute!r}")
                running.append(True)
                try:
                    spec.loader.exec_module(package)
                finally:
                    running.clear()
                del package.__getattr__  # from here on the package is what its __init__ makes it
        return getattr(package, attribute)

    package.__getattr__ = __getattr__
    sys.modules[name] = package
    # What the import system does for a package it imports: the parent names it.
    parent, _, child = name.rpartition(".")
    setattr(importlib.import_module(parent), child, package)
