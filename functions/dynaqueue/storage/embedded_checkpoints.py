"""Folds the write-ahead log back into the database file from a thread of its own.

With `synchronous = NORMAL`, commits only append to the log; the disk is synced when a checkpoint
copies the log into the database file. SQLite runs that checkpoint inside whichever commit crosses
its threshold, so every few dozen requests one of them waited for two disk syncs while holding the
store's write lock. Here checkpoints run on their own connection, between requests: PASSIVE ones
never block the writer, and commits keep exactly the durability they had.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from dynaqueue.storage.embedded_schema import connect

# Often enough that the log stays a few megabytes under full load.
CHECKPOINT_INTERVAL_SECONDS = 0.25
# Should this thread fall behind, the writer still checkpoints by itself once the log holds this
# many pages (80 MB of 4 KB pages), so the log stays bounded whatever happens here.
WRITER_CHECKPOINT_PAGES = 20_000


class WalCheckpointer:
    """A daemon thread that checkpoints the database at `path` every interval until stopped."""

    def __init__(self, path: str | os.PathLike[str], *, interval_seconds: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval_seconds = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="embedded-store-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        db = connect(self._path)
        try:
            while not self._stopped.wait(self._interval_seconds):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.OperationalError:
                    # Busy or locked for a moment: the next interval tries again.
                    continue
        finally:
            db.close()
