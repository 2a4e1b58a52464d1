"""Access keys of a local server: a small SQLite file next to the queues, secrets sealed with AES-GCM.

The sealing key lives in its own owner-only file in the data directory; the key id is bound
into each sealed secret, so a secret copied onto another key's row does not open.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dynaqueue.domain.access_keys import AccessKey, Principal

NONCE_BYTES = 12
SEALING_KEY_BYTES = 32
_SCHEMA = """
CREATE TABLE IF NOT EXISTS access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_name TEXT,
    sealed_secret BLOB NOT NULL,
    enabled INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
)
"""


class AccessKeyUnreadable(RuntimeError):
    """Raised when a stored secret does not open: the sealing key file was replaced or the row altered."""


_COLUMNS = "access_key_id, account_id, user_name, sealed_secret, enabled, created_at_ms"


class EmbeddedAccessKeys:
    """The AccessKeyStore of `dynaqueue serve` and `dynaqueue keys` on the embedded store."""

    def __init__(self, path: Path, sealing_key: bytes) -> None:
        if len(sealing_key) != SEALING_KEY_BYTES:
            raise ValueError(f"the sealing key must be {SEALING_KEY_BYTES} bytes")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._cipher = AESGCM(sealing_key)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        os.chmod(path, 0o600)
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(_SCHEMA)

    def add(self, key: AccessKey) -> None:
        with self._lock:
            self._connection.execute(
                f"INSERT INTO access_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key.access_key_id,
                    key.principal.account_id,
                    key.principal.user_name,
                    self._seal(key.access_key_id, key.secret_access_key),
                    int(key.enabled),
                    key.created_at_ms,
                ),
            )

    def get(self, access_key_id: str) -> AccessKey | None:
        with self._lock:
            row = self._connection.execute(
                f"SELECT {_COLUMNS} FROM access_keys WHERE access_key_id = ?", (access_key_id,)
            ).fetchone()
        return self._key(row) if row else None

    def list(self) -> list[AccessKey]:
        with self._lock:
            rows = self._connection.execute(f"SELECT {_COLUMNS} FROM access_keys ORDER BY access_key_id").fetchall()
        return [self._key(row, with_secret=False) for row in rows]

    def set_enabled(self, access_key_id: str, enabled: bool) -> bool:
        with self._lock:
            cursor = self._connection.execute(
                "UPDATE access_keys SET enabled = ? WHERE access_key_id = ?", (int(enabled), access_key_id)
            )
        return cursor.rowcount == 1

    def delete(self, access_key_id: str) -> bool:
        with self._lock:
            cursor = self._connection.execute("DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,))
        return cursor.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _key(self, row: tuple[str, str, str | None, bytes, int, int], *, with_secret: bool = True) -> AccessKey:
        access_key_id, account_id, user_name, sealed, enabled, created_at_ms = row
        return AccessKey(
            access_key_id=access_key_id,
            secret_access_key=self._open(access_key_id, sealed) if with_secret else "",
            principal=Principal(account_id, user_name),
            enabled=bool(enabled),
            created_at_ms=created_at_ms,
        )

    def _seal(self, access_key_id: str, secret: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._cipher.encrypt(nonce, secret.encode(), access_key_id.encode())

    def _open(self, access_key_id: str, sealed: bytes) -> str:
        try:
            return self._cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], access_key_id.encode()).decode()
        except InvalidTag:
            raise AccessKeyUnreadable(
                f"the secret of access key {access_key_id} does not open with this sealing key"
            ) from None
