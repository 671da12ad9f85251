"""Business rules, one module per domain. Nothing here knows about HTTP."""
