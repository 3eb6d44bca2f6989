"""The HTTP client deliveries go through: requests, with the SSRF guard inside
the connection.

urllib3 resolves a host when it opens a connection. Here the connection resolves
it itself, judges every address with ``urlguard`` and connects to an address it
judged, so no second DNS lookup can swap in another address between the check
and the connect (DNS rebinding). TLS still verifies the certificate against the
host name. Pooled keep-alive connections are reused only for the same host and
port, and were opened to a checked address. Proxies from the environment are
ignored: through a proxy the guard would judge the proxy, not the receiver.
"""

import socket
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from . import urlguard


class GuardedConnectionMixin:
    def _new_conn(self) -> socket.socket:
        # UnsafeUrl propagates unwrapped, so the delivery logs why it was refused.
        addresses = urlguard.checked_addresses(self._dns_host, self.port)
        error: OSError | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (str(address), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                error = exc
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


_local = threading.local()


def session() -> requests.Session:
    """This thread's session (requests sessions are not thread-safe)."""
    if getattr(_local, "session", None) is None:
        _local.session = new_session()
    return _local.session
