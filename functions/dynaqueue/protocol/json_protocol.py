"""AWS JSON 1.0 dispatch: `X-Amz-Target: AmazonSQS.<Action>` to the action, any failure to its error envelope."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dynaqueue.domain.errors import InvalidAction
from dynaqueue.protocol.errors import error_code, json_error_response
from dynaqueue.protocol.exchange import HttpRequest, HttpResponse, Outcome
from dynaqueue.protocol.json_actions import ACTIONS, Call
from dynaqueue.protocol.json_codec import JSON_CONTENT_TYPE, decode_object, encode_json
from dynaqueue.protocol.json_members import Members
from dynaqueue.protocol.json_responses import Document

if TYPE_CHECKING:
    from dynaqueue.domain.service import QueueService

TARGET_PREFIX = "AmazonSQS."


def handle(request: HttpRequest, service_factory: Callable[[], QueueService]) -> Outcome:
    """Serve one JSON request; never raises, so every failure reaches the client in SQS's shape.

    The service comes from a factory so that a failure to build it (bad configuration) is
    answered like any other internal error.
    """
    target = request.headers.get("x-amz-target")
    action = target.removeprefix(TARGET_PREFIX) if target else None
    call: Call | None = None
    try:
        serve = _action(action)
        members = Members(decode_object(request.body))
        call = Call(service_factory(), members, request.base_url)
        document = serve(call)
    # Anything at all: an unexpected exception is a 500 InternalError, never a dropped request.
    except Exception as error:
        return Outcome(
            response=json_error_response(error, request.request_id),
            action=action,
            queue_name=call.queue_name if call else None,
            error_code=error_code(error),
            error=error,
        )
    return Outcome(
        response=HttpResponse(
            status=200,
            headers={"Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": request.request_id},
            body=encode_json(document),
        ),
        action=action,
        queue_name=call.queue_name,
        message_count=call.message_count,
    )


def _action(action: str | None) -> Callable[[Call], Document]:
    if action is None:
        raise InvalidAction("The request must name an action in the X-Amz-Target header.")
    serve = ACTIONS.get(action)
    if serve is None:
        raise InvalidAction(f"The action {action} is not valid for this endpoint.")
    return serve
