"""The queue service: every SQS action as a method over domain types, storage behind a port."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace

from dynaqueue.domain import fifo, limits, permissions
from dynaqueue.domain.addressing import queue_arn, queue_name_from_arn
from dynaqueue.domain.checksums import md5_of_attributes, md5_of_body
from dynaqueue.domain.clock import Clock
from dynaqueue.domain.errors import (
    BatchRequestTooLong,
    InvalidParameterValue,
    MissingParameter,
    PurgeQueueInProgress,
    QueueDeletedRecently,
    QueueDoesNotExist,
    QueueNameExists,
    QueueServiceError,
)
from dynaqueue.domain.housekeeping import Housekeeper, HousekeepingLimits
from dynaqueue.domain.messages import (
    message_size,
    response_size_estimate,
    select_message_attributes,
    select_system_attribute_names,
    validate_batch_entry_ids,
    validate_group_id,
)
from dynaqueue.domain.model import (
    BatchFailure,
    BatchResult,
    DeadLetterTarget,
    LeasedReceipt,
    NewMessage,
    PurgeOutcome,
    QueueRecord,
    ReceiptBatchEntry,
    ReceivedMessage,
    ReceiveRequest,
    SendBatchEntry,
    SendRequest,
    SendResult,
    StoredMessage,
    VisibilityOutcome,
)
from dynaqueue.domain.move_tasks import MessageMoveTasks, MoveTaskView
from dynaqueue.domain.ports import QueueStore
from dynaqueue.domain.queue_attributes import (
    apply_attribute_changes,
    check_tag_count,
    conflicting_attribute,
    default_attributes,
    is_fifo_request,
    needs_counts,
    render_attributes,
    validate_attributes,
    validate_queue_name,
    validate_tag_keys,
    validate_tags,
)
from dynaqueue.domain.receipts import Receipt, ReceiptSigner
from dynaqueue.domain.sending import prepare_message


class QueueService:
    """SQS semantics for standard queues over any `QueueStore`."""

    def __init__(
        self,
        store: QueueStore,
        *,
        clock: Clock,
        account_id: str,
        region: str,
        receipt_secret: bytes,
    ) -> None:
        self.store = store
        self.account_id = account_id
        self.region = region
        self._clock = clock
        self._receipts = ReceiptSigner(receipt_secret)
        self.move_tasks = MessageMoveTasks(
            store,
            clock=clock,
            queue_by_arn=self._queue_by_arn,
            is_dead_letter_queue=self.is_dead_letter_queue,
            retention_ms=retention_ms,
        )

    def housekeeper(self, limits: HousekeepingLimits | None = None, *, walk_interval_ms: int = 0) -> Housekeeper:
        """A housekeeping runner over this service's store (see Housekeeper for `walk_interval_ms`)."""
        return Housekeeper(
            self.store,
            clock=self._clock,
            move_tasks=self.move_tasks,
            dead_letter_target=self.dead_letter_target,
            retention_ms=retention_ms,
            limits=limits,
            walk_interval_ms=walk_interval_ms,
        )

    def queue_arn(self, name: str) -> str:
        return queue_arn(self.region, self.account_id, name)

    # --- queue management ---------------------------------------------------------------

    def create_queue(self, name: str, attributes: Mapping[str, str], tags: Mapping[str, str]) -> str:
        fifo = is_fifo_request(attributes)
        validate_queue_name(name, fifo=fifo)
        requested = validate_attributes(attributes, fifo=fifo, creating=True)
        validate_tags(tags)
        check_tag_count(name, tags)
        self._check_redrive_target(name, requested, fifo=fifo)
        existing = self.store.get_queue(name)
        if existing is None:
            now_ms = self._clock.now_ms()
            deleted_at_ms = self.store.queue_deleted_at(name)
            if deleted_at_ms is not None and now_ms - deleted_at_ms < limits.QUEUE_RECREATE_DELAY_MS:
                raise QueueDeletedRecently()
            record = QueueRecord(
                name=name,
                queue_id=uuid.uuid4().hex,
                fifo=fifo,
                attributes=apply_attribute_changes(default_attributes(fifo=fifo), requested),
                tags=dict(tags),
                created_at_ms=now_ms,
                last_modified_at_ms=now_ms,
            )
            existing, created = self.store.create_queue(record)
            if created:
                return name
        # SQS compares only the attributes named in the request, against current values;
        # tags are neither compared nor applied to an existing queue.
        conflict = conflicting_attribute(existing.attributes, requested)
        if conflict is not None:
            raise QueueNameExists(
                f"A queue already exists with the same name and a different value for attribute {conflict}"
            )
        return name

    def get_queue_url(self, name: str, owner_account_id: str | None = None) -> str:
        if owner_account_id not in (None, "", self.account_id):
            raise QueueDoesNotExist()
        return self._queue(name).name

    def list_queues(
        self, prefix: str | None, max_results: int | None, next_token: str | None
    ) -> tuple[list[str], str | None]:
        _check_max_results(max_results)
        after = _decode_page_token(next_token) if next_token else None
        page_size = max_results or limits.MAX_LIST_RESULTS
        names = self.store.list_queue_names(prefix or "", after, page_size + 1)
        page = names[:page_size]
        # Without MaxResults SQS returns up to 1,000 URLs and never a NextToken.
        more = max_results is not None and len(names) > page_size
        return page, _encode_page_token(page[-1]) if more else None

    def delete_queue(self, name: str) -> None:
        record = self._queue(name)
        # Tasks first: once the queue is gone its delete is done, and nothing after it may fail the call.
        self.store.delete_move_tasks(record.queue_id)
        if not self.store.delete_queue(name, now_ms=self._clock.now_ms()):
            raise QueueDoesNotExist()

    def get_queue_attributes(self, name: str, attribute_names: Sequence[str]) -> dict[str, str]:
        record = self._queue(name)
        counts = None
        if needs_counts(attribute_names):
            counts = self.store.count_messages(record, now_ms=self._clock.now_ms(), retention_ms=retention_ms(record))
        return render_attributes(record, attribute_names, arn=self.queue_arn(name), counts=counts)

    def set_queue_attributes(self, name: str, attributes: Mapping[str, str]) -> None:
        if not attributes:
            raise MissingParameter("The request must contain the parameter Attributes.")
        record = self._queue(name)
        changes = validate_attributes(attributes, fifo=record.fifo, creating=False)
        self._check_redrive_target(name, changes, fifo=record.fifo)
        self._replace_attributes(name, apply_attribute_changes(record.attributes, changes))

    def purge_queue(self, name: str) -> None:
        outcome = self.store.purge_queue(name, now_ms=self._clock.now_ms(), min_interval_ms=limits.PURGE_INTERVAL_MS)
        if outcome is PurgeOutcome.GONE:
            raise QueueDoesNotExist()
        if outcome is PurgeOutcome.TOO_SOON:
            raise PurgeQueueInProgress(f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.")

    def tag_queue(self, name: str, tags: Mapping[str, str]) -> None:
        if not tags:
            raise MissingParameter("The request must contain the parameter Tags.")
        validate_tags(tags)
        record = self._queue(name)
        merged = {**record.tags, **tags}
        check_tag_count(name, merged)
        self._update_tags(name, merged)

    def untag_queue(self, name: str, tag_keys: Sequence[str]) -> None:
        if not tag_keys:
            raise MissingParameter("The request must contain the parameter TagKeys.")
        validate_tag_keys(tag_keys)
        record = self._queue(name)
        removed = set(tag_keys)
        self._update_tags(name, {key: value for key, value in record.tags.items() if key not in removed})

    def list_queue_tags(self, name: str) -> dict[str, str]:
        return dict(self._queue(name).tags)

    def add_permission(self, name: str, label: str, account_ids: Sequence[str], actions: Sequence[str]) -> None:
        record = self._queue(name)
        policy = permissions.add_statement(
            record.attributes.get("Policy"),
            queue_arn=self.queue_arn(name),
            label=label,
            account_ids=account_ids,
            actions=actions,
        )
        self._replace_attributes(name, {**record.attributes, "Policy": policy})

    def remove_permission(self, name: str, label: str) -> None:
        record = self._queue(name)
        policy = permissions.remove_statement(
            record.attributes.get("Policy"), queue_arn=self.queue_arn(name), label=label
        )
        attributes = {key: value for key, value in record.attributes.items() if key != "Policy"}
        self._replace_attributes(name, {**attributes, "Policy": policy} if policy else attributes)

    def list_dead_letter_source_queues(
        self, name: str, max_results: int | None, next_token: str | None
    ) -> tuple[list[str], str | None]:
        """Queues whose RedrivePolicy targets this queue, in name order, paged like ListQueues."""
        self._queue(name)
        _check_max_results(max_results)
        after = _decode_page_token(next_token) if next_token else None
        page_size = max_results or limits.MAX_LIST_RESULTS
        sources = list(itertools.islice(self._dead_letter_sources(self.queue_arn(name), after), page_size + 1))
        page = sources[:page_size]
        more = max_results is not None and len(sources) > page_size
        return page, _encode_page_token(page[-1]) if more else None

    # --- message-move tasks ---------------------------------------------------------------

    def start_message_move_task(self, source_arn: str, destination_arn: str | None, max_per_second: int | None) -> str:
        return self.move_tasks.start(source_arn, destination_arn, max_per_second)

    def cancel_message_move_task(self, task_handle: str) -> int:
        return self.move_tasks.cancel(task_handle)

    def list_message_move_tasks(self, source_arn: str, max_results: int | None) -> list[MoveTaskView]:
        return self.move_tasks.list(source_arn, max_results)

    def is_dead_letter_queue(self, arn: str) -> bool:
        """Whether some queue's RedrivePolicy names this queue as its dead-letter queue."""
        return next(self._dead_letter_sources(arn, None), None) is not None

    def dead_letter_target(self, record: QueueRecord) -> DeadLetterTarget | None:
        """Where over-received messages of the queue go; None without a policy or once the DLQ is gone."""
        policy = record.attributes.get("RedrivePolicy")
        if not policy:
            return None
        parsed = json.loads(policy)
        target = self._queue_by_arn(parsed["deadLetterTargetArn"])
        if target is None:
            return None
        return DeadLetterTarget(
            queue=target, max_receive_count=int(parsed["maxReceiveCount"]), source_arn=self.queue_arn(record.name)
        )

    # --- messages -----------------------------------------------------------------------

    def send_message(self, name: str, request: SendRequest) -> SendResult:
        record = self._queue(name)
        now_ms = self._clock.now_ms()
        prepared = prepare_message(record, request, now_ms, in_batch=False, sender_id=self.account_id)
        return self._store_messages(record, [prepared], now_ms)[0]

    def send_message_batch(self, name: str, entries: Sequence[SendBatchEntry]) -> BatchResult[SendResult]:
        record = self._queue(name)
        validate_batch_entry_ids([entry.id for entry in entries], "SendMessageBatchRequestEntry")
        total_bytes = sum(message_size(entry.request.body or "", entry.request.attributes) for entry in entries)
        if total_bytes > limits.MAX_BATCH_BYTES:
            raise BatchRequestTooLong(
                f"Batch requests cannot be longer than {limits.MAX_BATCH_BYTES} bytes. "
                f"You have sent {total_bytes} bytes."
            )
        if record.fifo:
            fifo.check_batch(record, [entry.request for entry in entries])
        now_ms = self._clock.now_ms()
        accepted_ids: list[str] = []
        prepared: list[tuple[NewMessage, SendResult]] = []
        failed: list[BatchFailure] = []
        for entry in entries:
            try:
                prepared.append(
                    prepare_message(record, entry.request, now_ms, in_batch=True, sender_id=self.account_id)
                )
            except QueueServiceError as error:
                failed.append(BatchFailure(id=entry.id, code=error.code, message=error.message))
                continue
            accepted_ids.append(entry.id)
        results = self._store_messages(record, prepared, now_ms) if prepared else []
        return BatchResult(successful=list(zip(accepted_ids, results, strict=True)), failed=failed)

    def receive_message(self, name: str, request: ReceiveRequest) -> list[ReceivedMessage]:
        record = self._queue(name)
        max_count = _optional_range(
            request.max_number_of_messages,
            "MaxNumberOfMessages",
            1,
            limits.MAX_RECEIVE_MESSAGES,
            "Must be between 1 and 10, if provided.",
        )
        wait_seconds = _optional_range(
            request.wait_time_seconds,
            "WaitTimeSeconds",
            0,
            limits.MAX_WAIT_TIME_SECONDS,
            "Must be >= 0 and <= 20, if provided.",
        )
        visibility_seconds = _optional_range(
            request.visibility_timeout,
            "VisibilityTimeout",
            0,
            limits.MAX_VISIBILITY_TIMEOUT_SECONDS,
            "Must be >= 0 and <= 43200, if provided.",
        )
        if request.receive_request_attempt_id is not None:
            validate_group_id(request.receive_request_attempt_id, "ReceiveRequestAttemptId")
        if max_count is None:
            max_count = 1
        if wait_seconds is None:
            wait_seconds = int(record.attributes["ReceiveMessageWaitTimeSeconds"])
        if visibility_seconds is None:
            visibility_seconds = int(record.attributes["VisibilityTimeout"])
        attempt_id = request.receive_request_attempt_id if record.fifo else None
        replayed = self._replay_attempt(record, attempt_id, visibility_seconds) if attempt_id else None
        if replayed is not None:
            claimed, received_at_ms = replayed
        else:
            claimed, received_at_ms = self._claim_waiting(record, max_count, visibility_seconds, wait_seconds)
            claimed = self._within_response_budget(record, claimed, received_at_ms)
            if attempt_id and claimed:
                leases = [LeasedReceipt(m.message_id, m.lease_token, received_at_ms) for m in claimed]
                self.store.remember_receive_attempt(
                    record, attempt_id, leases, expires_at_ms=received_at_ms + limits.RECEIVE_ATTEMPT_WINDOW_MS
                )
        system_names = select_system_attribute_names(request.system_attribute_names)
        return [
            self._received(record, message, received_at_ms, system_names, request.message_attribute_names)
            for message in claimed
        ]

    def delete_message(self, name: str, receipt_handle: str) -> None:
        record = self._queue(name)
        self._delete(record, receipt_handle)

    def delete_message_batch(self, name: str, entries: Sequence[ReceiptBatchEntry]) -> BatchResult[None]:
        record = self._queue(name)
        validate_batch_entry_ids([entry.id for entry in entries], "DeleteMessageBatchRequestEntry")
        failures: dict[str, BatchFailure] = {}
        verified: list[tuple[ReceiptBatchEntry, Receipt]] = []
        for entry in entries:
            try:
                verified.append((entry, self._receipts.verify(entry.receipt_handle, record.queue_id)))
            except QueueServiceError as error:
                failures[entry.id] = BatchFailure(id=entry.id, code=error.code, message=error.message)
        # One store call for the whole batch: the embedded store settles it in one transaction.
        outcomes = self.store.delete_messages(
            record,
            [LeasedReceipt(receipt.message_id, receipt.lease_token, receipt.received_at_ms) for _, receipt in verified],
            now_ms=self._clock.now_ms(),
        )
        for (entry, _), outcome in zip(verified, outcomes, strict=True):
            if record.fifo and outcome is VisibilityOutcome.STALE:
                error = _expired_handle(entry.receipt_handle)
                failures[entry.id] = BatchFailure(id=entry.id, code=error.code, message=error.message)
        return BatchResult(
            successful=[(entry.id, None) for entry in entries if entry.id not in failures],
            failed=[failures[entry.id] for entry in entries if entry.id in failures],
        )

    def change_message_visibility(self, name: str, receipt_handle: str, visibility_timeout: int) -> None:
        record = self._queue(name)
        self._change_visibility(record, receipt_handle, visibility_timeout)

    def change_message_visibility_batch(self, name: str, entries: Sequence[ReceiptBatchEntry]) -> BatchResult[None]:
        record = self._queue(name)
        validate_batch_entry_ids([entry.id for entry in entries], "ChangeMessageVisibilityBatchRequestEntry")

        def change(entry: ReceiptBatchEntry) -> None:
            if entry.visibility_timeout is None:
                raise MissingParameter("The request must contain the parameter VisibilityTimeout.")
            self._change_visibility(record, entry.receipt_handle, entry.visibility_timeout)

        return _each_entry(entries, change)

    # --- internals ----------------------------------------------------------------------

    def _queue(self, name: str) -> QueueRecord:
        record = self.store.get_queue(name)
        if record is None:
            raise QueueDoesNotExist()
        return record

    def _replace_attributes(self, name: str, attributes: Mapping[str, str]) -> None:
        if self.store.update_queue(name, attributes=attributes, modified_at_ms=self._clock.now_ms()) is None:
            raise QueueDoesNotExist()

    def _update_tags(self, name: str, tags: Mapping[str, str]) -> None:
        if self.store.update_queue(name, tags=tags) is None:
            raise QueueDoesNotExist()

    def _check_redrive_target(self, source_name: str, attributes: Mapping[str, str], *, fifo: bool) -> None:
        policy = attributes.get("RedrivePolicy")
        if not policy:
            return
        target_arn = json.loads(policy)["deadLetterTargetArn"]
        target = self._queue_by_arn(target_arn)
        if target is None:
            raise InvalidParameterValue(
                f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist."
            )
        if target.fifo != fifo:
            raise InvalidParameterValue(
                f"Value {policy} for parameter RedrivePolicy is invalid. "
                "Reason: Dead-letter queue must be same type of queue as the source."
            )
        source_arn = self.queue_arn(source_name)
        if not _redrive_allowed(target.attributes.get("RedriveAllowPolicy"), source_arn):
            # Wording modelled on SQS's other RedrivePolicy errors; the exact AWS text is unconfirmed.
            raise InvalidParameterValue(
                f"Value {policy} for parameter RedrivePolicy is invalid. "
                f"Reason: Queue {source_arn} is not allowed to use {target_arn} as a dead-letter queue."
            )

    def _queue_by_arn(self, arn: str) -> QueueRecord | None:
        """The live queue an ARN names, if it is one of this account and region."""
        parsed = queue_name_from_arn(arn)
        if parsed is None or parsed[0] != self.region or parsed[1] != self.account_id:
            return None
        return self.store.get_queue(parsed[2])

    def _dead_letter_sources(self, target_arn: str, after: str | None) -> Iterator[str]:
        """Names of the queues whose RedrivePolicy targets `target_arn`, in name order, after `after`."""
        while True:
            names = self.store.list_queue_names("", after, limits.MAX_LIST_RESULTS)
            for candidate in names:
                record = self.store.get_queue(candidate)
                policy = record.attributes.get("RedrivePolicy") if record else None
                if policy and json.loads(policy)["deadLetterTargetArn"] == target_arn:
                    yield candidate
            if len(names) < limits.MAX_LIST_RESULTS:
                return
            after = names[-1]

    def _store_messages(
        self, record: QueueRecord, prepared: Sequence[tuple[NewMessage, SendResult]], now_ms: int
    ) -> list[SendResult]:
        messages = [message for message, _ in prepared]
        if not record.fifo:
            self.store.put_messages(record, messages)
            return [result for _, result in prepared]
        # A duplicate within the deduplication window answers with the original message's ids.
        stored = self.store.put_fifo_messages(record, messages, now_ms=now_ms, dedup_window_ms=limits.DEDUP_WINDOW_MS)
        return [
            replace(result, message_id=put.message_id, sequence_number=put.sequence_number)
            for (_, result), put in zip(prepared, stored, strict=True)
        ]

    def _claim_waiting(
        self, record: QueueRecord, max_count: int, visibility_seconds: int, wait_seconds: int
    ) -> tuple[list[StoredMessage], int]:
        """Claim at once, or long-poll: return as soon as anything was claimed (SQS never waits to fill)."""
        deadline = self._clock.monotonic() + wait_seconds
        dead_letter = self.dead_letter_target(record)
        while True:
            token = self.store.availability_token(record)
            now_ms = self._clock.now_ms()
            claim = self.store.claim_fifo_messages if record.fifo else self.store.claim_messages
            claimed = claim(
                record,
                now_ms=now_ms,
                max_count=max_count,
                visibility_timeout_ms=visibility_seconds * 1000,
                retention_ms=retention_ms(record),
                dead_letter=dead_letter,
            )
            remaining = deadline - self._clock.monotonic()
            if claimed or remaining <= 0:
                return claimed, now_ms
            self.store.wait_for_messages(record, token=token, timeout_seconds=remaining)

    def _within_response_budget(
        self, record: QueueRecord, claimed: list[StoredMessage], now_ms: int
    ) -> list[StoredMessage]:
        """Keep a receive's answer within what Lambda and API Gateway can return (spec §11.4).

        SQS may return fewer messages than asked for, so the messages past the budget are
        released at once (visible again) rather than failing the whole response; the first
        message is always returned.
        """
        kept: list[StoredMessage] = []
        total = 0
        for message in claimed:
            total += response_size_estimate(message.body, message.attributes)
            if kept and total > limits.RECEIVE_RESPONSE_BUDGET_BYTES:
                self.store.change_visibility(
                    record, message.message_id, lease_token=message.lease_token, visible_at_ms=now_ms
                )
                continue
            kept.append(message)
        return kept

    def _replay_attempt(
        self, record: QueueRecord, attempt_id: str, visibility_seconds: int
    ) -> tuple[list[StoredMessage], int] | None:
        """A retried FIFO receive gets the same messages and handles again, its visibility reset.

        Only while every one of them is still held under the lease that receive issued; else
        the retry is answered like a new receive.
        """
        now_ms = self._clock.now_ms()
        leases = self.store.recall_receive_attempt(record, attempt_id, now_ms=now_ms)
        if not leases:
            return None
        for lease in leases:
            outcome = self.store.change_visibility(
                record,
                lease.message_id,
                lease_token=lease.lease_token,
                visible_at_ms=now_ms + visibility_seconds * 1000,
                in_flight_at_ms=now_ms,
            )
            if outcome is not VisibilityOutcome.CHANGED:
                return None
        messages = self.store.get_leased_messages(record, leases)
        if len(messages) != len(leases):
            return None
        return messages, leases[0].received_at_ms

    def _received(
        self,
        record: QueueRecord,
        message: StoredMessage,
        received_at_ms: int,
        system_names: frozenset[str],
        attribute_names: Sequence[str],
    ) -> ReceivedMessage:
        receipt = Receipt(
            queue_id=record.queue_id,
            message_id=message.message_id,
            lease_token=message.lease_token,
            received_at_ms=received_at_ms,
        )
        system = {
            **message.system_attributes,
            "SentTimestamp": str(message.sent_at_ms),
            "ApproximateReceiveCount": str(message.receive_count),
            "ApproximateFirstReceiveTimestamp": str(message.first_received_at_ms),
        }
        if message.sequence_number is not None:
            system["SequenceNumber"] = message.sequence_number
        selected = select_message_attributes(message.attributes, attribute_names)
        return ReceivedMessage(
            message_id=message.message_id,
            receipt_handle=self._receipts.issue(receipt),
            body=message.body,
            md5_of_body=md5_of_body(message.body),
            attributes={name: value for name, value in system.items() if name in system_names},
            message_attributes=selected,
            md5_of_message_attributes=md5_of_attributes(selected),
        )

    def _delete(self, record: QueueRecord, receipt_handle: str) -> None:
        receipt = self._receipts.verify(receipt_handle, record.queue_id)
        if not record.fifo:
            # SQS: deleting with a stale handle, or an already deleted message, still succeeds.
            self.store.delete_message(record, receipt.message_id)
            return
        # FIFO: a handle whose lease ran out may no longer settle the message (its group moved on).
        outcome = self.store.delete_leased_message(
            record, receipt.message_id, lease_token=receipt.lease_token, now_ms=self._clock.now_ms()
        )
        if outcome is VisibilityOutcome.STALE:
            raise _expired_handle(receipt_handle)

    def _change_visibility(self, record: QueueRecord, receipt_handle: str, visibility_timeout: int) -> None:
        if not 0 <= visibility_timeout <= limits.MAX_VISIBILITY_TIMEOUT_SECONDS:
            raise InvalidParameterValue(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. "
                "Reason: Must be >= 0 and <= 43200, if provided."
            )
        receipt = self._receipts.verify(receipt_handle, record.queue_id)
        now_ms = self._clock.now_ms()
        visible_at_ms = now_ms + visibility_timeout * 1000
        # The 12-hour ceiling counts from the receive that issued this handle, not from the send.
        if visible_at_ms - receipt.received_at_ms > limits.MAX_VISIBILITY_TIMEOUT_SECONDS * 1000:
            raise InvalidParameterValue(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. "
                f"Reason: Total VisibilityTimeout for the message is beyond the limit "
                f"[{limits.MAX_VISIBILITY_TIMEOUT_SECONDS} seconds]."
            )
        outcome = self.store.change_visibility(
            record,
            receipt.message_id,
            lease_token=receipt.lease_token,
            visible_at_ms=visible_at_ms,
            in_flight_at_ms=now_ms if record.fifo else None,
        )
        if outcome is VisibilityOutcome.GONE:
            raise InvalidParameterValue(
                f"Value {receipt_handle} for parameter ReceiptHandle is invalid. "
                "Reason: Message does not exist or is not available for visibility timeout change."
            )
        if outcome is VisibilityOutcome.STALE:
            raise _expired_handle(receipt_handle)


def _expired_handle(receipt_handle: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Value {receipt_handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
    )


def _check_max_results(max_results: int | None) -> None:
    if max_results is not None and not 1 <= max_results <= limits.MAX_LIST_RESULTS:
        raise InvalidParameterValue(
            f"Value {max_results} for parameter MaxResults is invalid. "
            f"Reason: MaxResults must be an integer between 1 and {limits.MAX_LIST_RESULTS}."
        )


def _redrive_allowed(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy (canonical JSON; unset = allowAll) admits the source."""
    if not allow_policy:
        return True
    parsed = json.loads(allow_policy)
    permission = parsed["redrivePermission"]
    if permission == "byQueue":
        return source_arn in parsed.get("sourceQueueArns", ())
    return permission == "allowAll"


def retention_ms(record: QueueRecord) -> int:
    """The queue's MessageRetentionPeriod in milliseconds."""
    return int(record.attributes["MessageRetentionPeriod"]) * 1000


def _optional_range(value: int | None, parameter: str, low: int, high: int, reason: str) -> int | None:
    if value is not None and not low <= value <= high:
        raise InvalidParameterValue(f"Value {value} for parameter {parameter} is invalid. Reason: {reason}")
    return value


def _each_entry(entries: Sequence[ReceiptBatchEntry], settle: Callable[[ReceiptBatchEntry], None]) -> BatchResult[None]:
    successful: list[tuple[str, None]] = []
    failed: list[BatchFailure] = []
    for entry in entries:
        try:
            settle(entry)
        except QueueServiceError as error:
            failed.append(BatchFailure(id=entry.id, code=error.code, message=error.message))
        else:
            successful.append((entry.id, None))
    return BatchResult(successful=successful, failed=failed)


def _encode_page_token(last_name: str) -> str:
    return base64.urlsafe_b64encode(last_name.encode()).decode()


def _decode_page_token(token: str) -> str:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidParameterValue("Invalid NextToken value.") from None
