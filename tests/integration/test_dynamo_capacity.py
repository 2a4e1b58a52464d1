"""The request-unit accountant applies DynamoDB's billing rules to the calls a client makes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynaqueue.storage.capacity import CapacityMeter, UnmeteredOperation, item_size

TABLE = "dynaqueue-capacity"


def _item(key: str, size: int, **extra: dict[str, Any]) -> dict[str, Any]:
    """An item of exactly `size` bytes (names included) plus `extra` attributes."""
    base = {"pk": {"S": key}, "sk": {"S": "m"}}
    padding = size - item_size(base) - 1
    return {**base, "p": {"S": "x" * padding}, **extra}


def _indexed(va: int) -> dict[str, dict[str, str]]:
    return {"g1p": {"S": "q#0#0"}, "va": {"N": str(va)}}


def test_item_size_follows_the_documented_rules() -> None:
    assert item_size({"name": {"S": "ü"}}) == 4 + 2
    assert item_size({"n": {"N": "1767225600000"}}) == 1 + 5  # 8 significant digits: 4 bytes + 1
    assert item_size({"n": {"N": "-0.0012"}}) == 1 + 2
    assert item_size({"b": {"B": b"\x00\x01\x02"}}) == 1 + 3
    assert item_size({"f": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"m": {"M": {"ab": {"S": "c"}}}}) == 1 + 3 + 1 + 2 + 1
    assert item_size({"l": {"L": [{"S": "a"}, {"N": "1"}]}}) == 1 + 3 + (1 + 1) + (1 + 2)
    assert item_size({"s": {"SS": ["a", "bc"]}}) == 1 + 3


def test_put_rounds_the_item_up_to_whole_kilobytes(client: Any) -> None:
    with CapacityMeter(client) as meter:
        client.put_item(TableName=TABLE, Item=_item("a", 1024))
        client.put_item(TableName=TABLE, Item=_item("b", 1025))
        client.put_item(TableName=TABLE, Item=_item("a", 100))  # replaces the 1 KB item: the larger one counts

    assert [call.table_write_units for call in meter.calls] == [1, 2, 1]
    assert meter.write_units == 4


def test_index_writes_follow_the_gsi_rules(client: Any) -> None:
    key = {"pk": {"S": "a"}, "sk": {"S": "m"}}
    with CapacityMeter(client) as meter:
        client.put_item(TableName=TABLE, Item=_item("a", 200))  # not indexed
        client.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET g1p = :p, va = :v",
            ExpressionAttributeValues={":p": {"S": "q#0#0"}, ":v": {"N": "1"}},
        )  # insert
        client.update_item(
            TableName=TABLE, Key=key, UpdateExpression="SET va = :v", ExpressionAttributeValues={":v": {"N": "2"}}
        )  # key change
        client.update_item(
            TableName=TABLE, Key=key, UpdateExpression="SET rc = :c", ExpressionAttributeValues={":c": {"N": "1"}}
        )  # projected attribute only
        client.update_item(
            TableName=TABLE, Key=key, UpdateExpression="SET p = :p", ExpressionAttributeValues={":p": {"S": "y"}}
        )  # not projected
        client.update_item(TableName=TABLE, Key=key, UpdateExpression="REMOVE g1p")  # delete entry
        client.delete_item(TableName=TABLE, Key=key)

    assert [call.index_write_units for call in meter.calls] == [0, 1, 2, 1, 0, 1, 0]


def test_failed_condition_costs_the_existing_item_or_one_unit(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=_item("big", 3000, **_indexed(5)))
    with CapacityMeter(client) as meter:
        for key in ("big", "missing"):
            with pytest.raises(ClientError):
                client.update_item(
                    TableName=TABLE,
                    Key={"pk": {"S": key}, "sk": {"S": "m"}},
                    UpdateExpression="SET va = :v",
                    ConditionExpression="va < :v",
                    ExpressionAttributeValues={":v": {"N": "1"}},
                )

    assert [(call.table_write_units, call.index_write_units) for call in meter.calls] == [(3, 0), (1, 0)]
    assert {call.error_code for call in meter.calls} == {"ConditionalCheckFailedException"}


def test_batch_write_rounds_each_item_and_transactions_cost_twice(client: Any) -> None:
    with CapacityMeter(client) as meter:
        client.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": _item(key, 500)}} for key in ("a", "b")]})
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _item("c", 500)}},
                {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "m"}}}},
            ]
        )

    assert [call.write_units for call in meter.calls] == [2, 4]


def test_reads_round_up_to_4_kb_and_eventually_consistent_reads_cost_half(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=_item("a", 5000))
    key = {"pk": {"S": "a"}, "sk": {"S": "m"}}
    with CapacityMeter(client) as meter:
        client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
        client.get_item(TableName=TABLE, Key=key)
        client.get_item(TableName=TABLE, Key={"pk": {"S": "missing"}, "sk": {"S": "m"}})

    assert [call.read_units for call in meter.calls] == [2.0, 1.0, 0.5]


def test_query_pays_for_what_it_evaluates_not_what_it_returns(client: Any) -> None:
    for sort_key in ("1", "2", "3"):
        client.put_item(TableName=TABLE, Item={**_item("q", 2000), "sk": {"S": sort_key}})
    with CapacityMeter(client) as meter:
        response = client.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            FilterExpression="attribute_exists(nothing)",
            ExpressionAttributeValues={":p": {"S": "q"}},
            ConsistentRead=True,
        )
        client.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}})

    assert response["Items"] == []
    assert [call.read_units for call in meter.calls] == [2.0, 0.5]


def test_index_query_pays_for_projected_entries_only(client: Any) -> None:
    for index in range(3):
        client.put_item(TableName=TABLE, Item=_item(f"m{index}", 3000, **_indexed(index)))
    with CapacityMeter(client) as meter:
        client.query(
            TableName=TABLE,
            IndexName="GSI1",
            KeyConditionExpression="g1p = :p AND va <= :v",
            ExpressionAttributeValues={":p": {"S": "q#0#0"}, ":v": {"N": "10"}},
        )

    assert meter.read_units == 0.5


def test_operations_without_a_billing_rule_are_refused(client: Any) -> None:
    with CapacityMeter(client), pytest.raises(UnmeteredOperation):
        client.scan(TableName=TABLE)


def test_calls_before_the_meter_was_entered_or_after_it_left_are_not_recorded(client: Any) -> None:
    meter = CapacityMeter(client)
    client.put_item(TableName=TABLE, Item=_item("a", 10))
    with meter:
        client.put_item(TableName=TABLE, Item=_item("b", 10))
    client.put_item(TableName=TABLE, Item=_item("c", 10))

    assert meter.operations == ["PutItem"]
