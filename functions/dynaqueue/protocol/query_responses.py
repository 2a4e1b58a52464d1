"""Service results and errors rendered as AWS Query XML envelopes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynaqueue.protocol.errors import client_message, error_code, wire_error
from dynaqueue.protocol.exchange import HttpResponse
from dynaqueue.protocol.json_responses import Document
from dynaqueue.protocol.query_codec import XML_CONTENT_TYPE, xml_text

_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"
_DECLARATION = '<?xml version="1.0"?>'

# Operations whose model has no output: their response carries no `<…Result>` element.
_WITHOUT_RESULT = frozenset(
    {
        "AddPermission",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "DeleteQueue",
        "PurgeQueue",
        "RemovePermission",
        "SetQueueAttributes",
        "TagQueue",
        "UntagQueue",
    }
)

# List members and the element each entry is written as; `Successful` entries are `<Action>ResultEntry`.
_LIST_ENTRIES: Mapping[str, str] = {
    "QueueUrls": "QueueUrl",
    "queueUrls": "QueueUrl",
    "Messages": "Message",
    "Failed": "BatchResultErrorEntry",
    "Results": "ListMessageMoveTasksResultEntry",
}

# Map members: the element each entry is written as, then its key and value elements.
_MAP_ENTRIES: Mapping[str, tuple[str, str, str]] = {
    "Attributes": ("Attribute", "Name", "Value"),
    "Tags": ("Tag", "Key", "Value"),
    "MessageAttributes": ("MessageAttribute", "Name", "Value"),
}


def success_response(action: str, document: Document, request_id: str) -> HttpResponse:
    """The action's output members (the JSON protocol's, absent ones already left out) as XML elements.

    Lists and maps are flattened under the element names of the query-era service model.
    """
    result = "" if action in _WITHOUT_RESULT else _element(f"{action}Result", document, action)
    metadata = f"<ResponseMetadata><RequestId>{xml_text(request_id)}</RequestId></ResponseMetadata>"
    root = f'<{action}Response xmlns="{_NAMESPACE}">{result}{metadata}</{action}Response>'
    return _xml_response(200, request_id, root)


def error_response(error: BaseException, request_id: str) -> HttpResponse:
    """The Query error envelope: code and status from the shared error table, RequestId outside any metadata."""
    wire = wire_error(error_code(error))
    message = wire.query_message or client_message(error)
    return _xml_response(
        wire.status,
        request_id,
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>{wire.fault}</Type><Code>{xml_text(wire.query_code)}</Code>'
        f"<Message>{xml_text(message)}</Message><Detail/></Error>"
        f"<RequestId>{xml_text(request_id)}</RequestId></ErrorResponse>",
    )


def unknown_operation_response(request_id: str) -> HttpResponse:
    """What SQS answers a Query request that names no action at all (exactly this body, no declaration)."""
    return HttpResponse(
        status=404,
        headers={"Content-Type": XML_CONTENT_TYPE, "x-amzn-RequestId": request_id},
        body=b"<UnknownOperationException/>",
    )


def _xml_response(status: int, request_id: str, root: str) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers={"Content-Type": XML_CONTENT_TYPE, "x-amzn-RequestId": request_id},
        body=f"{_DECLARATION}\n{root}".encode(),
    )


def _members(document: Mapping[str, Any], action: str) -> str:
    return "".join(_member(name, value, action) for name, value in document.items())


def _member(name: str, value: Any, action: str) -> str:
    if isinstance(value, list):
        entry = f"{action}ResultEntry" if name == "Successful" else _LIST_ENTRIES[name]
        return "".join(_element(entry, item, action) for item in value)
    if name in _MAP_ENTRIES:
        entry, key, item = _MAP_ENTRIES[name]
        return "".join(
            f"<{entry}><{key}>{xml_text(map_key)}</{key}>{_element(item, map_value, action)}</{entry}>"
            for map_key, map_value in value.items()
        )
    return _element(name, value, action)


def _element(name: str, value: Any, action: str) -> str:
    if isinstance(value, Mapping):
        content = _members(value, action)
    # bool before int: True is an int in Python, but `true` on the wire.
    elif isinstance(value, bool):
        content = "true" if value else "false"
    elif isinstance(value, int):
        content = str(value)
    else:
        content = xml_text(value)
    return f"<{name}>{content}</{name}>" if content else f"<{name}/>"
