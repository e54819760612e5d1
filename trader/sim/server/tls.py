"""Self-signed TLS for `--tls` (SIM-1): https and wss on the venue's own port.

The certificate is its own CA (basicConstraints CA=true) naming `localhost`, `127.0.0.1`,
`::1` and the bind address (for a wildcard bind, 0.0.0.0 or ::, the machine's host name), so
an unmodified client that reaches the venue by one of those names trusts it by pointing its
CA setting at `ca.pem`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_FILE_NAME = "ca.pem"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class SelfSignedCert:
    cert_pem: bytes
    key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        """A server-side context loaded with this certificate and key."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix="sim-tls-") as tmp:
            cert_path, key_path = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
            cert_path.write_bytes(self.cert_pem)
            key_path.touch(mode=0o600)
            key_path.write_bytes(self.key_pem)
            context.load_cert_chain(cert_path, key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only this certificate (for tests and tools)."""
        return ssl.create_default_context(cadata=self.cert_pem.decode())

    def write_ca(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / CA_FILE_NAME
        path.write_bytes(self.cert_pem)
        return path


def certificate_names(bind_host: str) -> list[str]:
    """The names a client may reach a venue bound to `bind_host` by: loopback, and the bind
    address itself (a wildcard bind: the machine's host name)."""
    extra = socket.gethostname() if bind_host in WILDCARD_BINDS else bind_host
    return list(dict.fromkeys([*LOOPBACK_NAMES, extra]))


def _alternative_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def generate_self_signed(names: Iterable[str] = LOOPBACK_NAMES, days: int = 30) -> SelfSignedCert:
    """A fresh P-256 key and a self-signed CA certificate for `names` (host names or IP
    addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trader sim venue")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName([_alternative_name(n) for n in dict.fromkeys(names)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(), critical=True)
        .add_extension(san, critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SelfSignedCert(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def _key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
