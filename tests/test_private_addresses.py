"""The private-address guard of `add URL` (issue 17, point 7): IPv6 forms that carry an
IPv4 address inside them (NAT64, 6to4, IPv4-compatible, -mapped or -translated, Teredo)
are judged by that address, so none of them reaches loopback, link-local or private hosts.

Kept apart: it imports `add` and `FetchOptions`, whose module path may move.
"""

from __future__ import annotations

import pytest

from bot.ingest.sources import FetchOptions, add


@pytest.mark.parametrize(
    "host",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "::127.0.0.1",  # IPv4-compatible
        "::a9fe:a9fe",  # IPv4-compatible, hex
        "::ffff:127.0.0.1",  # IPv4-mapped
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT) of 127.0.0.1
        "::ffff:0:127.0.0.1",  # the same, dotted
        "::ffff:0:a9fe:a9fe",  # IPv4-translated of 169.254.169.254
        "::ffff:0:a00:1",  # IPv4-translated of 10.0.0.1
        "::ffff:0:c0a8:101",  # IPv4-translated of 192.168.1.1
        "::ffff:a00:1",  # IPv4-mapped of 10.0.0.1, hex
        "::ffff:ac10:1",  # IPv4-mapped of 172.16.0.1
        "::a00:1",  # IPv4-compatible of 10.0.0.1
        "::c0a8:101",  # IPv4-compatible of 192.168.1.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:c0a8:101:1::1",  # 6to4 of 192.168.1.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::c0a8:101",  # NAT64 of 192.168.1.1
        "64:ff9b::127.0.0.1",  # NAT64 of 127.0.0.1, dotted
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused(host, tmp_path):
    (out,) = add([f"http://[{host}]/latest/meta-data/"], tmp_path / "articles", FetchOptions(timeout_s=2))
    assert out.status == "refused"
    assert "is a private or loopback address" in out.detail and "BOT_ALLOW_PRIVATE_URLS=1" in out.detail


@pytest.mark.parametrize("address", ["2606:4700::1111", "::ffff:0:808:808", "64:ff9b::808:808"])
def test_a_public_address_in_any_of_those_forms_is_let_through(address):
    from bot.ingest.fetch import check_address

    check_address("news.example", address, allow_private=False)  # no Refused: 8.8.8.8 is public
