"""Listening addresses (OPS-5, SEC): what `metrics.host` may be."""

from __future__ import annotations

import ipaddress
import re

HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def host_problem(host: str) -> str | None:
    """Why `host` cannot be listened on, or None. An empty host would bind every interface."""
    if not host:
        return "is empty (it would listen on every interface)"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not HOSTNAME.match(host):
            return "is neither an IP address nor a host name"
    return None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """`host` as a URL writes it: an IPv6 address in brackets."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[{address}]" if address.version == 6 else host


def reach_host(host: str) -> str:
    """Where a client on this machine reaches a listener bound to `host`, as a URL writes
    it: a wildcard bind (`0.0.0.0`, `::`) on the loopback address of its family."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "[::1]" if address.version == 6 else "127.0.0.1"
    return url_host(host)
