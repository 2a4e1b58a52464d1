"""Typed reading of the members of a JSON request object.

A missing required member is MissingParameter, a member of the wrong JSON type is
InvalidParameterValue. Null, an empty list and an empty map count as absent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from dynaqueue.domain.errors import InvalidParameterValue, MissingParameter


class Members:
    """The members of one JSON object; `path` names the object in error messages."""

    def __init__(self, values: Mapping[str, Any], path: str = "") -> None:
        self._values = values
        self._path = path

    def required_string(self, name: str) -> str:
        value = self.optional_string(name)
        if value is None:
            raise self._missing(name)
        return value

    def optional_string(self, name: str) -> str | None:
        value = self._present(name)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong_type(name, "a string")

    def required_integer(self, name: str) -> int:
        value = self.optional_integer(name)
        if value is None:
            raise self._missing(name)
        return value

    def optional_integer(self, name: str) -> int | None:
        value = self._present(name)
        # bool is an int in Python but not in JSON.
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise self._wrong_type(name, "an integer")

    def optional_blob(self, name: str) -> bytes | None:
        value = self.optional_string(name)
        if value is None:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):  # ValueError: non-ASCII text
            raise self._wrong_type(name, "base64-encoded binary data") from None

    def string_list(self, name: str, *, required: bool = False) -> list[str]:
        values = self._list(name, required=required)
        if not all(isinstance(value, str) for value in values):
            raise self._wrong_type(name, "a list of strings")
        return values

    def string_map(self, name: str, *, required: bool = False) -> dict[str, str]:
        values = self._map(name, required=required)
        if not all(isinstance(value, str) for value in values.values()):
            raise self._wrong_type(name, "a map of strings to strings")
        return values

    def object_map(self, name: str) -> dict[str, Members]:
        """A map of structures, each readable as Members named `<name>.<key>`."""
        values = self._map(name, required=False)
        if not all(isinstance(value, dict) for value in values.values()):
            raise self._wrong_type(name, "a map of structures")
        return {key: Members(value, self._name(f"{name}.{key}")) for key, value in values.items()}

    def object_list(self, name: str, entry_name: str) -> list[Members]:
        """A list of structures; entry n is named `<entry_name>.<n>` as in SQS's own messages."""
        values = self._list(name, required=False)
        if not all(isinstance(value, dict) for value in values):
            raise self._wrong_type(name, "a list of structures")
        return [Members(value, self._name(f"{entry_name}.{index}")) for index, value in enumerate(values, 1)]

    def _list(self, name: str, *, required: bool) -> list[Any]:
        value = self._present(name)
        if value is None:
            if required:
                raise self._missing(name)
            return []
        if not isinstance(value, list):
            raise self._wrong_type(name, "a list")
        return value

    def _map(self, name: str, *, required: bool) -> dict[str, Any]:
        value = self._present(name)
        if value is None:
            if required:
                raise self._missing(name)
            return {}
        if not isinstance(value, dict):
            raise self._wrong_type(name, "a map")
        return value

    def _present(self, name: str) -> Any:
        value = self._values.get(name)
        return None if value in ([], {}) else value

    def _name(self, name: str) -> str:
        return f"{self._path}.{name}" if self._path else name

    def _missing(self, name: str) -> MissingParameter:
        return MissingParameter(f"The request must contain the parameter {self._name(name)}.")

    def _wrong_type(self, name: str, kind: str) -> InvalidParameterValue:
        return InvalidParameterValue(f"Value for parameter {self._name(name)} is invalid. Reason: Must be {kind}.")
