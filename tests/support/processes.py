"""Real server and worker processes for end-to-end tests.

They run against the test database (which the test must populate with committed
data: use ``transactional_db``) and the test Redis.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="config.settings",
        DB_CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def wait_for_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before serving {url}")
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def web_server(**env: str):
    """A gunicorn serving Termin on a free port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=child_env(**env),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/v4/user/me", proc=proc)
        yield base
    finally:
        stop(proc)


@contextmanager
def celery_worker(*extra_args: str, **env: str):
    """A real Celery worker process (prefork, 2 children) on the test Redis, consuming
    both queues (the default one and feed syncs), as ``bin/quickstart``'s does."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "--quiet", "worker",
         "--loglevel=WARNING", "--concurrency=2", "-Q", "celery,feeds", "--without-gossip",
         "--without-mingle", *extra_args],
        cwd=ROOT, env=child_env(**env),
    )
    try:
        time.sleep(1.5)  # let it connect to the broker before work is queued
        yield proc
    finally:
        stop(proc)
