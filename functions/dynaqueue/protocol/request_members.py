"""What every wire protocol hands the actions: request members read by their service-model names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class RequestMembers(Protocol):
    """Typed members of one request or nested structure, named as in the service model.

    Each protocol maps the model names to its own wire names (`Attributes` is `Attribute.N.Name`
    in Query). A missing required member is MissingParameter, a malformed one InvalidParameterValue;
    error messages name the parameter as the client sent it.
    """

    def required_string(self, name: str) -> str: ...

    def optional_string(self, name: str) -> str | None: ...

    def required_integer(self, name: str) -> int: ...

    def optional_integer(self, name: str) -> int | None: ...

    def optional_blob(self, name: str) -> bytes | None: ...

    def string_list(self, name: str, *, required: bool = False) -> list[str]: ...

    def string_map(self, name: str, *, required: bool = False) -> dict[str, str]: ...

    def object_map(self, name: str) -> Mapping[str, RequestMembers]: ...

    def object_list(self, name: str, entry_name: str) -> Sequence[RequestMembers]: ...
