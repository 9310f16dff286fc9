"""The DynamoDB repository. One table; the key design is in docs/data-model.md."""
