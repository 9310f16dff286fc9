"""Running the layer (refunds_core) inside the runtime's own process, with a
function's environment: seeding accounts, the demo order, issuing tokens."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

# os.environ is process-wide: one function environment at a time.
_ENVIRONMENT_LOCK = threading.RLock()


@contextmanager
def function_environment(env: dict[str, str], layers: tuple[Path, ...]) -> Iterator[None]:
    """os.environ as a worker of the function sees it, for the duration of the
    block; the previous environment is restored afterwards."""
    with _ENVIRONMENT_LOCK:
        for layer in reversed(layers):  # the layers' /opt/python
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        forget_cached_clients()
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            forget_cached_clients()


def forget_cached_clients() -> None:
    """refunds_core caches its settings and boto3 clients for the life of an
    execution environment, and Powertools caches its Secrets provider (with
    its client). In this process the environment changes, so all of them must
    be made again from the current one."""
    import boto3
    import botocore.session
    from aws_lambda_powertools.utilities import parameters

    from refunds_core import aws
    from refunds_core.settings import settings

    settings.cache_clear()
    aws.forget_clients()
    parameters.clear_caches()
    # A new default session: the old one caches the credentials it resolved
    # first. It shares botocore's data files (service models, endpoints) with
    # the old, which a session of its own would read again: 0.15 s per session.
    session = botocore.session.get_session()
    session.register_component("data_loader", _data_loader())
    boto3.setup_default_session(botocore_session=session)


@cache
def _data_loader():
    import botocore.session

    return botocore.session.get_session().get_component("data_loader")
