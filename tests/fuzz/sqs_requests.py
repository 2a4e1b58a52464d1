"""Hypothesis strategies for SQS requests shaped by botocore's service model: near-valid, so fuzzing gets deep.

Each action's input is drawn member by member from its shapes (required members always,
optional ones sometimes), with values from edge-heavy pools and, now and then, a value of the
wrong type. The same documents are sent as AWS JSON 1.0 bodies or flattened into Query forms.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.session
from botocore.model import Shape
from hypothesis import strategies as st

ACCOUNT = "123456789012"
BASE_URL = "http://127.0.0.1:9324"
QUEUE = "fuzzed"
FIFO_QUEUE = "fuzzed.fifo"
DEAD_LETTER_QUEUE = "fuzzed-dlq"

SQS_MODEL = botocore.session.get_session().get_service_model("sqs")

_LIVE_QUEUE_URLS = [f"{BASE_URL}/{ACCOUNT}/{name}" for name in (QUEUE, FIFO_QUEUE, DEAD_LETTER_QUEUE)]
# Mostly live queues, so requests get past the queue lookup.
QUEUE_URLS = st.sampled_from(
    _LIVE_QUEUE_URLS * 3 + [f"{BASE_URL}/{ACCOUNT}/missing", f"{BASE_URL}/000000000000/{QUEUE}", "x", ""]
)
QUEUE_ARNS = st.sampled_from(
    [f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}" for name in (QUEUE, FIFO_QUEUE, DEAD_LETTER_QUEUE, "missing")]
    + ["arn:aws:sqs:us-east-1:1:x", "arn", ""]
)
HUGE_INTEGERS = st.integers(min_value=-(10**40), max_value=10**40)
INTEGERS = st.one_of(st.integers(min_value=-2, max_value=1000), st.sampled_from([43_200, 43_201, 2**31, 2**63]))
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["All", ".*", "a.b", "\x00", "\ud800", "x" * 300]))
ATTRIBUTE_VALUES = st.one_of(
    TEXT,
    INTEGERS.map(str),
    st.sampled_from(
        [
            "true",
            "false",
            "",
            "{}",
            '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:fuzzed-dlq","maxReceiveCount":1}',
            '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:fuzzed","maxReceiveCount":"1e400"}',
            '{"redrivePermission":"byQueue","sourceQueueArns":[]}',
            '{"Version":"2012-10-17","Statement":[]}',
            "alias/aws/sqs",
        ]
    ),
)
DATA_TYPES = st.sampled_from(["String", "Number", "Binary", "String.custom", "Number.x", "Binary.b", "Bogus", ""])
SCALARS = st.one_of(st.none(), st.booleans(), HUGE_INTEGERS, st.floats(allow_nan=False), st.text(max_size=20))
ANY_JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)

# Query names of list and map members (see §1.4.1 of the spec): model name -> flattened entry name.
_QUERY_LISTS = {
    "AttributeNames": "AttributeName",
    "MessageSystemAttributeNames": "AttributeName",
    "MessageAttributeNames": "MessageAttributeName",
    "TagKeys": "TagKey",
    "AWSAccountIds": "AWSAccountId",
    "Actions": "ActionName",
    "StringListValues": "StringListValue",
    "BinaryListValues": "BinaryListValue",
}
_QUERY_MAPS = {
    "Attributes": ("Attribute", "Name", "Value"),
    "tags": ("Tag", "Key", "Value"),
    "Tags": ("Tag", "Key", "Value"),
    "MessageAttributes": ("MessageAttribute", "Name", "Value"),
    "MessageSystemAttributes": ("MessageSystemAttribute", "Name", "Value"),
}


def action_input(action: str) -> st.SearchStrategy[dict[str, Any]]:
    """The input of `action` as a JSON-ready document (blobs as base64)."""
    shape = SQS_MODEL.operation_model(action).input_shape
    if shape is None:
        return st.just({})
    return _proper(shape, action)


def _value(shape: Shape, name: str) -> st.SearchStrategy[Any]:
    proper = _proper(shape, name)
    # One member in twenty gets a value of the wrong type: enough to probe, few enough to go deep.
    return st.integers(min_value=0, max_value=19).flatmap(lambda roll: ANY_JSON if roll == 0 else proper)


def _proper(shape: Shape, name: str) -> st.SearchStrategy[Any]:
    if shape.type_name == "structure":
        members = shape.members
        required = set(shape.required_members)
        return st.fixed_dictionaries(
            {member: _value(members[member], member) for member in members if member in required},
            optional={member: _value(members[member], member) for member in members if member not in required},
        )
    if shape.type_name == "list":
        return st.lists(_value(shape.member, name), max_size=11)
    if shape.type_name == "map":
        return st.dictionaries(_map_keys(shape), _value(shape.value, name), max_size=4)
    if shape.type_name == "blob":
        # ASCII only: a non-ASCII "base64" string is a known 500 (see KNOWN_FAILURES in the tests).
        return st.one_of(st.binary(max_size=20).map(lambda data: base64.b64encode(data).decode()), TEXT)
    if shape.type_name == "integer":
        return st.one_of(INTEGERS, HUGE_INTEGERS)
    if shape.type_name == "boolean":
        return st.booleans()
    return _string(shape, name)


def _map_keys(shape: Shape) -> st.SearchStrategy[str]:
    enum = shape.key.enum
    return st.one_of(st.sampled_from(enum), TEXT) if enum else TEXT


def _string(shape: Shape, name: str) -> st.SearchStrategy[str]:
    if name == "QueueUrl":
        return QUEUE_URLS
    if name in ("SourceArn", "DestinationArn"):
        return QUEUE_ARNS
    if name == "DataType":
        return DATA_TYPES
    if name in ("Attributes", "tags", "Tags"):
        return ATTRIBUTE_VALUES
    if shape.enum:
        return st.one_of(st.sampled_from(shape.enum), TEXT)
    return st.one_of(TEXT, INTEGERS.map(str))


def json_body(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def query_pairs(action: str, document: dict[str, Any]) -> list[tuple[str, str]]:
    """`document` flattened into Query parameters as botocore's Query serializer names them."""
    pairs = [("Action", action), ("Version", "2012-11-05")]
    shape = SQS_MODEL.operation_model(action).input_shape
    _flatten("", shape, document, pairs)
    return pairs


def _flatten(prefix: str, shape: Shape | None, value: Any, pairs: list[tuple[str, str]]) -> None:
    if shape is None or not _fits(shape, value):
        pairs.append((prefix.rstrip("."), _scalar(value)))
        return
    if shape.type_name == "structure":
        for member, member_value in value.items():
            _flatten_member(prefix, member, shape.members.get(member), member_value, pairs)
    else:
        pairs.append((prefix.rstrip("."), _scalar(value)))


def _flatten_member(prefix: str, member: str, shape: Shape | None, value: Any, pairs: list[tuple[str, str]]) -> None:
    if shape is not None and shape.type_name == "list" and isinstance(value, list):
        entry = _QUERY_LISTS.get(member, shape.member.name)
        for index, item in enumerate(value, start=1):
            _flatten(f"{prefix}{entry}.{index}.", shape.member, item, pairs)
        return
    if shape is not None and shape.type_name == "map" and isinstance(value, dict):
        entry, key_name, value_name = _QUERY_MAPS.get(member, (member, "Key", "Value"))
        for index, (key, item) in enumerate(value.items(), start=1):
            pairs.append((f"{prefix}{entry}.{index}.{key_name}", key))
            _flatten(f"{prefix}{entry}.{index}.{value_name}.", shape.value, item, pairs)
        return
    _flatten(f"{prefix}{member}.", shape, value, pairs)


def _fits(shape: Shape, value: Any) -> bool:
    return shape.type_name != "structure" or isinstance(value, dict)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) or value is None:
        return str(value)
    return json.dumps(value)
