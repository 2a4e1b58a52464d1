"""Message-move tasks (DLQ redrive): start, cancel and list them, and advance them at their rate.

A task moves the messages of a dead-letter queue back to where they came from (each message's
DeadLetterQueueSourceArn) or to one explicit destination. Its progress lives in the store, so a
task survives restarts; the housekeeping run advances it. Every advance first claims the next
step by saving the task over the revision it read, so two concurrent runs never both move for
the same task; the moves themselves are atomic per message in the store.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from dynaqueue.domain.addressing import queue_name_from_arn
from dynaqueue.domain.clock import Clock
from dynaqueue.domain.errors import InternalError, InvalidParameterValue, ResourceNotFoundException
from dynaqueue.domain.model import MessageMove, MoveTask, MoveTaskStatus, QueueRecord
from dynaqueue.domain.ports import QueueStore

MIN_RATE = 1
MAX_RATE = 500
DEFAULT_LIST_RESULTS = 1
MAX_LIST_RESULTS = 10
# Without MaxNumberOfMessagesPerSecond SQS picks the rate; this is ours.
DEFAULT_RATE = 500
NON_EXISTENT_QUEUE = "AWS.SimpleQueueService.NonExistentQueue"
# Cancels retried over concurrent progress saves before giving up.
_SAVE_ATTEMPTS = 5

_TASK_RUNNING = (
    "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
)
_NOT_A_DEAD_LETTER_QUEUE = "Source queue must be configured as a Dead Letter Queue."
_INVALID_HANDLE = "Value for parameter TaskHandle is invalid."


def _missing(parameter: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The resource that you specified for the {parameter} parameter doesn't exist.")


def _malformed_arn(parameter: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"You must use this format to specify the {parameter}: "
        "arn:<partition>:<service>:<region>:<account-id>:<resource-id>"
    )


@dataclass(frozen=True, slots=True)
class MoveTaskView:
    """A task as ListMessageMoveTasks shows it; None fields are left out of the response."""

    status: str
    source_arn: str
    messages_moved: int
    messages_to_move: int
    started_at_ms: int
    destination_arn: str | None
    max_per_second: int | None
    task_handle: str | None
    failure_reason: str | None


class MessageMoveTasks:
    """The three move-task actions and the advance step the housekeeping run calls."""

    def __init__(
        self,
        store: QueueStore,
        *,
        clock: Clock,
        queue_by_arn: Callable[[str], QueueRecord | None],
        is_dead_letter_queue: Callable[[str], bool],
        retention_ms: Callable[[QueueRecord], int],
    ) -> None:
        self._store = store
        self._clock = clock
        self._queue_by_arn = queue_by_arn
        self._is_dead_letter_queue = is_dead_letter_queue
        self._retention_ms = retention_ms

    # --- actions ------------------------------------------------------------------------

    def start(self, source_arn: str, destination_arn: str | None, max_per_second: int | None) -> str:
        if max_per_second is not None and not MIN_RATE <= max_per_second <= MAX_RATE:
            raise InvalidParameterValue(
                f"Value {max_per_second} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                f"Reason: Must be an integer between {MIN_RATE} and {MAX_RATE}."
            )
        source = self._existing_queue(source_arn, "SourceArn")
        if not self._is_dead_letter_queue(source_arn):
            raise InvalidParameterValue(_NOT_A_DEAD_LETTER_QUEUE)
        if destination_arn is not None:
            destination = self._existing_queue(destination_arn, "DestinationArn")
            if destination.fifo != source.fifo:
                raise InvalidParameterValue(
                    "The destination queue must be of the same type (standard or FIFO) as the source queue."
                )
        now_ms = self._clock.now_ms()
        counts = self._store.count_messages(source, now_ms=now_ms, retention_ms=self._retention_ms(source))
        task = MoveTask(
            task_id=str(uuid.uuid4()),
            source_queue_id=source.queue_id,
            source_arn=source_arn,
            status=MoveTaskStatus.RUNNING,
            started_at_ms=now_ms,
            messages_to_move=counts.visible + counts.in_flight + counts.delayed,
            destination_arn=destination_arn,
            max_per_second=max_per_second,
            progressed_at_ms=now_ms,
        )
        if not self._store.start_move_task(task):
            raise InvalidParameterValue(_TASK_RUNNING)
        return encode_task_handle(task.task_id, source_arn)

    def cancel(self, task_handle: str) -> int:
        task_id, source_arn = decode_task_handle(task_handle)
        source = self._queue_by_arn(source_arn)
        if source is None:
            raise _missing("SourceArn")
        for _ in range(_SAVE_ATTEMPTS):
            task = self._store.get_move_task(source.queue_id, task_id)
            if task is None:
                raise ResourceNotFoundException("Task does not exist.")
            if task.status is not MoveTaskStatus.RUNNING:
                # AWS documents that only running tasks can be cancelled; its error text is unconfirmed.
                raise InvalidParameterValue(
                    f"Only a task in status RUNNING can be cancelled; this one is {task.status.value}."
                )
            if self._store.save_move_task(_next(task, status=MoveTaskStatus.CANCELLING)):
                return task.messages_moved
            # A housekeeping step saved progress in between: cancel over what it saved.
        raise InternalError("The task kept changing while it was being cancelled; try again.")

    def list(self, source_arn: str, max_results: int | None) -> list[MoveTaskView]:
        if max_results is not None and not 1 <= max_results <= MAX_LIST_RESULTS:
            raise InvalidParameterValue(
                f"Value {max_results} for parameter MaxResults is invalid. "
                f"Reason: You must enter a number that's between 1 and {MAX_LIST_RESULTS}."
            )
        source = self._existing_queue(source_arn, "SourceArn")
        tasks = self._store.list_move_tasks(source.queue_id, max_results or DEFAULT_LIST_RESULTS)
        return [_view(task) for task in tasks]

    # --- progress -----------------------------------------------------------------------

    def advance(self, task: MoveTask, *, budget: int) -> int:
        """Move up to `budget` messages of a task (fewer if its rate allows fewer); returns how many moved.

        Finishes the task when its source is empty of visible messages or it has moved what
        was there when it started; fails it when a destination queue no longer exists.
        """
        now_ms = self._clock.now_ms()
        if task.status is MoveTaskStatus.CANCELLING:
            self._store.save_move_task(_next(task, status=MoveTaskStatus.CANCELLED))
            return 0
        source = self._queue_by_arn(task.source_arn)
        if source is None or source.queue_id != task.source_queue_id:
            self._store.save_move_task(_next(task, status=MoveTaskStatus.FAILED, failure_reason=NON_EXISTENT_QUEUE))
            return 0
        allowed = min(budget, self._allowance(task, now_ms), task.messages_to_move - task.messages_moved)
        if allowed <= 0 and task.messages_moved < task.messages_to_move:
            return 0
        claimed = _next(task, progressed_at_ms=now_ms)
        if not self._store.save_move_task(claimed):
            return 0  # another run advanced or cancelled it since it was read
        missing: list[str] = []
        moved = 0
        if allowed > 0:
            outcome = self._store.move_messages(
                source,
                MessageMove(redrive=True, source_arn=task.source_arn),
                destination=self._destination_resolver(task.destination_arn, missing),
                now_ms=now_ms,
                retention_ms=self._retention_ms(source),
                limit=allowed,
            )
            moved = outcome.moved
        progressed = claimed.messages_moved + moved
        if missing:
            final = _next(
                claimed, messages_moved=progressed, status=MoveTaskStatus.FAILED, failure_reason=NON_EXISTENT_QUEUE
            )
        elif moved < allowed or progressed >= task.messages_to_move:
            final = _next(claimed, messages_moved=progressed, status=MoveTaskStatus.COMPLETED)
        else:
            final = _next(claimed, messages_moved=progressed)
        if not self._store.save_move_task(final):
            # Cancelled while moving: keep the cancel, record the moves.
            current = self._store.get_move_task(task.source_queue_id, task.task_id)
            if current is not None:
                self._store.save_move_task(_next(current, messages_moved=current.messages_moved + moved))
        return moved

    # --- internals ----------------------------------------------------------------------

    def _existing_queue(self, arn: str, parameter: str) -> QueueRecord:
        if queue_name_from_arn(arn) is None:
            raise _malformed_arn(parameter)
        queue = self._queue_by_arn(arn)
        if queue is None:
            raise _missing(parameter)
        return queue

    def _allowance(self, task: MoveTask, now_ms: int) -> int:
        rate = task.max_per_second or DEFAULT_RATE
        return (now_ms - task.progressed_at_ms) * rate // 1000

    def _destination_resolver(
        self, explicit_arn: str | None, missing: list[str]
    ) -> Callable[[str | None], QueueRecord | None]:
        found: dict[str, QueueRecord | None] = {}

        def destination(dead_letter_source_arn: str | None) -> QueueRecord | None:
            arn = explicit_arn or dead_letter_source_arn
            if arn is None:
                missing.append("")
                return None
            if arn not in found:
                found[arn] = self._queue_by_arn(arn)
            if found[arn] is None:
                missing.append(arn)
            return found[arn]

        return destination


def encode_task_handle(task_id: str, source_arn: str) -> str:
    document = json.dumps({"taskId": task_id, "sourceArn": source_arn}, separators=(",", ":"))
    return base64.b64encode(document.encode()).decode()


def decode_task_handle(task_handle: str) -> tuple[str, str]:
    """(task id, source ARN) of a handle; InvalidParameterValue when it is not one of ours."""
    try:
        document = json.loads(base64.b64decode(task_handle.encode(), validate=True))
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidParameterValue(_INVALID_HANDLE) from None
    if not isinstance(document, dict):
        raise InvalidParameterValue(_INVALID_HANDLE)
    task_id, source_arn = document.get("taskId"), document.get("sourceArn")
    if not isinstance(task_id, str) or not isinstance(source_arn, str) or not task_id:
        raise InvalidParameterValue(_INVALID_HANDLE)
    if queue_name_from_arn(source_arn) is None:
        raise InvalidParameterValue(_INVALID_HANDLE)
    return task_id, source_arn


def _next(task: MoveTask, **changes: object) -> MoveTask:
    return replace(task, revision=task.revision + 1, **changes)  # type: ignore[arg-type]


def _view(task: MoveTask) -> MoveTaskView:
    running = task.status is MoveTaskStatus.RUNNING
    return MoveTaskView(
        status=task.status.value,
        source_arn=task.source_arn,
        messages_moved=task.messages_moved,
        messages_to_move=task.messages_to_move,
        started_at_ms=task.started_at_ms,
        destination_arn=task.destination_arn,
        max_per_second=task.max_per_second,
        task_handle=encode_task_handle(task.task_id, task.source_arn) if running else None,
        failure_reason=task.failure_reason if task.status is MoveTaskStatus.FAILED else None,
    )
