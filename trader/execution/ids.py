"""Order identifiers (X-1, X-5).

Every installation has a random namespace, created once and kept in the `meta` table.
A `client_order_id` is `uuid5(namespace, intent_id)` with its first group replaced by the
installation's tag (the namespace's first 8 hex digits): UUID-shaped, deterministic for an
intent (every resend carries the same id), and recognizable as ours after any restart, so
own orders can be adopted and foreign ones left alone.
"""

from __future__ import annotations

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

    def client_order_id(self, intent_id: str) -> str:
        derived = str(uuid.uuid5(self.namespace, intent_id))
        return f"{self.tag}{derived[8:]}"

    def is_own(self, client_order_id: str) -> bool:
        return client_order_id.startswith(self.tag + "-") and len(client_order_id) == 36
