"""The address of the client behind a request, for limits counted per client.

``REMOTE_ADDR`` is the direct peer. ``X-Forwarded-For`` is believed only when
that peer is one of ``settings.TRUSTED_PROXIES``: anyone else could write any
address there. Each proxy appends the address it saw, so the header is read from
the right, skipping trusted proxies; the first address no trusted proxy vouches
for beyond is the client.
"""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request) -> str:
    """The address limits should count ``request`` against."""
    return resolve_client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )


def resolve_client_address(remote_addr: str, forwarded_for: str, trusted: Iterable[str]) -> str:
    """The client's address, given the peer, the ``X-Forwarded-For`` value and the
    trusted proxies (addresses or CIDR networks). Addresses come out normalised."""
    networks = trusted_networks(tuple(trusted))
    client = parse_address(remote_addr)
    if client is None:
        return remote_addr.strip()
    for hop in reversed(forwarded_for.split(",")):
        if not _is_trusted(client, networks):
            break
        address = parse_address(hop)
        if address is None:
            break  # not an address: no trusted proxy wrote it, so stop at the last one
        client = address
    return str(client)


def parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from a header entry (``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80``,
    ``::1``); an IPv4-mapped IPv6 address as IPv4; None when it is none of these."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def trusted_networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    items = (item.strip() for item in trusted)
    return tuple(ipaddress.ip_network(item, strict=False) for item in items if item)


def _is_trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)
