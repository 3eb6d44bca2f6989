"""A real HTTP server on 127.0.0.1 serving iCalendar files, with ETag and
Last-Modified support, for the calendar tests and the benchmark."""

import contextlib
import hashlib
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    delay: float = 0.0  # seconds before answering
    location: str = ""  # for a redirect status


@dataclass
class IcsServer:
    """Serves ``routes`` (path -> Route); answers 304 when the client's ETag matches.
    Every request's path and headers are kept in ``requests``."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, path: str, body: bytes | str = b"", **kwargs) -> str:
        """Serve ``body`` at ``path``; its full URL."""
        if isinstance(body, str):
            body = body.encode()
        self.routes[path] = Route(body=body, **kwargs)
        return self.url + path

    def requests_to(self, path: str) -> list[dict]:
        with self.lock:
            return [headers for p, headers in self.requests if p == path]


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha1(body).hexdigest()}"'


def _handler(server: IcsServer):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            with server.lock:
                server.requests.append((self.path, dict(self.headers.items())))
            route = server.routes.get(self.path)
            if route is None:
                return self._answer(404, b"not found")
            if route.delay:
                time.sleep(route.delay)
            if route.location:
                return self._answer(route.status, b"", {"Location": route.location})
            if route.status != 200:
                return self._answer(route.status, b"server error")
            etag = etag_of(route.body)
            headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED,
                       "Content-Type": "text/calendar; charset=utf-8"}
            if self.headers.get("If-None-Match") == etag:
                return self._answer(304, b"", headers)
            return self._answer(200, route.body, headers)

        do_PROPFIND = do_GET  # noqa: N815 - a WebDAV client's first request (redirect tests)

        def _answer(self, status: int, body: bytes, headers: dict | None = None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                # The client may have given up (a size limit or a timeout).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def ics_server():
    state = IcsServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
