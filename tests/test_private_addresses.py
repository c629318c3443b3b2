"""The private-address guard of `add URL` (issue 17, point 7): IPv6 forms that carry an
IPv4 address inside them (NAT64, 6to4, IPv4-compatible, IPv4-mapped, Teredo) are judged
by that address, so none of them reaches loopback, link-local or private hosts.

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
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused(host, tmp_path):
    (out,) = add([f"http://[{host}]/latest/meta-data/"], tmp_path / "articles", FetchOptions(timeout_s=2))
    assert out.status == "refused"
    assert "is a private or loopback address" in out.detail and "BOT_ALLOW_PRIVATE_URLS=1" in out.detail
