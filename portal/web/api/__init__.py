"""The REST API under `/api/v1`: bearer tokens, JSON errors in one shape, documented by OpenAPI."""
