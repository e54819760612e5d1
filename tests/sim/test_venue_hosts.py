"""SIM-1: a client reaches `trader sim --tls` by any of the names it answers on — loopback
names, the bind address, for a wildcard bind the machine's name — and signs REST `uri`
claims with the name it used (as the SDK signs `{base_url}{path}`): TLS verifies against the
venue's CA and the token is accepted. A token naming another host or port is still 401, and
the announced URLs are ones a client can use (wildcard → loopback, IPv6 in brackets)."""

from __future__ import annotations

import socket
import ssl

import aiohttp
import pytest
from cryptography import x509

from tests.sim.test_server_support import PREFIX, make_jwt, open_venue
from trader.sim.server.tls import certificate_names, generate_self_signed
from trader.sim.venue import SimVenue, VenueBindError

# bind address → (the announced host, the names a client reaches it by)
BINDS = {
    "127.0.0.1": ("127.0.0.1", ["127.0.0.1", "localhost"]),
    "localhost": ("localhost", ["localhost", "127.0.0.1"]),
    "0.0.0.0": ("127.0.0.1", ["127.0.0.1", "localhost"]),
    "::1": ("[::1]", ["[::1]"]),
}


async def _accounts(venue: SimVenue, name: str, signed_host: str) -> int:
    path = f"{PREFIX}/accounts"
    credentials = venue.credentials
    token = make_jwt(credentials.name, credentials.private_key, uri=f"GET {signed_host}{path}")
    assert venue.tls_cert is not None
    context: ssl.SSLContext = venue.tls_cert.client_context()
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"https://{name}:{venue.port}{path}",
            ssl=context,
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response,
    ):
        return response.status


@pytest.mark.parametrize("bind", list(BINDS))
async def test_sim1_rest_signed_with_the_name_used_is_accepted_over_verified_tls(bind):
    announced, names = BINDS[bind]
    try:
        async with open_venue(host=bind, tls=True, driver=False) as venue:
            assert venue.rest_url == f"https://{announced}:{venue.port}{PREFIX}"
            assert venue.ws_url == f"wss://{announced}:{venue.port}"
            for name in names:
                assert await _accounts(venue, name, f"{name}:{venue.port}") == 200, name
                for other in ("api.coinbase.com", f"{name}:{venue.port + 1}"):
                    assert await _accounts(venue, name, other) == 401, (name, other)
    except VenueBindError as exc:
        if bind != "::1" or socket.has_ipv6:
            raise
        pytest.skip(f"this machine has no IPv6 loopback: {exc}")


def test_sim1_certificate_names_loopback_and_the_bind_address():
    def names(bind: str) -> set[str]:
        pem = generate_self_signed(certificate_names(bind)).cert_pem
        san = x509.load_pem_x509_certificate(pem).extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        )
        return {str(n.value) for n in san.value}

    loopback = {"localhost", "127.0.0.1", "::1"}
    assert names("127.0.0.1") == loopback
    assert names("10.1.2.3") == loopback | {"10.1.2.3"}
    assert names("sim.example") == loopback | {"sim.example"}
    for wildcard in ("0.0.0.0", "::"):
        assert names(wildcard) == loopback | {socket.gethostname()}
