"""The SSRF guard for webhook URLs and Web Push endpoints: IPv6 forms of IPv4 addresses are
judged by the IPv4 address they carry, and invalid ports are refused."""

from __future__ import annotations

import asyncio
import socket

import pytest

from revenge.notifications.channels.ssrf import UnsafeTarget, check_url

BASE = "/api/v1/users/me"

# IPv6 addresses whose packets end up at a loopback/private IPv4 address.
INTERNAL_IPV6_FORMS = {
    "ipv4-mapped loopback": "::ffff:127.0.0.1",
    "ipv4-mapped private": "::ffff:10.0.0.1",
    "ipv4-mapped metadata": "::ffff:169.254.169.254",
    "ipv4-mapped, hex": "::ffff:7f00:1",
    "ipv4-compatible loopback": "::127.0.0.1",
    "ipv4-compatible private": "::192.168.1.1",
    "ipv4-translated (SIIT)": "::ffff:0:127.0.0.1",
    "nat64 well-known": "64:ff9b::127.0.0.1",
    "nat64 well-known private": "64:ff9b::10.1.2.3",
    "nat64 local-use": "64:ff9b:1::7f00:1",
    "nat64 local-use, /48 embedding": "64:ff9b:1:7f00:1::",
    "6to4 loopback": "2002:7f00:1::1",
    "6to4 private": "2002:a00:1::1",
    "6to4 metadata": "2002:a9fe:a9fe::1",
    # Teredo: server 65.54.227.120 (public), client 127.0.0.1 stored inverted (80ff:fffe).
    "teredo, obfuscated loopback client": "2001:0:4136:e378:8000:63bf:80ff:fffe",
    # Teredo: client 8.8.8.8 (f7f7:f7f7 inverted) behind a private "server" 10.0.0.1.
    "teredo, private server": "2001:0:a00:1::f7f7:f7f7",
    "isatap, global prefix to a private address": "2001:4860:1::5efe:10.0.0.5",
    "loopback": "::1",
    "unspecified": "::",
    "link-local": "fe80::1",
    "unique local": "fd00::1",
}

# The same forms around public IPv4 addresses stay usable.
PUBLIC_IPV6_FORMS = {
    "ipv4-mapped": "::ffff:8.8.8.8",
    "nat64 well-known": "64:ff9b::8.8.8.8",
    "6to4": "2002:808:808::1",
    "teredo, public server and client": "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
    "native": "2606:4700:4700::1111",
}


@pytest.mark.parametrize("address", INTERNAL_IPV6_FORMS.values(), ids=INTERNAL_IPV6_FORMS.keys())
async def test_ipv6_literals_carrying_internal_ipv4_are_refused(address):
    with pytest.raises(UnsafeTarget, match="non-public"):
        await check_url(f"http://[{address}]/hook", "")


@pytest.mark.parametrize("address", PUBLIC_IPV6_FORMS.values(), ids=PUBLIC_IPV6_FORMS.keys())
async def test_ipv6_literals_carrying_public_ipv4_are_allowed(address):
    await check_url(f"https://[{address}]/hook", "")


@pytest.fixture
def resolves_to(monkeypatch: pytest.MonkeyPatch):
    """Make every name resolve to the given addresses (on this test's event loop only)."""

    def point(*addresses: str) -> None:
        async def getaddrinfo(host, port, *, type=0, **_):
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    type,
                    socket.IPPROTO_TCP,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in addresses
            ]

        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)

    return point


@pytest.mark.parametrize("address", INTERNAL_IPV6_FORMS.values(), ids=INTERNAL_IPV6_FORMS.keys())
async def test_names_resolving_to_internal_ipv6_forms_are_refused(resolves_to, address):
    resolves_to(address)
    with pytest.raises(UnsafeTarget, match="resolves to a non-public address"):
        await check_url("https://hooks.example.com/x", "")


async def test_one_internal_address_among_public_ones_is_enough_to_refuse(resolves_to):
    resolves_to("8.8.8.8", "2606:4700:4700::1111", "2002:7f00:1::1")
    with pytest.raises(UnsafeTarget, match="2002:7f00:1::1"):
        await check_url("https://hooks.example.com/x", "")
    resolves_to("8.8.8.8", "64:ff9b::8.8.8.8")
    await check_url("https://hooks.example.com/x", "")


async def test_an_allowed_ipv4_network_also_allows_its_ipv6_forms():
    await check_url("http://[::ffff:127.0.0.1]:8080/hook", "127.0.0.1/32")
    with pytest.raises(UnsafeTarget):
        await check_url("http://[::ffff:127.0.0.2]:8080/hook", "127.0.0.1/32")


INVALID_PORTS = [
    "http://127.0.0.2:99999/",
    "http://[::1]:0/",
    "http://8.8.8.8:0/",
    "http://8.8.8.8:65536/",
    "http://8.8.8.8:99999999999999999999/",
    "http://8.8.8.8:-1/",
    "http://8.8.8.8:+80/",
    "http://8.8.8.8:abc/",
    "http://8.8.8.8:８０/",  # fullwidth digits
    "http://8.8.8.8:٨٠/",  # Arabic-Indic digits
    "http://[2606:4700:4700::1111]:0/",
    "http://[2606:4700:4700::1111]x/",
    "https://hooks.example.com:0/",
    "https://hooks.example.com:70000/",
    "http://127.0.0.1:0/",  # allow-listed address, still not a port
    "http://hooks.internal:99999/",  # allow-listed host, still not a port
]


@pytest.mark.parametrize("url", INVALID_PORTS)
async def test_invalid_ports_are_refused(url, resolves_to):
    resolves_to("8.8.8.8")
    with pytest.raises(UnsafeTarget, match="invalid port"):
        await check_url(url, "127.0.0.1/32,hooks.internal")


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8:1/",
        "http://8.8.8.8:65535/",
        "https://8.8.8.8:/",
        "http://[::ffff:8.8.8.8]:8443/",
    ],
)
async def test_valid_ports_are_accepted(url):
    await check_url(url, "")


async def test_malformed_url_is_refused_not_an_error():
    with pytest.raises(UnsafeTarget):
        await check_url("http://[::1/", "")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::ffff:127.0.0.1]/hook", "non-public address"),
        ("http://[64:ff9b::7f00:1]/hook", "non-public address"),
        ("http://[2002:7f00:1::1]/hook", "non-public address"),
        ("http://127.0.0.2:99999/hook", "invalid port"),
        ("http://[::1]:0/hook", "invalid port"),
        ("http://8.8.8.8:0/hook", "invalid port"),
    ],
)
async def test_webhook_save_refuses_with_422(client, make_user, settings, monkeypatch, url, reason):
    monkeypatch.setattr(settings.webhook, "allow_list", "")
    _, headers = await make_user()
    response = await client.post(
        f"{BASE}/notification-channels",
        headers=headers,
        json={"channel_type": "webhook", "name": "x", "url": url},
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "notifications.webhook_url_refused"
    assert reason in response.json()["detail"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://[::ffff:169.254.169.254]/push",
        "https://[2002:a9fe:a9fe::1]/push",
        "http://8.8.8.8:99999/push",
    ],
)
async def test_web_push_endpoint_refused_with_422(
    client, make_user, push_service, settings, monkeypatch, endpoint
):
    from tests.fakes.webpush import Subscriber

    monkeypatch.setattr(settings.webhook, "allow_list", "")
    _, headers = await make_user()
    response = await client.post(
        f"{BASE}/push-token",
        headers=headers,
        json={
            "kind": "webpush",
            "platform": "web",
            "token": endpoint,
            "keys": Subscriber.new().keys(),
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "notifications.push_endpoint_refused"
