"""API credentials in Coinbase's downloadable key-file format (SIM-1, CFG-2).

`cdp_api_key.json` = `{"name": "organizations/{uuid}/apiKeys/{uuid}", "privateKey": "<SEC1 PEM>"}`,
an EC P-256 key as Coinbase issues it; the matching public key is registered with the venue.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_FILE_NAME = "cdp_api_key.json"


@dataclass(frozen=True, slots=True)
class ApiCredentials:
    """A key name and its private key (the venue only keeps the public half)."""

    name: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def private_pem(self) -> str:
        """SEC1 ("EC PRIVATE KEY") PEM, as in Coinbase key files."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()


def new_key_name() -> str:
    """`organizations/{uuid}/apiKeys/{uuid}` like a CDP key name."""
    return f"organizations/{uuid.uuid4()}/apiKeys/{uuid.uuid4()}"


def generate_credentials() -> ApiCredentials:
    """A fresh EC P-256 key with a fresh CDP-style name."""
    return ApiCredentials(name=new_key_name(), private_key=ec.generate_private_key(ec.SECP256R1()))


def write_key_file(directory: Path, creds: ApiCredentials) -> Path:
    """Write `DIR/cdp_api_key.json` readable by the owner only (0600); returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / KEY_FILE_NAME
    body = json.dumps({"name": creds.name, "privateKey": creds.private_pem}, indent=2) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    os.chmod(path, 0o600)
    return path
