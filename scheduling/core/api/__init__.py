"""What every API endpoint shares: authentication, permissions, the error body,
pagination, rate limit, idempotency, serializer fields, the API paths, the view
base classes and the schema hook."""
