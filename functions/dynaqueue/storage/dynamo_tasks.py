"""Message-move tasks on DynamoDB: a task item per task, and one slot item per source queue while a task is active."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import MoveTask, MoveTaskStatus
from dynaqueue.storage.dynamo_batches import write_batch
from dynaqueue.storage.dynamo_errors import is_cancelled_by_condition, is_condition_failure
from dynaqueue.storage.dynamo_keys import item_key
from dynaqueue.storage.dynamo_retries import cancellation_reasons, is_conflict
from dynaqueue.storage.tables import (
    ACTIVE_TASKS_PARTITION,
    HASH_KEY,
    MOVE_TASK_PREFIX,
    RANGE_KEY,
    REVISION,
    TASK_ID,
    ActiveMoveTaskItem,
    MoveTaskItem,
)

# A finished task stays listable this long (SQS lists recent tasks); then TTL forgets it.
_FINISHED_TASK_SECONDS = 14 * 24 * 60 * 60
_MAX_PAGES = 20


class MoveTasks:
    """Start, read, list and save move tasks.

    The slot item makes "one active task per source queue" a condition: a start writes task and slot in one
    transaction (slot: `attribute_not_exists`), and a save that ends a task deletes the slot in the same
    transaction. So the `M` partition lists exactly the active tasks, and nothing ever scans the table.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def start(self, task: MoveTask) -> bool:
        slot = ActiveMoveTaskItem(pk=ACTIVE_TASKS_PARTITION, sk=task.source_queue_id, task_id=task.task_id)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": slot.serialize(),
                            "ConditionExpression": f"attribute_not_exists({HASH_KEY})",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": _task_item(task),
                            "ConditionExpression": f"attribute_not_exists({HASH_KEY})",
                        }
                    },
                ]
            )
        except ClientError as error:
            # A conflict is another start (or save) of this queue's slot in progress: it holds the slot.
            if is_cancelled_by_condition(error) or is_conflict(error):
                return False
            raise
        return True

    def get(self, source_queue_id: str, task_id: str) -> MoveTask | None:
        item = self._client.get_item(
            TableName=self._table_name, Key=_task_key(source_queue_id, task_id), ConsistentRead=True
        ).get("Item")
        return None if item is None else _task(item)

    def list(self, source_queue_id: str, limit: int) -> list[MoveTask]:
        # Task ids are random, so the partition (a queue's tasks of the last two weeks) is read whole and sorted.
        tasks = [_task(item) for item in self._partition_items(_task_partition(source_queue_id))]
        tasks.sort(key=lambda task: (task.started_at_ms, task.task_id), reverse=True)
        return tasks[:limit]

    def active(self, limit: int) -> list[MoveTask]:
        page = self._client.query(
            TableName=self._table_name,
            KeyConditionExpression=f"{HASH_KEY} = :slots",
            ExpressionAttributeValues={":slots": {"S": ACTIVE_TASKS_PARTITION}},
            ConsistentRead=True,
            Limit=limit,
        )
        tasks = []
        for raw in page["Items"]:
            slot = ActiveMoveTaskItem.from_raw_data(raw)
            task = self.get(slot.sk, slot.task_id)
            if task is not None and task.status.active:
                tasks.append(task)
        return tasks

    def save(self, task: MoveTask) -> bool:
        put = {
            "TableName": self._table_name,
            "Item": _task_item(task),
            "ConditionExpression": f"{REVISION} = :read",
            "ExpressionAttributeValues": {":read": {"N": str(task.revision - 1)}},
        }
        try:
            if task.status.active:
                self._client.put_item(**put)
            else:
                self._finish(task, put)
        except ClientError as error:
            if is_condition_failure(error) or is_cancelled_by_condition(error) or is_conflict(error):
                return False
            raise
        return True

    def _finish(self, task: MoveTask, put: dict[str, Any]) -> None:
        """Save a task that is no longer active, freeing its queue's slot in the same transaction."""
        free_slot = {
            "Delete": {
                "TableName": self._table_name,
                "Key": item_key(ACTIVE_TASKS_PARTITION, task.source_queue_id),
                "ConditionExpression": f"{TASK_ID} = :task",
                "ExpressionAttributeValues": {":task": {"S": task.task_id}},
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[{"Put": put}, free_slot])
        except ClientError as error:
            codes = [reason.get("Code") for reason in cancellation_reasons(error)]
            if codes != ["None", "ConditionalCheckFailed"]:
                raise
            # Only the slot's condition failed: the task had ended before (a late save of progress), so its
            # slot is free or held by a newer task, and the task item alone is saved.
            self._client.put_item(**put)

    def delete_all(self, source_queue_id: str) -> None:
        keys = [
            {HASH_KEY: raw[HASH_KEY], RANGE_KEY: raw[RANGE_KEY]}
            for raw in self._partition_items(_task_partition(source_queue_id), keys_only=True)
        ]
        keys.append(item_key(ACTIVE_TASKS_PARTITION, source_queue_id))
        write_batch(self._client, self._table_name, [{"DeleteRequest": {"Key": key}} for key in keys])

    def _partition_items(self, partition: str, *, keys_only: bool = False) -> list[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": f"{HASH_KEY} = :tasks",
            "ExpressionAttributeValues": {":tasks": {"S": partition}},
            "ConsistentRead": True,
        }
        if keys_only:
            query["ProjectionExpression"] = f"{HASH_KEY}, {RANGE_KEY}"
        items: list[dict[str, Any]] = []
        for _ in range(_MAX_PAGES):
            page = self._client.query(**query)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items


def _task_partition(source_queue_id: str) -> str:
    return f"{MOVE_TASK_PREFIX}{source_queue_id}"


def _task_key(source_queue_id: str, task_id: str) -> dict[str, dict[str, str]]:
    return item_key(_task_partition(source_queue_id), task_id)


def _task_item(task: MoveTask) -> dict[str, Any]:
    finished_at_s = task.progressed_at_ms // 1000 or task.started_at_ms // 1000
    return MoveTaskItem(
        pk=_task_partition(task.source_queue_id),
        sk=task.task_id,
        source_arn=task.source_arn,
        destination_arn=task.destination_arn,
        status=task.status.value,
        started_at_ms=task.started_at_ms,
        messages_to_move=task.messages_to_move,
        messages_moved=task.messages_moved,
        max_per_second=task.max_per_second,
        failure_reason=task.failure_reason,
        progressed_at_ms=task.progressed_at_ms,
        revision=task.revision,
        expires_at=None
        if task.status.active
        else datetime.fromtimestamp(finished_at_s + _FINISHED_TASK_SECONDS, tz=UTC),
    ).serialize()


def _task(raw: dict[str, Any]) -> MoveTask:
    item = MoveTaskItem.from_raw_data(raw)
    return MoveTask(
        task_id=item.sk,
        source_queue_id=item.pk.removeprefix(MOVE_TASK_PREFIX),
        source_arn=item.source_arn,
        status=MoveTaskStatus(item.status),
        started_at_ms=int(item.started_at_ms),
        messages_to_move=int(item.messages_to_move),
        destination_arn=item.destination_arn,
        max_per_second=None if item.max_per_second is None else int(item.max_per_second),
        messages_moved=int(item.messages_moved),
        failure_reason=item.failure_reason,
        progressed_at_ms=int(item.progressed_at_ms),
        revision=int(item.revision),
    )
