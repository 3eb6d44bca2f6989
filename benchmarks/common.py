"""What every benchmark script shares."""

import sys


def create_database(database_url: str) -> None:
    """Create the PostgreSQL database ``database_url`` names, when it is missing."""
    import dj_database_url
    import psycopg

    db = dj_database_url.parse(database_url)
    if "postgresql" not in db["ENGINE"]:
        sys.exit("This benchmark needs DATABASE_URL to name a PostgreSQL database.")
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432,
              "user": db["USER"] or "postgres", "password": db["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
