"""Neutral HTTP request and response records passed between the handler and the wire protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field


class Headers(Mapping[str, str]):
    """HTTP headers looked up case-insensitively; repeated headers are joined with commas."""

    def __init__(self, pairs: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        self._values: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            self._values[key] = f"{self._values[key]},{value}" if key in self._values else value

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({self._values!r})"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request as a wire protocol sees it.

    `base_url` is the scheme and host the client reached, so queue URLs handed back route to
    whichever server answered; `request_id` is echoed in `x-amzn-RequestId`; `query_string` is
    the raw, still percent-encoded part of the URL after `?`; `source_ip` is the client's address.
    """

    method: str
    path: str
    headers: Headers
    body: bytes
    base_url: str
    request_id: str
    query_string: str = ""
    source_ip: str = ""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """One HTTP response, ready to be sent."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A handled request: the response plus what the edge logs and counts about it.

    `error` is the exception behind an error response; `message_count` is how many messages
    the action sent, received or settled, when it deals in messages.
    """

    response: HttpResponse
    action: str | None = None
    queue_name: str | None = None
    error_code: str | None = None
    error: BaseException | None = None
    message_count: int | None = None
