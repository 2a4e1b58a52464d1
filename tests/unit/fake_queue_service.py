"""A stand-in for QueueService that records calls and answers with canned results, for protocol tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dynaqueue.domain.model import (
    BatchResult,
    ReceiptBatchEntry,
    ReceivedMessage,
    ReceiveRequest,
    SendBatchEntry,
    SendRequest,
    SendResult,
)
from dynaqueue.domain.move_tasks import MoveTaskView

ACCOUNT_ID = "123456789012"


class FakeQueueService:
    """Each method records its arguments and returns `results[method]`, raising it if it is an exception."""

    account_id = ACCOUNT_ID
    region = "us-east-1"

    def __init__(self, **results: Any) -> None:
        self.results = results
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def _answer(self, method: str, *args: Any, default: Any = None) -> Any:
        self.calls.append((method, args))
        result = self.results.get(method, default)
        if isinstance(result, BaseException):
            raise result
        return result

    def create_queue(self, name: str, attributes: Mapping[str, str], tags: Mapping[str, str]) -> str:
        return self._answer("create_queue", name, attributes, tags, default=name)

    def get_queue_url(self, name: str, owner_account_id: str | None = None) -> str:
        return self._answer("get_queue_url", name, owner_account_id, default=name)

    def list_queues(
        self, prefix: str | None, max_results: int | None, next_token: str | None
    ) -> tuple[list[str], str | None]:
        return self._answer("list_queues", prefix, max_results, next_token, default=([], None))

    def delete_queue(self, name: str) -> None:
        self._answer("delete_queue", name)

    def get_queue_attributes(self, name: str, attribute_names: Sequence[str]) -> dict[str, str]:
        return self._answer("get_queue_attributes", name, attribute_names, default={})

    def set_queue_attributes(self, name: str, attributes: Mapping[str, str]) -> None:
        self._answer("set_queue_attributes", name, attributes)

    def purge_queue(self, name: str) -> None:
        self._answer("purge_queue", name)

    def tag_queue(self, name: str, tags: Mapping[str, str]) -> None:
        self._answer("tag_queue", name, tags)

    def untag_queue(self, name: str, tag_keys: Sequence[str]) -> None:
        self._answer("untag_queue", name, tag_keys)

    def list_queue_tags(self, name: str) -> dict[str, str]:
        return self._answer("list_queue_tags", name, default={})

    def add_permission(self, name: str, label: str, account_ids: Sequence[str], actions: Sequence[str]) -> None:
        self._answer("add_permission", name, label, account_ids, actions)

    def remove_permission(self, name: str, label: str) -> None:
        self._answer("remove_permission", name, label)

    def list_dead_letter_source_queues(
        self, name: str, max_results: int | None, next_token: str | None
    ) -> tuple[list[str], str | None]:
        return self._answer("list_dead_letter_source_queues", name, max_results, next_token, default=([], None))

    def send_message(self, name: str, request: SendRequest) -> SendResult:
        return self._answer("send_message", name, request, default=SendResult("id-1", "md5-body"))

    def send_message_batch(self, name: str, entries: Sequence[SendBatchEntry]) -> BatchResult[SendResult]:
        return self._answer("send_message_batch", name, entries, default=BatchResult([], []))

    def receive_message(self, name: str, request: ReceiveRequest) -> list[ReceivedMessage]:
        return self._answer("receive_message", name, request, default=[])

    def delete_message(self, name: str, receipt_handle: str) -> None:
        self._answer("delete_message", name, receipt_handle)

    def delete_message_batch(self, name: str, entries: Sequence[ReceiptBatchEntry]) -> BatchResult[None]:
        return self._answer("delete_message_batch", name, entries, default=BatchResult([], []))

    def change_message_visibility(self, name: str, receipt_handle: str, visibility_timeout: int) -> None:
        self._answer("change_message_visibility", name, receipt_handle, visibility_timeout)

    def change_message_visibility_batch(self, name: str, entries: Sequence[ReceiptBatchEntry]) -> BatchResult[None]:
        return self._answer("change_message_visibility_batch", name, entries, default=BatchResult([], []))

    def start_message_move_task(self, source_arn: str, destination_arn: str | None, max_per_second: int | None) -> str:
        return self._answer("start_message_move_task", source_arn, destination_arn, max_per_second, default="handle-1")

    def cancel_message_move_task(self, task_handle: str) -> int:
        return self._answer("cancel_message_move_task", task_handle, default=0)

    def list_message_move_tasks(self, source_arn: str, max_results: int | None) -> list[MoveTaskView]:
        return self._answer("list_message_move_tasks", source_arn, max_results, default=[])
