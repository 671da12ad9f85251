"""Tables, migrations and the database engine (SQLite by default, PostgreSQL by `DATABASE_URL`)."""
