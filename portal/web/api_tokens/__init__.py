"""Back office: administrators create, list and revoke REST API tokens."""
