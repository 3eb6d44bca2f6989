"""What every benchmark script shares.

Importing it (before ``django.setup()``) prepares the environment of the script and
of every process it starts: Termin runs with DEBUG off, as in production, so it
needs a secret key (a throwaway one unless ``SECRET_KEY`` is set), and it is spoken
to over plain http on 127.0.0.1, so no redirect to https and no secure-only cookies.
"""

import os
import secrets
import sys

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
for _name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ[_name] = "false"


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
