"""HTTP: one folder per feature, each with its controllers and templates."""
