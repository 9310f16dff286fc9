"""Powertools' REST resolver without the rest of its ``event_handler`` package.

That package's ``__init__`` imports every resolver Powertools ships (AppSync and
with it asyncio, Bedrock agents, VPC Lattice, function URLs...): about 65 ms of
CPU in every cold start, for the one resolver we use (docs/benchmarks.md).
``defer_event_handler_package`` registers the package with its ``__init__`` not
yet run: its submodules import as usual (by their full names, or ``from
aws_lambda_powertools.event_handler import content_types``), and the first
lookup of any other name (``from aws_lambda_powertools.event_handler import
AppSyncResolver``) runs the real ``__init__`` then, so code that wants the
whole package still gets all of it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading

PACKAGE = "aws_lambda_powertools.event_handler"


def defer_event_handler_package() -> None:
    if PACKAGE in sys.modules:
        return  # already imported whole (or already deferred): nothing to save
    spec = importlib.util.find_spec(PACKAGE)
    package = importlib.util.module_from_spec(spec)
    whole = threading.RLock()  # a lookup from another thread waits for the __init__ to finish
    running: list[bool] = []  # the __init__ is running (on the thread holding `whole`)

    def __getattr__(name: str):  # noqa: N807 - a module's __getattr__ (PEP 562)
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)
        if name != "__all__" and importlib.util.find_spec(f"{PACKAGE}.{name}") is not None:
            return importlib.import_module(f"{PACKAGE}.{name}")
        with whole:
            if "__getattr__" in vars(package):
                if running:  # asked by the __init__ itself: what a module being initialised answers
                    raise AttributeError(f"partially initialised module {PACKAGE!r} has no attribute {name!r}")
                running.append(True)
                try:
                    spec.loader.exec_module(package)
                finally:
                    running.clear()
                del package.__getattr__  # from here on the package is what its __init__ makes it
        return getattr(package, name)

    package.__getattr__ = __getattr__
    sys.modules[PACKAGE] = package
    # What the import system does for a package it imports: the parent names it.
    parent, _, child = PACKAGE.rpartition(".")
    setattr(importlib.import_module(parent), child, package)
