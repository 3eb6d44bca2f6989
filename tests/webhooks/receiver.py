"""A real HTTP receiver on 127.0.0.1 for webhook tests and the benchmark."""

import contextlib
import json
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    received_at: float
    client_port: int = 0

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """Answers each request with the next scripted status (then ``default_status``)."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    default_status: int = 200
    delay: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)
    reply_body: bytes | None = None  # instead of the short JSON answer
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self):
        self.arrived = threading.Condition(self.lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            self.arrived.notify_all()
            return self.script.pop(0) if self.script else self.default_status

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` requests arrived; the requests so far."""
        with self.arrived:
            done = self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            if not done:
                raise TimeoutError(f"{len(self.requests)} of {count} webhooks arrived")
            return list(self.requests)

    def wait_for_ids(self, ids: set[str], timeout: float = 60.0) -> None:
        with self.arrived:
            if not self.arrived.wait_for(lambda: ids <= self.unique_ids(), timeout):
                raise TimeoutError(f"{len(ids - self.unique_ids())} of {len(ids)} never arrived")

    def unique_ids(self) -> set[str]:
        return {r.webhook_id for r in self.requests}

    def id_counts(self) -> Counter:
        with self.lock:
            return Counter(r.webhook_id for r in self.requests)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do
        # One segment per response: with headers and body written apart, Nagle's
        # algorithm and delayed ACKs would add 40 ms to every request.
        disable_nagle_algorithm = True
        wbufsize = 64 * 1024

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {key.lower(): value for key, value in self.headers.items()}
            status = receiver.answer(
                Received(headers, body, time.monotonic(), self.client_address[1]))
            if receiver.delay:
                time.sleep(receiver.delay)
            reply = b'{"status": "ok"}' if status < 300 else b'{"error": "nope"}'
            reply = receiver.reply_body if receiver.reply_body is not None else reply
            self.send_response(status)
            for key, value in receiver.extra_headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the sender went away (a killed worker)
                self.wfile.write(reply)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def running_receiver(**options):
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/termin"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
