"""SSRF guard for URLs the server calls on a user's behalf (webhooks, Web Push endpoints):
only public addresses, unless an admin allowed them (REVENGE_WEBHOOK_ALLOW_LIST)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeTarget(Exception):
    """The URL points somewhere the server must not call."""


def parse_allow_list(
    raw: str,
) -> tuple[list[ipaddress.IPv4Network | ipaddress.IPv6Network], set[str]]:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    hosts: set[str] = set()
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            hosts.add(part.lower())
    return networks, hosts


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _is_public(ip.ipv4_mapped)
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


async def check_url(url: str, allow_list: str) -> None:
    """Refuse URLs that are not http(s) or that resolve to loopback, private, link-local,
    multicast or reserved addresses, unless an admin allowed them (REVENGE_WEBHOOK_ALLOW_LIST).

    Called when a webhook is saved and again before every send (DNS can change: rebinding).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("only http and https URLs with a host are allowed")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials in the URL are not allowed")
    host = parts.hostname.lower()
    networks, hosts = parse_allow_list(allow_list)
    if host in hosts:
        return
    try:  # an address literal needs no resolver round trip
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if _is_public(literal) or any(literal in net for net in networks):
            return
        raise UnsafeTarget(f"{host} is a non-public address")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("invalid port") from exc
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeTarget(f"host {host} does not resolve") from exc
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if _is_public(ip) or any(ip in net for net in networks):
            continue
        raise UnsafeTarget(f"{host} resolves to a non-public address ({ip})")
