"""Request units DynamoDB would bill for each call of a client, computed from item sizes by its rules."""

from __future__ import annotations

import copy
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from dynaqueue.storage.tables import TABLE_SCHEMA, IndexSchema, TableSchema

_WRITE_UNIT_BYTES = 1024
_READ_UNIT_BYTES = 4096
_CONTROL_PLANE = frozenset(
    {
        "CreateTable",
        "DeleteTable",
        "DescribeTable",
        "ListTables",
        "UpdateTable",
        "UpdateTimeToLive",
        "DescribeTimeToLive",
    }
)
_PLACEHOLDER = re.compile(r"[:#][A-Za-z0-9_]+")

Item = Mapping[str, Mapping[str, Any]]


class UnmeteredOperation(Exception):
    """Raised when a metered client calls a data operation the meter has no billing rule for."""


@dataclass(frozen=True, slots=True)
class CallCost:
    """What one DynamoDB call would have been billed."""

    operation: str
    read_units: float = 0.0
    table_write_units: int = 0
    index_write_units: int = 0
    error_code: str = ""

    @property
    def write_units(self) -> int:
        return self.table_write_units + self.index_write_units


class CapacityMeter:
    """Records a CallCost per call the client makes while the meter is entered.

    moto reports constant ConsumedCapacity figures, so cost is computed instead: the meter hooks the
    client's botocore events, reads each written item before and after the call (metering paused),
    and applies DynamoDB's documented rules:

    * item size = UTF-8 attribute names + values (string: UTF-8 bytes; number: 1 byte per 2
      significant digits + 1; binary: raw bytes; bool/null: 1; list/map: 3 + 1 per element + elements);
    * writes: max(size before, size after) rounded up to 1 KB, at least 1 unit; a failed condition
      costs the existing item's size (at least 1); transactions cost twice; BatchWriteItem rounds
      each item;
    * index writes per GSI: inserting or deleting an entry = 1 write, a key change = 2, a change of
      projected attributes only = 1, each rounded up to 1 KB of the projected entry; none when the
      condition failed;
    * reads: GetItem rounds the item up to 4 KB; Query sums the items (or index entries) it evaluated
      before any filter, then rounds up to 4 KB; eventually consistent reads cost half; at least one
      unit.

    Cancelled transactions are charged like failed conditional writes of every item, twice (an
    assumption: DynamoDB does not document it). Calls failing otherwise (throttling, validation) are
    recorded at zero.
    """

    def __init__(self, client: Any, schema: TableSchema = TABLE_SCHEMA) -> None:
        self._client = client
        self._schema = schema
        self._paused = threading.local()
        self._context_key = f"capacity-meter-{id(self)}"
        self.calls: list[CallCost] = []

    def __enter__(self) -> CapacityMeter:
        self._client.meta.events.register("before-parameter-build.dynamodb", self._before_call)
        self._client.meta.events.register("after-call.dynamodb", self._after_call)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._client.meta.events.unregister("before-parameter-build.dynamodb", self._before_call)
        self._client.meta.events.unregister("after-call.dynamodb", self._after_call)

    @property
    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    @property
    def read_units(self) -> float:
        return sum(call.read_units for call in self.calls)

    @property
    def write_units(self) -> int:
        return sum(call.write_units for call in self.calls)

    # --- event handlers ---------------------------------------------------------------------

    def _before_call(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if getattr(self._paused, "on", False):
            return
        operation = model.name
        if operation in _CONTROL_PLANE:
            return
        params = copy.deepcopy(params)
        if operation == "GetItem":
            plan: Any = self._get_item_read_units(params)
        elif operation == "Query":
            plan = self._query_read_units(params)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"):
            writes = _writes(operation, params, self._schema)
            plan = [(write, self._read_item(write.table, write.key)) for write in writes]
        else:
            raise UnmeteredOperation(f"no billing rule for {operation}")
        context[self._context_key] = plan

    def _after_call(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if getattr(self._paused, "on", False) or self._context_key not in context:
            return
        plan = context.pop(self._context_key)
        operation = model.name
        error_code = parsed.get("Error", {}).get("Code", "")
        if operation in ("GetItem", "Query"):
            cost = CallCost(operation, read_units=0.0 if error_code else plan, error_code=error_code)
        elif error_code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            factor = 2 if operation == "TransactWriteItems" else 1
            units = sum(factor * max(1, _write_units(before)) for _, before in plan)
            cost = CallCost(operation, table_write_units=units, error_code=error_code)
        elif error_code:
            cost = CallCost(operation, error_code=error_code)
        else:
            cost = self._successful_write_cost(operation, plan)
        self.calls.append(cost)

    # --- pricing ----------------------------------------------------------------------------

    def _successful_write_cost(self, operation: str, plan: list[tuple[_Write, Item | None]]) -> CallCost:
        factor = 2 if operation == "TransactWriteItems" else 1
        table_units = index_units = 0
        for write, before in plan:
            if write.kind == "ConditionCheck":
                table_units += factor * max(1, _write_units(before))
                continue
            after = write.item if write.kind == "Put" else self._after_image(write)
            table_units += factor * max(1, _write_units(before), _write_units(after))
            index_units += sum(_index_write_units(index, self._schema, before, after) for index in self._schema.indexes)
        return CallCost(operation, table_write_units=table_units, index_write_units=index_units)

    def _after_image(self, write: _Write) -> Item | None:
        return None if write.kind == "Delete" else self._read_item(write.table, write.key)

    def _get_item_read_units(self, params: dict[str, Any]) -> float:
        item = self._read_item(params["TableName"], params["Key"])
        size = item_size(item) if item is not None else 0
        return _read_units(size, consistent=bool(params.get("ConsistentRead")))

    def _query_read_units(self, params: dict[str, Any]) -> float:
        # The same page without filter, projection or COUNT: exactly the items the query evaluates.
        key_condition = params["KeyConditionExpression"]
        used = set(_PLACEHOLDER.findall(key_condition))
        evaluate: dict[str, Any] = {
            "TableName": params["TableName"],
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": {
                name: value for name, value in params.get("ExpressionAttributeValues", {}).items() if name in used
            },
        }
        names = {name: value for name, value in params.get("ExpressionAttributeNames", {}).items() if name in used}
        if names:
            evaluate["ExpressionAttributeNames"] = names
        for optional in ("IndexName", "Limit", "ExclusiveStartKey", "ScanIndexForward", "ConsistentRead"):
            if optional in params:
                evaluate[optional] = params[optional]
        items = self._paused_call(self._client.query, **evaluate)["Items"]
        index = next((index for index in self._schema.indexes if index.name == params.get("IndexName")), None)
        if index is not None:
            items = [_index_entry(index, self._schema, item) for item in items]
        return _read_units(sum(item_size(item) for item in items), consistent=bool(params.get("ConsistentRead")))

    def _read_item(self, table_name: str, key: Item) -> Item | None:
        response = self._paused_call(self._client.get_item, TableName=table_name, Key=key, ConsistentRead=True)
        return response.get("Item")

    def _paused_call(self, method: Any, **params: Any) -> dict[str, Any]:
        self._paused.on = True
        try:
            return dict(method(**params))
        finally:
            self._paused.on = False


@dataclass(frozen=True, slots=True)
class _Write:
    """One item a write call touches: Put, Update, Delete or ConditionCheck."""

    kind: str
    table: str
    key: Item
    item: Item | None = None


def _writes(operation: str, params: dict[str, Any], schema: TableSchema) -> list[_Write]:
    if operation == "PutItem":
        return [_Write("Put", params["TableName"], _key_of(params["Item"], schema), params["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [_Write(operation.removesuffix("Item"), params["TableName"], params["Key"])]
    if operation == "BatchWriteItem":
        writes = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    writes.append(_Write("Put", table, _key_of(item, schema), item))
                else:
                    writes.append(_Write("Delete", table, request["DeleteRequest"]["Key"]))
        return writes
    writes = []
    for action in params["TransactItems"]:
        ((kind, detail),) = action.items()
        if kind == "Put":
            writes.append(_Write("Put", detail["TableName"], _key_of(detail["Item"], schema), detail["Item"]))
        else:
            writes.append(_Write(kind, detail["TableName"], detail["Key"]))
    return writes


def _key_of(item: Item, schema: TableSchema) -> Item:
    return {name: item[name] for name in (schema.hash_key, schema.range_key)}


def _index_entry(index: IndexSchema, schema: TableSchema, item: Item) -> dict[str, Mapping[str, Any]]:
    if index.projection_type == "ALL":
        return dict(item)
    names = {schema.hash_key, schema.range_key, index.hash_key, index.range_key}
    if index.projection_type == "INCLUDE":
        names.update(index.non_key_attributes)
    return {name: value for name, value in item.items() if name in names}


def _index_write_units(index: IndexSchema, schema: TableSchema, before: Item | None, after: Item | None) -> int:
    def indexed(item: Item | None) -> bool:
        return item is not None and index.hash_key in item and index.range_key in item

    old = _index_entry(index, schema, before) if before is not None and indexed(before) else None
    new = _index_entry(index, schema, after) if after is not None and indexed(after) else None
    if old is None and new is None:
        return 0
    if old is None or new is None:
        return max(1, _write_units(old or new))
    keys = (index.hash_key, index.range_key)
    if any(old[key] != new[key] for key in keys):
        return max(1, _write_units(old)) + max(1, _write_units(new))
    return max(1, _write_units(new)) if old != new else 0


def _write_units(item: Item | None) -> int:
    return 0 if item is None else math.ceil(item_size(item) / _WRITE_UNIT_BYTES)


def _read_units(size: int, *, consistent: bool) -> float:
    units = max(1, math.ceil(size / _READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def item_size(item: Item) -> int:
    """Bytes DynamoDB counts for an item in the low-level client's attribute-value format."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return _number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(element.encode()) for element in content)
    if kind == "NS":
        return sum(_number_size(element) for element in content)
    if kind == "BS":
        return sum(len(element) for element in content)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(element) for name, element in content.items())
    raise ValueError(f"unknown DynamoDB attribute type {kind}")


def _number_size(number: str) -> int:
    mantissa = number.lstrip("-").lower().split("e")[0].replace(".", "")
    significant = mantissa.strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1
