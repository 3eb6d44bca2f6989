"""The guard against server-side request forgery, for every outbound request
(webhook deliveries, calendar feeds).

A URL is refused when its host resolves to an address that is not on the
public Internet: loopback, private, shared (carrier-grade NAT), link-local,
multicast, reserved or unspecified. IPv4 addresses hidden inside IPv6 (mapped,
6to4, Teredo, NAT64) are unwrapped and judged as IPv4. Numeric spellings such
as ``http://2130706433/`` or ``http://0x7f.1/`` need no special case: the host
goes through ``socket.getaddrinfo`` like every other host name, which turns them
into the address the connection would really reach, and that address is judged.

The guard runs at registration and again inside every delivery's connection
(see ``scheduling.core.http``): the address checked is the address connected to, so a
name that resolves to a public address at registration and to a private one
later (DNS rebinding) is refused at delivery.

``settings.WEBHOOK_ALLOW_PRIVATE`` turns the refusal off (the tests and the
quick start deliver to 127.0.0.1).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from scheduling.core.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeUrl(DomainError):
    """The server may not connect to the URL. ``field`` is ``url`` for the API."""

    def __init__(self, message: str):
        super().__init__(message, field="url")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True when ``address`` is an ordinary address on the public Internet."""
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global  # shared space 100.64/10, documentation ranges, ...
    )


def host_and_port(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; ``UnsafeUrl`` for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("Enter a valid http or https URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("Enter a valid http or https URL")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (numeric forms included)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host} could not be resolved") from exc
    # Strip an IPv6 zone id ("fe80::1%eth0") before parsing.
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_addresses(host: str, addresses: list[IPAddress], allow_private: bool) -> None:
    if allow_private:
        return
    for address in addresses:
        if not is_public(address):
            raise UnsafeUrl(
                f"The server does not connect to {host}: it resolves to a private, "
                f"loopback, link-local, multicast or reserved address ({address})"
            )


def checked_addresses(host: str, port: int, allow_private: bool | None = None) -> list[IPAddress]:
    """The addresses of ``host``, once each one of them has been judged safe.

    Refuses the host when ANY of its addresses is unsafe, so a name cannot slip a
    private address in beside a public one. Opens no connection.
    """
    if allow_private is None:
        allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    addresses = resolve(host, port)
    check_addresses(host, addresses, allow_private)
    return addresses


def check_url(url: str, allow_private: bool | None = None) -> list[IPAddress]:
    """Raise ``UnsafeUrl`` unless the server may connect to ``url``; its addresses otherwise."""
    host, port = host_and_port(url)
    return checked_addresses(host, port, allow_private)
