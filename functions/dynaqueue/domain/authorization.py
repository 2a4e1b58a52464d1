"""What a principal of another account may do with the owner's queues: what the queue policy allows.

The owner account may do everything and is never wrapped. For anyone else, the queue service is
wrapped so that each action on a queue is checked against that queue's `Policy` first. As in
SQS, cross-account permissions do not apply to creating, deleting, configuring, tagging or
listing queues, nor to message-move tasks: those are the owner's alone. ListQueues answers a
non-owner with its own queues here, which are none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dynaqueue.domain.access_keys import Principal
from dynaqueue.domain.errors import AccessDenied, QueueDoesNotExist
from dynaqueue.domain.policy_evaluation import Decision, evaluate

if TYPE_CHECKING:
    from dynaqueue.domain.service import QueueService

# Service methods a queue policy can grant, by the policy action that grants them (batches
# come with their single-message action, as in SQS). Every other method is the owner's.
POLICY_ACTIONS = {
    "send_message": "SendMessage",
    "send_message_batch": "SendMessage",
    "receive_message": "ReceiveMessage",
    "delete_message": "DeleteMessage",
    "delete_message_batch": "DeleteMessage",
    "change_message_visibility": "ChangeMessageVisibility",
    "change_message_visibility_batch": "ChangeMessageVisibility",
    "get_queue_attributes": "GetQueueAttributes",
    "purge_queue": "PurgeQueue",
    "list_dead_letter_source_queues": "ListDeadLetterSourceQueues",
}
# Methods that act on no queue and no caller's permission: plain helpers.
_HELPERS = frozenset({"queue_arn"})


class AuthorizedQueueService:
    """The queue service as a principal of another account sees it; `resource_url` names a queue in denials."""

    def __init__(self, service: QueueService, principal: Principal, resource_url: Callable[[str], str]) -> None:
        self._service = service
        self._principal = principal
        self._resource_url = resource_url
        self.account_id = service.account_id
        self.region = service.region

    def list_queues(
        self, prefix: str | None, max_results: int | None, next_token: str | None
    ) -> tuple[list[str], None]:
        return [], None

    def get_queue_url(self, name: str, owner_account_id: str | None = None) -> str:
        # Without an owner account, SQS looks the name up in the caller's own account.
        if owner_account_id != self._service.account_id:
            raise QueueDoesNotExist()
        self._authorize("GetQueueUrl", name)
        return self._service.get_queue_url(name, owner_account_id)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._service, name)
        if name in _HELPERS or not callable(attribute):
            return attribute
        action = POLICY_ACTIONS.get(name)

        def guarded(queue_name: str, *args: Any, **kwargs: Any) -> Any:
            if action is None:
                raise self._denied(queue_name)
            self._authorize(action, queue_name)
            return attribute(queue_name, *args, **kwargs)

        return guarded

    def _authorize(self, action: str, queue_name: str) -> None:
        policy = self._service.get_queue_attributes(queue_name, ["Policy"]).get("Policy")
        decision = evaluate(
            policy, principal=self._principal, action=action, resource_arn=self._service.queue_arn(queue_name)
        )
        if decision is not Decision.ALLOW:
            raise self._denied(queue_name)

    def _denied(self, queue_name: Any) -> AccessDenied:
        return AccessDenied(f"Access to the resource {self._resource_url(str(queue_name))} is denied.")
