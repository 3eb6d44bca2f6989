"""Quick-start command 1, as the README gives it, serves the API with the printed key,
books the slot its printed curl finds and delivers the webhook through its own worker
(SQLite and the file-system broker), starts again on its earlier data, and stops with
everything it started."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.processes import ROOT, free_port, wait_for_http
from tests.webhooks.receiver import running_receiver

KEY = re.compile(r"ak_live:[0-9a-f-]{36}:[A-Za-z0-9_-]{32,}")
SLOTS = re.compile(r"slots: +curl .*'(http\S+booking-availability\S+)'")
# What a process manager allows before it kills; the quick start must be done by then.
STOP_WITHIN = 10.0


def read_until_key(proc: subprocess.Popen, timeout: float = 120, last=KEY) -> str:
    """The quick start's output up to the line with the API key (or ``last``)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if last.search(line):
            # Keep reading, so that the servers never block on a full pipe.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return "".join(seen)
    raise AssertionError("no API key printed:\n" + "".join(seen))


def read_key(proc: subprocess.Popen) -> str:
    return KEY.search(read_until_key(proc)).group(0)


def group_processes(pgid: int) -> str:
    listing = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True,
                             text=True).stdout
    return "".join(line + "\n" for line in listing.splitlines() if line.split()[1] == str(pgid))


def group_ends(proc: subprocess.Popen, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        proc.poll()  # reap the script itself: its zombie would keep the group alive
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def quick_start(var_dir: Path, port: int) -> Iterator[subprocess.Popen]:
    """``bin/quickstart`` in its own process group; whatever happens, nothing it
    started outlives the block."""
    # The embedded default: no database or broker server configured.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PORT=str(port), TERMIN_VAR_DIR=str(var_dir), PYTHON=sys.executable)
    proc = subprocess.Popen(
        ["./bin/quickstart"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        if not group_ends(proc, within=STOP_WITHIN):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def stop_with_sigterm(proc: subprocess.Popen) -> None:
    """A process manager's stop: SIGTERM to the whole group, then every process
    must be gone within STOP_WITHIN seconds."""
    os.killpg(proc.pid, signal.SIGTERM)
    started = time.monotonic()
    left = "" if group_ends(proc, within=STOP_WITHIN) else group_processes(proc.pid)
    assert not left, f"still running {STOP_WITHIN:.0f} s after SIGTERM:\n{left}"
    assert time.monotonic() - started < STOP_WITHIN


@pytest.mark.slow
def test_the_quick_start_books_the_printed_slot_and_its_worker_sends_the_webhook(tmp_path):
    port = free_port()
    with quick_start(tmp_path, port) as proc, running_receiver() as receiver:
        output = read_until_key(proc, last=SLOTS)
        auth = {"Authorization": f"Bearer {KEY.search(output).group(0)}"}
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/v4/user/me", proc=proc)
        me = requests.get(f"{base}/v4/user/me", headers=auth)
        assert me.status_code == 200 and me.json()["email"] == "demo@termin.local"
        assert (tmp_path / "termin.sqlite3").exists()

        hook = requests.post(f"{base}/v4/webhooks", headers=auth,
                             json={"url": receiver.url, "events": ["booking_created"]})
        assert hook.status_code == 201, hook.text
        slots_url = SLOTS.search(output).group(1)
        slots = requests.get(slots_url, headers=auth).json()
        start = slots["dates"][0]["spots"][0]["startTime"]
        booked = requests.post(f"{base}/v4/booking", headers=auth, json={
            "meetingTypeId": parse_qs(urlsplit(slots_url).query)["meetingTypeId"][0],
            "start": start, "attendee": {"email": "jane@client.test", "fullname": "Jane"}})
        assert booked.status_code == 201, booked.text

        delivered = receiver.wait_for(1)[0].json
    assert delivered["webhookType"] == "booking_created"
    assert delivered["data"]["appointmentId"] == booked.json()["appointmentId"]


@pytest.mark.slow
def test_the_quick_start_stops_on_sigterm_and_starts_again_after_the_owner_was_renamed(
        tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with quick_start(tmp_path, port) as proc:
        auth = {"Authorization": f"Bearer {read_key(proc)}"}
        wait_for_http(f"{base}/v4/user/me", proc=proc)
        me = requests.get(f"{base}/v4/user/me", headers=auth).json()
        renamed = requests.patch(f"{base}/v4/user/{me['id']}", headers=auth,
                                 json={"email": "ada@example.test", "givenName": "Grace"})
        assert renamed.status_code == 200, renamed.text
        stop_with_sigterm(proc)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with quick_start(tmp_path, port) as proc:
        output = read_until_key(proc)
        assert "found the demo company and its owner, whose email is now ada@example.test" \
            in output
        auth = {"Authorization": f"Bearer {KEY.search(output).group(0)}"}
        wait_for_http(f"{base}/v4/user/me", proc=proc)
        me = requests.get(f"{base}/v4/user/me", headers=auth)
        assert me.status_code == 200 and me.json()["email"] == "ada@example.test"
        stop_with_sigterm(proc)
