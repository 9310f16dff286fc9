"""Lambda SnapStart (the template's ApiSnapStart parameter): what an execution
environment does before Lambda takes its snapshot, and what it redoes after
each restore (docs/benchmarks.md, "SnapStart").

Every environment restored from one snapshot starts with the same memory, so
the work done before the snapshot is the work that is the same for all of
them and takes time: the imports, settings read and validated, the boto3
clients (botocore's data files, X-Ray's patch) and the request models of the
function's routes built. What is unique or expires is redone after each
restore: the clients and their session (network connections, credentials),
the signing key and its TTL, the caches of verified tokens and accounts, the
`random` module's state (retry jitter) and the ULID generator's last value.

Lambda runs the hooks when SnapStart is on; the local runtime runs the same
hooks when a function's SnapStart is on (localrun/worker.py), and a test
restores two environments from one snapshot (tests/unit/test_snapstart.py).
The hooks do nothing that would be wrong without SnapStart.
"""

from __future__ import annotations

import random

import ulid
from snapshot_restore_py import register_after_restore, register_before_snapshot

from refunds_core import auth, aws
from refunds_core.settings import settings

# The request models of the routes this environment serves (routes.route adds them).
_models: list[type] = []


def prepare_model(model: type) -> None:
    """Build `model` (a pydantic model whose build is deferred) before the snapshot."""
    if model not in _models:
        _models.append(model)


@register_before_snapshot
def before_snapshot() -> None:
    settings()
    aws.dynamodb()
    aws.secretsmanager()
    for model in _models:
        model.model_rebuild()


@register_after_restore
def after_restore() -> None:
    aws.forget_clients()
    auth.forget_cached_callers()
    random.seed()  # from os.urandom: each environment its own jitter
    ulid.default_generator = ulid.ULIDGenerator()  # the monotonic state of the snapshot's last ULID dropped
