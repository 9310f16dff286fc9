"""Domain rules: what each route does, independent of HTTP and of DynamoDB's wire format."""
