"""Order identifiers (X-1, X-5).

Every installation has a random namespace, created once and kept in the `meta` table.
A `client_order_id` is `uuid5(namespace, intent_id)` with its first group replaced by the
installation's tag (the namespace's first 8 hex digits): UUID-shaped, deterministic for an
intent (every resend carries the same id), and recognizable as ours after any restart, so
own orders can be adopted and foreign ones left alone.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid

from trader.state.identity import NAMESPACE_KEY
from trader.state.meta import insert_absent, read_value


def installation_namespace(conn: sqlite3.Connection) -> uuid.UUID:
    """The namespace of this installation, created on first use."""
    stored = read_value(conn, NAMESPACE_KEY)
    if stored is None:
        stored = insert_absent(conn, NAMESPACE_KEY, str(uuid.uuid4()))
    return uuid.UUID(stored)


class OrderIds:
    def __init__(self, namespace: uuid.UUID) -> None:
        self.namespace = namespace
        self.tag = namespace.hex[:8]
        self._namespace_bytes = namespace.bytes

    def client_order_id(self, intent_id: str) -> str:
        """`uuid5(namespace, intent_id)` (RFC 4122: SHA-1 of the namespace's bytes and the
        name's UTF-8, the version and variant bits set), its first group the tag; built
        from the digest's bytes, without the `UUID` object's integer round trip."""
        digest = bytearray(hashlib.sha1(self._namespace_bytes + intent_id.encode()).digest())
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
        digest[8] = (digest[8] & 0x3F) | 0x80  # variant RFC 4122
        hexed = digest[:16].hex()
        return f"{self.tag}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:32]}"

    def is_own(self, client_order_id: str) -> bool:
        return client_order_id.startswith(self.tag + "-") and len(client_order_id) == 36
