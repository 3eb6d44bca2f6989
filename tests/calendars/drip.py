"""A server on 127.0.0.1 that answers one byte at a time, forever: what a hostile
calendar feed or webhook receiver does to hold a worker (the feed and webhook
deadline tests)."""

import contextlib
import socketserver
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

HEADERS = (b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\n"
           b"Content-Length: 1000000\r\n\r\n")


@dataclass
class Drip:
    """``slow_headers``: drip the status line and headers too, not only the body.
    ``open_connections`` counts the clients still being served."""

    url: str = ""
    interval: float = 0.5
    slow_headers: bool = False
    requests: int = 0
    open_connections: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_request(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.requests == 0:
            if time.monotonic() > deadline:
                raise TimeoutError("no request reached the drip server")
            time.sleep(0.05)


def _handler(drip: Drip):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # the request line and headers; a body (a webhook's) is never read
            with drip.lock:
                drip.requests += 1
                drip.open_connections += 1
            try:
                self._drip()
            finally:
                with drip.lock:
                    drip.open_connections -= 1

        def _drip(self):
            if not drip.slow_headers:
                self.wfile.write(HEADERS)
            payload = HEADERS if drip.slow_headers else b"BEGIN:VCALENDAR" + b"X" * 999_985
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for byte in payload:
                    if drip.stopping.wait(drip.interval):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

    return Handler


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def drip_server(**options):
    drip = Drip(**options)
    server = _Server(("127.0.0.1", 0), _handler(drip))
    drip.url = f"http://127.0.0.1:{server.server_address[1]}/calendar.ics"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield drip
    finally:
        drip.stopping.set()
        server.shutdown()
        server.server_close()
