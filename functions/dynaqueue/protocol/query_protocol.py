"""AWS Query dispatch: the `Action` parameter to the action, results and failures to XML envelopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dynaqueue.domain.errors import InvalidAction
from dynaqueue.protocol.errors import error_code
from dynaqueue.protocol.exchange import HttpRequest, Outcome
from dynaqueue.protocol.json_actions import ACTIONS, Call
from dynaqueue.protocol.json_responses import Document
from dynaqueue.protocol.query_codec import decode_parameters
from dynaqueue.protocol.query_members import QueryMembers
from dynaqueue.protocol.query_responses import error_response, success_response, unknown_operation_response

if TYPE_CHECKING:
    from dynaqueue.domain.service import QueueService

# Actions that address no queue, refused when sent to a queue's URL path.
_NOT_ON_A_QUEUE = frozenset({"CreateQueue", "ListQueues"})


def handle(request: HttpRequest, service_factory: Callable[[], QueueService]) -> Outcome:
    """Serve one Query request; never raises, so every failure reaches the client in SQS's shape.

    A request sent to a queue URL (`/<account>/<queue>`) acts on that queue unless it names
    another with an explicit `QueueUrl` parameter.
    """
    action: str | None = None
    call: Call | None = None
    try:
        parameters = decode_parameters(request)
        action = parameters.get("Action") or None
        if action is None:
            return Outcome(
                response=unknown_operation_response(request.request_id), error_code="UnknownOperationException"
            )
        on_queue = _is_queue_path(request.path)
        serve = _action(action, on_queue=on_queue)
        if on_queue:
            parameters.setdefault("QueueUrl", request.path)
        call = Call(service_factory(), QueryMembers.of(parameters), request.base_url)
        document = serve(call)
    # Anything at all: an unexpected exception is a 500 InternalError, never a dropped request.
    except Exception as error:
        return Outcome(
            response=error_response(error, request.request_id),
            action=action,
            queue_name=call.queue_name if call else None,
            error_code=error_code(error),
            error=error,
        )
    return Outcome(
        response=success_response(action, document, request.request_id),
        action=action,
        queue_name=call.queue_name,
        message_count=call.message_count,
    )


def _is_queue_path(path: str) -> bool:
    """Anything but the root is taken as a queue URL path; a path naming no queue fails as its QueueUrl would."""
    return bool(path.strip("/"))


def _action(action: str, *, on_queue: bool) -> Callable[[Call], Document]:
    serve = ACTIONS.get(action)
    if serve is None or (on_queue and action in _NOT_ON_A_QUEUE):
        raise InvalidAction(f"The action {action} is not valid for this endpoint.")
    return serve
