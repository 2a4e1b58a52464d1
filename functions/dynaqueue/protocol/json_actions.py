"""The SQS actions, whatever the wire protocol: read members, call the queue service once, return output members."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynaqueue.domain.addressing import queue_name_from_url, queue_url
from dynaqueue.protocol import json_requests as requests
from dynaqueue.protocol import json_responses as responses
from dynaqueue.protocol.json_responses import Document, without_empty
from dynaqueue.protocol.request_members import RequestMembers

if TYPE_CHECKING:
    from dynaqueue.domain.service import QueueService


@dataclass(slots=True)
class Call:
    """One action being served; records the queue and message count for the edge to log."""

    service: QueueService
    members: RequestMembers
    base_url: str
    queue_name: str | None = None
    message_count: int | None = None

    def queue(self) -> str:
        """The queue named by the request's QueueUrl."""
        self.queue_name = queue_name_from_url(self.members.required_string("QueueUrl"), self.service.account_id)
        return self.queue_name

    def url_of(self, name: str) -> str:
        self.queue_name = name
        return queue_url(self.base_url, self.service.account_id, name)


def create_queue(call: Call) -> Document:
    members = call.members
    name = call.service.create_queue(
        members.required_string("QueueName"),
        members.string_map("Attributes"),
        members.string_map("tags"),
    )
    return {"QueueUrl": call.url_of(name)}


def get_queue_url(call: Call) -> Document:
    members = call.members
    name = call.service.get_queue_url(
        members.required_string("QueueName"), members.optional_string("QueueOwnerAWSAccountId")
    )
    return {"QueueUrl": call.url_of(name)}


def list_queues(call: Call) -> Document:
    members = call.members
    names, next_token = call.service.list_queues(
        members.optional_string("QueueNamePrefix"),
        members.optional_integer("MaxResults"),
        members.optional_string("NextToken"),
    )
    urls = [queue_url(call.base_url, call.service.account_id, name) for name in names]
    return without_empty(QueueUrls=urls, NextToken=next_token)


def delete_queue(call: Call) -> Document:
    call.service.delete_queue(call.queue())
    return {}


def get_queue_attributes(call: Call) -> Document:
    attributes = call.service.get_queue_attributes(call.queue(), call.members.string_list("AttributeNames"))
    return without_empty(Attributes=attributes)


def set_queue_attributes(call: Call) -> Document:
    call.service.set_queue_attributes(call.queue(), call.members.string_map("Attributes", required=True))
    return {}


def purge_queue(call: Call) -> Document:
    call.service.purge_queue(call.queue())
    return {}


def tag_queue(call: Call) -> Document:
    call.service.tag_queue(call.queue(), call.members.string_map("Tags", required=True))
    return {}


def untag_queue(call: Call) -> Document:
    call.service.untag_queue(call.queue(), call.members.string_list("TagKeys", required=True))
    return {}


def list_queue_tags(call: Call) -> Document:
    return without_empty(Tags=call.service.list_queue_tags(call.queue()))


def send_message(call: Call) -> Document:
    result = call.service.send_message(call.queue(), requests.send_request(call.members))
    call.message_count = 1
    return responses.send_result(result)


def send_message_batch(call: Call) -> Document:
    # An absent Entries list reaches the service as an empty batch: EmptyBatchRequest.
    result = call.service.send_message_batch(call.queue(), requests.send_batch_entries(call.members))
    call.message_count = len(result.successful)
    return responses.batch_result(result, responses.send_result)


def receive_message(call: Call) -> Document:
    messages = call.service.receive_message(call.queue(), requests.receive_request(call.members))
    call.message_count = len(messages)
    return responses.received_messages(messages)


def delete_message(call: Call) -> Document:
    call.service.delete_message(call.queue(), call.members.required_string("ReceiptHandle"))
    call.message_count = 1
    return {}


def delete_message_batch(call: Call) -> Document:
    result = call.service.delete_message_batch(call.queue(), requests.delete_batch_entries(call.members))
    call.message_count = len(result.successful)
    return responses.batch_result(result, responses.no_members)


def change_message_visibility(call: Call) -> Document:
    members = call.members
    call.service.change_message_visibility(
        call.queue(), members.required_string("ReceiptHandle"), members.required_integer("VisibilityTimeout")
    )
    call.message_count = 1
    return {}


def change_message_visibility_batch(call: Call) -> Document:
    queue = call.queue()
    entries = requests.change_visibility_batch_entries(call.members)
    result = call.service.change_message_visibility_batch(queue, entries)
    call.message_count = len(result.successful)
    return responses.batch_result(result, responses.no_members)


def add_permission(call: Call) -> Document:
    members = call.members
    call.service.add_permission(
        call.queue(),
        members.required_string("Label"),
        members.string_list("AWSAccountIds", required=True),
        members.string_list("Actions", required=True),
    )
    return {}


def remove_permission(call: Call) -> Document:
    call.service.remove_permission(call.queue(), call.members.required_string("Label"))
    return {}


def list_dead_letter_source_queues(call: Call) -> Document:
    members = call.members
    names, next_token = call.service.list_dead_letter_source_queues(
        call.queue(), members.optional_integer("MaxResults"), members.optional_string("NextToken")
    )
    # queueUrls is a required member of the result, so it is sent even when empty.
    urls = [queue_url(call.base_url, call.service.account_id, name) for name in names]
    return {"queueUrls": urls, **without_empty(NextToken=next_token)}


def start_message_move_task(call: Call) -> Document:
    members = call.members
    handle = call.service.start_message_move_task(
        members.required_string("SourceArn"),
        members.optional_string("DestinationArn"),
        members.optional_integer("MaxNumberOfMessagesPerSecond"),
    )
    return {"TaskHandle": handle}


def cancel_message_move_task(call: Call) -> Document:
    moved = call.service.cancel_message_move_task(call.members.required_string("TaskHandle"))
    return {"ApproximateNumberOfMessagesMoved": moved}


def list_message_move_tasks(call: Call) -> Document:
    members = call.members
    tasks = call.service.list_message_move_tasks(
        members.required_string("SourceArn"), members.optional_integer("MaxResults")
    )
    return {"Results": [responses.move_task(task) for task in tasks]}


ACTIONS: Mapping[str, Callable[[Call], Document]] = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "ListQueues": list_queues,
    "DeleteQueue": delete_queue,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "PurgeQueue": purge_queue,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "StartMessageMoveTask": start_message_move_task,
    "CancelMessageMoveTask": cancel_message_move_task,
    "ListMessageMoveTasks": list_message_move_tasks,
}
