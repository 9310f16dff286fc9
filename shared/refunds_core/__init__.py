"""refunds_core: the Lambda layer every function of the Refund Requests API imports.

- ``errors``: the error catalogue; ``api``: the resolver with its exception handlers;
- ``models``/``validation``: request bodies and how they map to error codes;
- ``auth``: tokens, passwords and callers; ``logic``: the domain rules;
- ``dal``: the DynamoDB repository (keys, items, transactions).
"""

from refunds_core.lean_imports import defer_data_classes_package, defer_event_handler_package

defer_data_classes_package()
defer_event_handler_package()
