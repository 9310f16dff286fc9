"""The embedded AWS: moto's server on loopback, in a daemon thread of this process."""

from __future__ import annotations

import copy
import importlib
import io
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from localrun.faults import Faults


class OneCallAtATime:
    """WSGI middleware that runs one AWS call at a time, start to finish.

    Real DynamoDB makes each conditional write atomic and each transaction
    serializable. moto's backends are not thread-safe, and its
    transact_write_items checks every condition, then writes, and on failure
    rolls back by restoring a deep copy of the whole table: two concurrent
    requests could both pass the same condition (two open refunds on one
    order) or one could roll back the other's writes. Holding one lock for the
    whole request, including producing the response body (werkzeug may hand
    back a lazy iterable), gives every call the atomicity the code relies on.
    """

    def __init__(self, app: Callable, on_call: Callable[[str, bytes], None] | None = None,
                 faults: Faults | None = None):
        self._app = app
        self._lock = threading.Lock()
        self._on_call = on_call
        self._faults = faults

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        _buffer_request_body(environ)  # a slow client uploads outside the lock
        if self._faults is not None:
            request = environ["wsgi.input"]
            injected = self._faults.answer(environ, request.getvalue() if isinstance(request, io.BytesIO) else b"")
            if injected is not None:  # answered with an AWS error: moto never sees the call
                status, headers, body = injected
                start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, ("Content-Length", str(len(body)))])
                return [body]
        # "DynamoDB_20120810.PutItem", "AmazonSQS.SendMessage"...; "" for the
        # query protocol (SNS, STS).
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        with self._lock:
            result = self._app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            if target.startswith("DynamoDBStreams_"):
                _forget_old_shard_iterators()
        if self._on_call is not None:
            # After the lock: the listener (the event pump) may call AWS itself.
            request = environ["wsgi.input"]
            self._on_call(target, request.getvalue() if isinstance(request, io.BytesIO) else b"")
        return [body]


def _buffer_request_body(environ: dict) -> None:
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit():
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))


# ---------------------------------------------------------- moto's upkeep
# moto is made for tests that last seconds; a local runtime serves thousands
# of calls. Some of its habits cost little there and a lot here.

class _Untracked(list):
    """A model class's instances_tracked that keeps nothing."""

    def append(self, _instance) -> None:
        pass


_MOTO_SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "sns", "secretsmanager", "sts")
_LIGHTENED = threading.Lock()
_lightened = False
_in_transaction = threading.local()


def lighten_moto() -> None:
    """Once per process, before the server serves:

    1. Every moto model instance ever made is appended to its class's
       instances_tracked (for moto's dashboard): every item, stream record
       and SQS message copy ever made stayed in memory. Our services' models
       stop being tracked (S3, which uses the list to close files on reset,
       keeps it).
    2. transact_write_items deep-copies each table it writes to, every item
       and every stream record of the run, to put the copy back if the
       transaction fails: a transaction took longer the more the run had
       written (hundreds of ms after a few thousand writes). Now only the
       items the transaction writes are copied, and a failed transaction
       puts them back and drops its stream records (what moto's own rollback
       amounts to; the table object is kept, so stream readers keep theirs).
    3. The server finds a request's service by listing moto's package
       directory (a stat of each of its ~180 entries, twice per request: a
       third of a call's time); the list is read once.
    """
    global _lightened
    with _LIGHTENED:
        if _lightened:
            return
        from moto import backends
        from moto.core.model_instances import model_data
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table

        for service in _MOTO_SERVICES:
            importlib.import_module(f"moto.{service}.models")  # the model classes register on import
        for service, models in model_data.items():
            if service in _MOTO_SERVICES:
                for model in models.values():
                    model.instances_tracked = _Untracked()
        transact_write_items = DynamoDBBackend.transact_write_items

        def transact_with_item_snapshots(backend, transact_items):
            snapshot = _snapshot_written_items(backend, transact_items)
            _in_transaction.active = True  # moto's whole-table copy becomes the table itself
            try:
                return transact_write_items(backend, transact_items)
            except Exception:
                _restore(snapshot)
                raise
            finally:
                _in_transaction.active = False

        def table_deepcopy(table, memo):
            if getattr(_in_transaction, "active", False):
                return table
            clone = copy.copy(table)  # a backup's copy: moto's default deep copy
            memo[id(table)] = clone
            for name, value in vars(table).items():
                setattr(clone, name, copy.deepcopy(value, memo))
            return clone

        DynamoDBBackend.transact_write_items = transact_with_item_snapshots
        Table.__deepcopy__ = table_deepcopy
        moto_modules = tuple(backends.list_of_moto_modules())
        backends.list_of_moto_modules = lambda: moto_modules
        _lightened = True


def _snapshot_written_items(backend, transact_items: list[dict]) -> tuple[list, list]:
    """(the items a transaction may write, as they are now; each table's stream length)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    items, streams = [], {}
    for operation in transact_items:
        kind, body = next(iter(operation.items()), (None, {}))
        table = backend.tables.get(body.get("TableName")) if isinstance(body, dict) else None
        if table is None or kind not in ("Put", "Delete", "Update"):
            continue
        try:
            key = body["Item"] if kind == "Put" else body["Key"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError, AttributeError):
            continue  # moto refuses it before writing anything
        current = table.items.get(hash_value)
        if range_value is not None:
            current = current.get(range_value) if current is not None else None
        items.append((table, hash_value, range_value, copy.deepcopy(current)))
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    return items, list(streams.values())


def _restore(snapshot: tuple[list, list]) -> None:
    items, streams = snapshot
    for table, hash_value, range_value, item in reversed(items):
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
            continue
        if item is not None:
            table.items[hash_value][range_value] = item
        elif hash_value in table.items:
            table.items[hash_value].pop(range_value, None)
            if not table.items[hash_value]:
                del table.items[hash_value]
    for shard, length in streams:
        del shard.items[length:]


_MAX_SHARD_ITERATORS = 2000


def _forget_old_shard_iterators() -> None:
    """moto keeps every shard iterator it hands out (each GetRecords makes
    one more). DynamoDB expires an iterator after 15 minutes; here the
    oldest go once there are more than a poller could still be holding.
    Called under the lock, after a DynamoDB Streams call."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    for regions in list(dynamodbstreams_backends.values()):
        for backend in list(regions.values()):
            iterators = backend.shard_iterators
            if len(iterators) > _MAX_SHARD_ITERATORS:
                for arn in list(iterators)[:len(iterators) - _MAX_SHARD_ITERATORS // 2]:
                    del iterators[arn]


class _QuietRequestHandler(MotoRequestHandler):
    # One access line per AWS call would drown the API's own log; errors still print.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmbeddedAws:
    """moto's server on 127.0.0.1 (an ephemeral port unless one is given).
    on_call(target, body) is told of each call once it is done: its
    X-Amz-Target ("" for query-protocol services like SNS) and request body.
    faults: the AWS errors injected into its calls (localrun/faults.py)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 on_call: Callable[[str, bytes], None] | None = None):
        self._host, self._port, self._on_call = host, port, on_call
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.faults = Faults()

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EmbeddedAws:
        lighten_moto()
        app = OneCallAtATime(DomainDispatcherApplication(create_backend_app), on_call=self._on_call,
                             faults=self.faults)
        # threaded: connections are served concurrently (keep-alive clients do
        # not block each other); the middleware serializes the AWS work itself.
        self._server = make_server(self._host, self._port, app, threaded=True,
                                   request_handler=_QuietRequestHandler)
        # A short poll interval: stop() waits for serve_forever to notice the shutdown.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), name="embedded-aws",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
