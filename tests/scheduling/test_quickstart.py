"""Quick-start command 1, as the README gives it, serves the API with the printed key."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.support.processes import ROOT, free_port, stop, wait_for_http

KEY = re.compile(r"ak_live:[0-9a-f-]{36}:[A-Za-z0-9_-]{32,}")


def read_key(proc: subprocess.Popen, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        match = KEY.search(line)
        if match:
            return match.group(0)
    raise AssertionError("no API key printed:\n" + "".join(seen))


@pytest.mark.slow
def test_the_quick_start_serves_the_api_with_the_printed_key(tmp_path):
    port = free_port()
    # The embedded default: no database or broker server configured.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PORT=str(port), TERMIN_VAR_DIR=str(tmp_path), PYTHON=sys.executable)
    proc = subprocess.Popen(
        ["./bin/quickstart"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        key = read_key(proc)
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/v4/user/me", proc=proc)
        response = requests.get(f"{base}/v4/user/me", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
        assert response.json()["email"] == "demo@termin.local"
        assert (tmp_path / "termin.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        stop(proc)
        time.sleep(1)
        # Nothing the quick start started may outlive the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
