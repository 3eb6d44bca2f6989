"""Processes for the webhook end-to-end tests: a Celery worker that can be killed
whole, a Redis server of the test's own, and pointing this process's Celery at it."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import redis

from config.celery import app
from tests.support.processes import ROOT, child_env, free_port


@contextmanager
def worker(*extra_args: str, **env: str):
    """A prefork worker in its own process group, so SIGKILL takes its children too;
    it consumes both queues (the default one and feed syncs)."""
    env.setdefault("WEBHOOK_ALLOW_PRIVATE", "1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "--quiet", "worker",
         "--loglevel=WARNING", "--concurrency=2", "-Q", "celery,feeds", "--without-gossip",
         "--without-mingle", "--without-heartbeat", *extra_args],
        cwd=ROOT, env=child_env(**env), start_new_session=True,
    )
    try:
        time.sleep(1.5)  # let it connect to the broker before work is queued
        yield proc
    finally:
        kill(proc, signal.SIGTERM)


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class RedisServer:
    """A redis-server on a free port that the test can stop and start again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reset_producers() -> None:
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def publishing_to(broker_url: str):
    """Point this process's Celery app (publishing the after-commit tasks) at ``broker_url``."""
    previous = app.conf.broker_url
    app.conf.broker_url = broker_url
    _reset_producers()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        _reset_producers()
