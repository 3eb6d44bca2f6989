"""A real CalDAV server for the tests and the benchmark: Radicale, started on
127.0.0.1 with plain-text htpasswd accounts, that a test can stop and start again
on the same port (a server that is down). The test side reads and writes its
calendars with plain ``requests``, never through the code under test."""

import contextlib
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import requests

from tests.support.processes import free_port

CONFIG = """[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {users}
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = {folder}
[logging]
level = error
"""
MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:displayname>{name}</D:displayname>
<C:supported-calendar-component-set>{components}</C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>"""
CALENDAR_DATA = "{urn:ietf:params:xml:ns:caldav}calendar-data"


@dataclass
class Radicale:
    root: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def users_file(self) -> Path:
        return self.root / "users"

    def start(self) -> None:
        config = self.root / "config"
        config.write_text(CONFIG.format(port=self.port, users=self.users_file,
                                        folder=self.root / "collections"))
        self._write_users()
        self.proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Radicale exited with {self.proc.returncode}")
            with contextlib.suppress(requests.ConnectionError):
                requests.get(self.url + "/.web/", timeout=1)
                return
            time.sleep(0.05)
        raise TimeoutError("Radicale did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    # --- accounts and calendars -------------------------------------------------------

    def account(self, password: str = "app-password") -> tuple[str, str]:
        """A new account (username, password) with nothing in it yet."""
        username = f"host-{uuid.uuid4().hex[:10]}"
        self.set_password(username, password)
        return username, password

    def set_password(self, username: str, password: str) -> None:
        self.passwords[username] = password
        self._write_users()

    def _write_users(self) -> None:
        self.users_file.write_text("".join(f"{user}:{password}\n"
                                           for user, password in self.passwords.items()))

    def _session(self, username: str) -> requests.Session:
        session = requests.Session()
        session.auth = (username, self.passwords[username])
        return session

    def make_calendar(self, username: str, slug: str, name: str,
                      components: tuple[str, ...] = ("VEVENT",)) -> str:
        url = f"{self.url}/{username}/{slug}/"
        comps = "".join(f'<C:comp name="{comp}"/>' for comp in components)
        answer = self._session(username).request(
            "MKCALENDAR", url, data=MKCALENDAR.format(name=name, components=comps),
            headers={"Content-Type": "application/xml"})
        assert answer.status_code == 201, answer.text
        return url

    def upload_calendar(self, username: str, slug: str, text: str) -> str:
        """A new calendar holding every event of ``text`` (one object per UID), as
        Radicale makes one from a whole iCalendar file PUT to a collection's URL."""
        url = f"{self.url}/{username}/{slug}/"
        answer = self._session(username).put(url, data=text.encode(),
                                             headers={"Content-Type": "text/calendar"})
        assert answer.status_code == 201, answer.text
        return url

    def put_event(self, username: str, calendar_url: str, name: str, text: str) -> str:
        href = calendar_url + name
        answer = self._session(username).put(
            href, data=text.encode(), headers={"Content-Type": "text/calendar"})
        assert answer.status_code in (201, 204), answer.text
        return href

    def events(self, username: str, calendar_url: str) -> list[str]:
        """The iCalendar text of every object in the calendar."""
        body = ('<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                '<D:prop><C:calendar-data/></D:prop><C:filter>'
                '<C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>')
        answer = self._session(username).request(
            "REPORT", calendar_url, data=body,
            headers={"Depth": "1", "Content-Type": "application/xml"})
        assert answer.status_code == 207, answer.text
        tree = ElementTree.fromstring(answer.content)
        return [element.text for element in tree.iter(CALENDAR_DATA) if element.text]


@contextmanager
def radicale_server():
    with tempfile.TemporaryDirectory(prefix="radicale-") as folder:
        server = Radicale(Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()
