"""Error pages and JSON errors, in the visitor's language."""
