"""Lambda's event source mappings, run locally: the template's DynamoDB stream
and SQS events are polled from the embedded AWS (or AWS_ENDPOINT_URL) and
their records handed to the functions in Lambda's event shapes.

- specs: which events the template declares, their settings with Lambda's defaults
- filter_patterns: FilterCriteria (EventBridge's pattern language)
- record_shapes: a stream record or SQS message as a function gets it; what
  its batch response says failed
- pollers: one thread per source, reading it as Lambda does
- pump: the pollers together: started, woken by AWS calls, drained (runtime.events)

Each name lives in one module and is imported from it (nothing is re-exported
here): a test that changes a module's constant changes the one its code reads.
"""
