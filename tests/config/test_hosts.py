"""OPS-5: where a client on this machine reaches the listener `metrics.host` names, as a
URL writes it (IPv6 in brackets, a wildcard bind on the loopback of its family)."""

from __future__ import annotations

import pytest

from trader.config.hosts import reach_host, url_host


@pytest.mark.parametrize(
    ("host", "written", "reached"),
    [
        ("127.0.0.1", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.2", "127.0.0.2", "127.0.0.2"),
        ("localhost", "localhost", "localhost"),
        ("trader.internal", "trader.internal", "trader.internal"),
        ("10.1.2.3", "10.1.2.3", "10.1.2.3"),
        ("0.0.0.0", "0.0.0.0", "127.0.0.1"),
        ("::1", "[::1]", "[::1]"),
        ("0:0:0:0:0:0:0:1", "[::1]", "[::1]"),
        ("::", "[::]", "[::1]"),
        ("0::0", "[::]", "[::1]"),
        ("fd00::7", "[fd00::7]", "[fd00::7]"),
        ("::ffff:127.0.0.1", "[::ffff:7f00:1]", "[::ffff:7f00:1]"),
    ],
)
def test_ops5_a_listening_address_as_a_url_writes_it_and_where_it_is_reached(
    host, written, reached
):
    assert (url_host(host), reach_host(host)) == (written, reached)
