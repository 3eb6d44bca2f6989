"""The HTTP client every outbound request goes through (webhook deliveries, calendar
feeds): requests, with the SSRF guard inside the connection.

urllib3 resolves a host when it opens a connection. Here the connection resolves
it itself, judges every address with ``urlguard`` and connects to an address it
judged, so no second DNS lookup can swap in another address between the check
and the connect (DNS rebinding). TLS still verifies the certificate against the
host name. Pooled keep-alive connections are reused only for the same host and
port, and were opened to a checked address. Proxies from the environment are
ignored: through a proxy the guard would judge the proxy, not the receiver.

Inside ``deadline(seconds)`` (``post`` runs in one) a request ends by its deadline
however slowly the server sends: a read timeout bounds each wait on the socket,
not the whole answer, so a server sending a byte a second would never trip one.
Here every read of the answer (status line, headers, body) first shrinks the
socket's timeout to the time left, and connecting tries no address after it.
"""

import http.client
import socket
import threading
import time
from contextlib import contextmanager

import certifi
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from . import urlguard

_local = threading.local()


@contextmanager
def deadline(seconds: float):
    """Every request this thread starts inside the block is answered, status line
    to last byte, within ``seconds`` from now (or the deadline around this one, if
    sooner), even when the answer is read after the block."""
    previous = getattr(_local, "deadline", None)
    ends = time.monotonic() + seconds
    _local.deadline = ends if previous is None else min(ends, previous)
    try:
        yield
    finally:
        _local.deadline = previous


def _time_left(timeout: float | None) -> float | None:
    """``timeout`` cut to the time left before this thread's deadline."""
    ends = getattr(_local, "deadline", None)
    if ends is None:
        return timeout
    left = ends - time.monotonic()
    return left if timeout is None else min(timeout, left)


class _DeadlineSocket:
    """A response's socket whose every read waits at most until ``ends``."""

    def __init__(self, sock: socket.socket, ends: float):
        self._sock, self._ends, self._timeout = sock, ends, sock.gettimeout()

    def recv_into(self, *args) -> int:
        left = self._ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer did not arrive before the deadline")
        self._sock.settimeout(left if self._timeout is None else min(left, self._timeout))
        return self._sock.recv_into(*args)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class DeadlineHTTPResponse(http.client.HTTPResponse):
    """http.client's response, read by the deadline running when it began: its
    buffered reader reads the socket through a ``_DeadlineSocket``."""

    def __init__(self, sock: socket.socket, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        ends = getattr(_local, "deadline", None)
        if ends is not None:
            self.fp.raw._sock = _DeadlineSocket(sock, ends)


class GuardedConnectionMixin:
    response_class = DeadlineHTTPResponse

    def _new_conn(self) -> socket.socket:
        # UnsafeUrl propagates unwrapped, so the delivery logs why it was refused.
        addresses = urlguard.checked_addresses(self._dns_host, self.port)
        error: OSError | None = None
        for address in addresses:
            timeout = _time_left(self.timeout)
            if timeout is not None and timeout <= 0:
                break
            try:
                return urllib3_connection.create_connection(
                    (str(address), self.port),
                    timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                error = exc
        if error is None:
            raise ConnectTimeoutError(self, f"Connection to {self.host} ran out of time")
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")


class GuardedHTTPConnection(GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(GuardedConnectionMixin, HTTPSConnection):
    pass


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(pool_connections=50, pool_maxsize=4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def session() -> requests.Session:
    """This thread's session (requests sessions are not thread-safe)."""
    if getattr(_local, "session", None) is None:
        _local.session = new_session()
    return _local.session


def new_pool_manager() -> urllib3.PoolManager:
    """A urllib3 pool manager with the guarded pools, for senders that need none of
    requests' conveniences (webhook deliveries): keep-alive per host and port, no
    retries, no redirects, no proxies (urllib3 reads none from the environment)."""
    manager = urllib3.PoolManager(
        num_pools=50, maxsize=4, retries=False, cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(),
    )
    manager.pool_classes_by_scheme = {
        "http": GuardedHTTPConnectionPool,
        "https": GuardedHTTPSConnectionPool,
    }
    return manager


def post(url: str, body: bytes, headers: dict[str, str], timeout: float):
    """POST through this thread's guarded pool manager; the whole answer arrives
    within ``timeout`` seconds (reading it later raises a ``ReadTimeoutError`` past
    that). The response is not read yet (read it, or release it, to give the
    connection back). Redirects are not followed."""
    if getattr(_local, "pool_manager", None) is None:
        _local.pool_manager = new_pool_manager()
    with deadline(timeout):
        return _local.pool_manager.urlopen(
            "POST", url, body=body, headers=headers, timeout=urllib3.Timeout(timeout),
            redirect=False, retries=False, preload_content=False,
        )
