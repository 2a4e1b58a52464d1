"""Typed reading of AWS Query parameters, where lists and maps arrive flattened as `Name.N…` parameters."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from dynaqueue.domain.errors import InvalidParameterValue, MissingParameter

_INDEX = re.compile("[1-9][0-9]*")
_INTEGER = re.compile("-?[0-9]+")
# The deepest name SQS defines has six parts (`SendMessageBatchRequestEntry.N.MessageAttribute.M.Value.DataType`);
# splitting no further bounds the tree whatever names a request makes up.
_DEEPEST_SPLIT = 6

# Model list members and the name their entries are flattened under (the query-era model's locationName).
_LIST_ENTRIES: Mapping[str, str] = {
    "AttributeNames": "AttributeName",
    # The Smithy model gives ReceiveMessage's newer list the same flattened name.
    "MessageSystemAttributeNames": "AttributeName",
    "MessageAttributeNames": "MessageAttributeName",
    "TagKeys": "TagKey",
    "AWSAccountIds": "AWSAccountId",
    "Actions": "ActionName",
}


@dataclass(frozen=True, slots=True)
class _FlattenedMap:
    """A map sent as `<entry>.N.<key>` and `<entry>.N.<value>`, `entry` being any of `entry_names`."""

    entry_names: tuple[str, ...]
    key: str
    value: str


_MAP_ENTRIES: Mapping[str, _FlattenedMap] = {
    "Attributes": _FlattenedMap(("Attribute",), "Name", "Value"),
    # botocore sends both tag maps as `Tag.N`; `Tags.N` is accepted from hand-written clients.
    "tags": _FlattenedMap(("Tag", "Tags"), "Key", "Value"),
    "Tags": _FlattenedMap(("Tag", "Tags"), "Key", "Value"),
    "MessageAttributes": _FlattenedMap(("MessageAttribute",), "Name", "Value"),
    "MessageSystemAttributes": _FlattenedMap(("MessageSystemAttribute",), "Name", "Value"),
}


class _Node:
    """One dotted name part: the value sent for the name ending here, and the parts that follow it."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


_NOTHING = _Node()


class QueryMembers:
    """The members of a Query request, or of one flattened entry; `path` prefixes names in error messages.

    Names are split on dots into a tree once, so each read is a lookup however many parameters a
    request carries. Indexes start at 1, need not be contiguous and are read in numeric order;
    unknown parameters are ignored, blank values are kept.
    """

    def __init__(self, node: _Node, path: str = "") -> None:
        self._node = node
        self._path = path

    @classmethod
    def of(cls, parameters: Mapping[str, str]) -> QueryMembers:
        root = _Node()
        for name, value in parameters.items():
            node = root
            for part in name.split(".", _DEEPEST_SPLIT):
                child = node.children.get(part)
                if child is None:
                    child = node.children[part] = _Node()
                node = child
            node.value = value
        return cls(root)

    def required_string(self, name: str) -> str:
        value = self.optional_string(name)
        if value is None:
            raise self._missing(name)
        return value

    def optional_string(self, name: str) -> str | None:
        child = self._node.children.get(name)
        return None if child is None else child.value

    def required_integer(self, name: str) -> int:
        value = self.optional_integer(name)
        if value is None:
            raise self._missing(name)
        return value

    def optional_integer(self, name: str) -> int | None:
        value = self.optional_string(name)
        if value is None:
            return None
        if not _INTEGER.fullmatch(value):
            raise self._invalid(name, "an integer")
        try:
            return int(value)
        # int() refuses more digits than the interpreter's conversion limit.
        except ValueError:
            raise self._invalid(name, "an integer") from None

    def optional_blob(self, name: str) -> bytes | None:
        value = self.optional_string(name)
        if value is None:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):  # ValueError: non-ASCII text
            raise self._invalid(name, "base64-encoded binary data") from None

    def string_list(self, name: str, *, required: bool = False) -> list[str]:
        entry_name = _LIST_ENTRIES[name]
        values = [node.value for _, node in self._indexed(entry_name) if node.value is not None]
        if required and not values:
            raise self._missing(f"{entry_name}.1")
        return values

    def string_map(self, name: str, *, required: bool = False) -> dict[str, str]:
        flattened = _MAP_ENTRIES[name]
        entries = self._map_entries(flattened)
        if required and not entries:
            raise self._missing(f"{flattened.entry_names[0]}.1.{flattened.key}")
        return {entry.required_string(flattened.key): entry.required_string(flattened.value) for entry in entries}

    def object_map(self, name: str) -> dict[str, QueryMembers]:
        flattened = _MAP_ENTRIES[name]
        return {
            entry.required_string(flattened.key): entry._structure(flattened.value)
            for entry in self._map_entries(flattened)
        }

    def object_list(self, name: str, entry_name: str) -> list[QueryMembers]:
        """The entries `<entry_name>.N.…`; botocore sends an empty list as its model name, blank (`Entries=`)."""
        children = self._node.children
        if name not in children and entry_name not in children:
            # SQS reports an absent list by the first field it misses (`SendMessageBatchRequestEntry.1.Id`),
            # and a list sent empty as an empty batch.
            return [QueryMembers(_NOTHING, f"{self._path}{entry_name}.1.")]
        return self._entries(entry_name)

    def _map_entries(self, flattened: _FlattenedMap) -> list[QueryMembers]:
        return [entry for entry_name in flattened.entry_names for entry in self._entries(entry_name)]

    def _entries(self, entry_name: str) -> list[QueryMembers]:
        return [QueryMembers(node, f"{self._path}{entry_name}.{index}.") for index, node in self._indexed(entry_name)]

    def _indexed(self, entry_name: str) -> list[tuple[str, _Node]]:
        """The numbered children of `entry_name`, in numeric order (length first, as no index has leading zeros)."""
        parent = self._node.children.get(entry_name, _NOTHING)
        indexed = [(index, node) for index, node in parent.children.items() if _INDEX.fullmatch(index)]
        return sorted(indexed, key=lambda item: (len(item[0]), item[0]))

    def _structure(self, name: str) -> QueryMembers:
        return QueryMembers(self._node.children.get(name, _NOTHING), f"{self._path}{name}.")

    def _missing(self, name: str) -> MissingParameter:
        return MissingParameter(f"The request must contain the parameter {self._path}{name}.")

    def _invalid(self, name: str, kind: str) -> InvalidParameterValue:
        return InvalidParameterValue(f"Value for parameter {self._path}{name} is invalid. Reason: Must be {kind}.")
