"""SSRF guard for URLs the server calls on a user's behalf (webhooks, Web Push endpoints):
only public addresses, unless an admin allowed them (REVENGE_WEBHOOK_ALLOW_LIST).

An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, SIIT, NAT64,
6to4, Teredo, ISATAP) is judged by that IPv4 address: the packet ends up there, and what
``ipaddress`` says about such ranges differs between Python versions. The checks below are
explicit so they do not depend on the interpreter's tables.

The guard checks the addresses a name resolves to now; the HTTP client resolves the name
again when it connects (the address is not pinned), so a rebinding DNS server still has a
short window. The check is repeated before every send to keep that window small.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 4291 §2.5.5: IPv4-compatible (deprecated, ::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d).
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
# RFC 2765 (SIIT): IPv4-translated, ::ffff:0:a.b.c.d.
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# RFC 6052: the NAT64 well-known prefix always embeds the IPv4 address in the last 32 bits.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215: local-use NAT64 prefix. The operator picks the prefix length (/48 … /96), so where
# the IPv4 address sits is unknown: refused outright (it is not globally reachable anyway).
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
# RFC 3056: 6to4, 2002:AABB:CCDD::/48 carries the IPv4 address AA.BB.CC.DD.
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
# RFC 4380: Teredo, server IPv4 in bits 32-63, client IPv4 obfuscated (inverted) in the last 32.
_TEREDO = ipaddress.IPv6Network("2001::/32")
# RFC 5214 §6.1: ISATAP interface identifiers, ::0:5efe:a.b.c.d / ::200:5efe:a.b.c.d.
_ISATAP_IID = {0x00005EFE, 0x02005EFE}

_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)


class UnsafeTarget(Exception):
    """The URL points somewhere the server must not call."""


def parse_allow_list(raw: str) -> tuple[list[IPNetwork], set[str]]:
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            hosts.add(part.lower())
    return networks, hosts


def _tunnelled_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses behind an address whose packets are delivered to that IPv4 address
    (mapped, compatible, translated, NAT64, 6to4, Teredo); empty for any other address."""
    value = int(ip)
    if ip in _IPV4_MAPPED or ip in _IPV4_TRANSLATED or ip in _IPV4_COMPATIBLE:
        return (ipaddress.IPv4Address(value & 0xFFFFFFFF),)
    if ip in _NAT64_WELL_KNOWN:
        return (ipaddress.IPv4Address(value & 0xFFFFFFFF),)
    if ip in _SIX_TO_FOUR:
        return (ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF),)
    if ip in _TEREDO:
        server = ipaddress.IPv4Address((value >> 64) & 0xFFFFFFFF)
        client = ipaddress.IPv4Address(~value & 0xFFFFFFFF)
        return (server, client)
    return ()


def _isatap_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    value = int(ip)
    if (value >> 32) & 0xFFFFFFFF in _ISATAP_IID:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (empty when it carries none)."""
    tunnelled = _tunnelled_ipv4(ip)
    if tunnelled:
        return tunnelled
    isatap = _isatap_ipv4(ip)
    return (isatap,) if isatap is not None else ()


def _is_public_by_itself(ip: IPAddress) -> bool:
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_public_by_itself(ip)
    if ip in _NAT64_LOCAL_USE:
        return False
    tunnelled = _tunnelled_ipv4(ip)
    if tunnelled:
        return all(_is_public_by_itself(v4) for v4 in tunnelled)
    # ISATAP: the prefix routes the packet there, the IPv4 address is where it goes next.
    isatap = _isatap_ipv4(ip)
    if isatap is not None and not _is_public_by_itself(isatap):
        return False
    return _is_public_by_itself(ip)


def _is_allowed(ip: IPAddress, networks: list[IPNetwork]) -> bool:
    if _is_public(ip) or any(ip in net for net in networks):
        return True
    # An allowed IPv4 network also allows the IPv6 forms of its addresses.
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else ()
    return bool(inner) and all(any(v4 in net for net in networks) for v4 in inner)


def _port(parts: SplitResult) -> int:
    """The port to connect to; refuses anything but 1-65535 in ASCII digits."""
    hostinfo = parts.netloc.rpartition("@")[2]
    if hostinfo.startswith("["):
        after = hostinfo.partition("]")[2]
        if after and not after.startswith(":"):
            raise UnsafeTarget("invalid port")
        raw = after[1:]
    else:
        raw = hostinfo.partition(":")[2]
    if not raw:
        return 443 if parts.scheme == "https" else 80
    if not _PORT.fullmatch(raw) or not 1 <= int(raw) <= 65535:
        raise UnsafeTarget("invalid port")
    return int(raw)


async def check_url(url: str, allow_list: str) -> None:
    """Refuse URLs that are not http(s), have an invalid port, or that point (directly or via
    an IPv6 form of an IPv4 address) to loopback, private, link-local, multicast or reserved
    addresses, unless an admin allowed them (REVENGE_WEBHOOK_ALLOW_LIST).

    Called when a webhook is saved and again before every send (DNS can change: rebinding).
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise UnsafeTarget("malformed URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("only http and https URLs with a host are allowed")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials in the URL are not allowed")
    port = _port(parts)
    host = parts.hostname.lower()
    networks, hosts = parse_allow_list(allow_list)
    if host in hosts:
        return
    try:  # an address literal needs no resolver round trip
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if _is_allowed(literal, networks):
            return
        raise UnsafeTarget(f"{host} is a non-public address")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"host {host} does not resolve") from exc
    if not infos:
        raise UnsafeTarget(f"host {host} does not resolve")
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if _is_allowed(ip, networks):
            continue
        raise UnsafeTarget(f"{host} resolves to a non-public address ({ip})")
