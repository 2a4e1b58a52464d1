"""Request headers read straight off the connection.

The standard library's HTTP server parses headers with its e-mail parser, which costs more CPU
than everything else the local server does for a small request. HTTP/1.1 header fields need far
less: `name: value` lines up to an empty line, with the same limits the standard library applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

# The standard library's own limits (http.client._MAXLINE and _MAXHEADERS).
MAX_LINE_BYTES = 65536
MAX_HEADERS = 100
_TOKEN_CHARACTERS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class HeaderError(Exception):
    """The header block cannot be read; `status` is what to answer (400 or 431)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RequestHeaders:
    """Header fields in arrival order; `get` finds the first of a name, whatever its case."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields
        self._first: dict[str, str] = {}
        for name, value in fields:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._first.get(name.lower(), default)

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def read_headers(stream: BinaryIO) -> RequestHeaders:
    """The fields up to the empty line that ends them; raises HeaderError for what HTTP/1.1 does not allow."""
    fields: list[tuple[str, str]] = []
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise HeaderError(431, "Line too long")
        if line in (b"\r\n", b"\n", b""):
            return RequestHeaders(fields)
        if len(fields) == MAX_HEADERS:
            raise HeaderError(431, "Too many headers")
        fields.append(_field(line.decode("iso-8859-1")))


def _field(line: str) -> tuple[str, str]:
    # RFC 9112 5.2: a server must reject obsolete line folding (or unfold it); rejecting is simpler and safe.
    if line[:1] in (" ", "\t"):
        raise HeaderError(400, "Obsolete line folding in a header")
    name, colon, value = line.partition(":")
    # RFC 9112 5.1: no whitespace between the field name and the colon.
    if not colon or not name or not _TOKEN_CHARACTERS.issuperset(name):
        raise HeaderError(400, f"Malformed header line {line.rstrip()[:80]!r}")
    return name, value.strip(" \t\r\n")
