"""Fuzzing both wire protocols: whatever a client sends, the answer is never a 5xx and always in SQS's shape.

Requests go through `dispatch.handle` to a real service on an embedded store (with encryption at
rest), so a crash anywhere behind the parsers would show as a 500 InternalError.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dynaqueue.domain.service import QueueService
from dynaqueue.protocol import dispatch
from dynaqueue.protocol.exchange import Headers, HttpRequest, HttpResponse
from dynaqueue.protocol.json_actions import ACTIONS
from dynaqueue.storage.data_keys import LocalKeyProvider
from dynaqueue.storage.data_keys_cache import DataKeyCache
from dynaqueue.storage.embedded import EmbeddedStore
from dynaqueue.storage.encryption import EncryptingStore
from tests.fuzz.sqs_requests import (
    ACCOUNT,
    BASE_URL,
    DEAD_LETTER_QUEUE,
    FIFO_QUEUE,
    HUGE_INTEGERS,
    QUEUE,
    QUEUE_URLS,
    SQS_MODEL,
    action_input,
    json_body,
    query_pairs,
)

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
QUERY_ERROR_HEADER = re.compile(r"[A-Za-z0-9.]+;(Sender|Receiver)")

ACTION_NAMES = sorted(ACTIONS)
# Deleting the fixture's queues would leave every later example a QueueDoesNotExist (and a queue
# cannot be re-created for 60 s); DeleteQueue is still fuzzed by the tests of random targets.
MODELLED_ACTIONS = [action for action in ACTION_NAMES if action != "DeleteQueue"]


class SkippingClock:
    """Wall time from the system; every monotonic reading a minute after the last, so no long poll ever waits."""

    def __init__(self) -> None:
        self._monotonic = 0.0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        self._monotonic += 60.0
        return self._monotonic


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueueService]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    clock = SkippingClock()
    embedded = EmbeddedStore(data_dir / "fuzz.db", clock=clock)
    store = EncryptingStore(embedded, DataKeyCache(LocalKeyProvider(bytes(range(32))), clock))
    queue_service = QueueService(store, clock=clock, account_id=ACCOUNT, region="us-east-1", receipt_secret=b"k" * 32)
    queue_service.create_queue(QUEUE, {}, {})
    queue_service.create_queue(FIFO_QUEUE, {"FifoQueue": "true"}, {})
    queue_service.create_queue(DEAD_LETTER_QUEUE, {}, {})
    yield queue_service
    embedded.close()


# --- what the fuzzer sends ------------------------------------------------------------------


def _member_names() -> list[str]:
    names: set[str] = set()
    for operation in SQS_MODEL.operation_names:
        shape = SQS_MODEL.operation_model(operation).input_shape
        if shape is not None:
            names.update(shape.members)
    return sorted(names)


MEMBER_NAMES = _member_names()
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    HUGE_INTEGERS,
    st.integers(min_value=-5, max_value=30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    QUEUE_URLS,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(MEMBER_NAMES), st.text(max_size=10)), children, max_size=4),
    ),
    max_leaves=20,
)
JSON_DOCUMENTS = st.dictionaries(st.sampled_from(MEMBER_NAMES), JSON_VALUES, max_size=6)
JSON_TARGETS = st.one_of(
    st.sampled_from(ACTION_NAMES).map(lambda action: f"AmazonSQS.{action}"),
    st.text(max_size=30),
    st.none(),
)

# Query names: model names, their flattened forms with indexes (some absurd), and noise.
QUERY_INDEXES = st.one_of(st.integers(min_value=0, max_value=12), HUGE_INTEGERS, st.just(-1)).map(str)
QUERY_SUFFIXES = st.sampled_from(
    [
        "",
        ".Name",
        ".Value",
        ".Key",
        ".Id",
        ".MessageBody",
        ".Value.DataType",
        ".Value.StringValue",
        ".Value.BinaryValue",
    ]
)
QUERY_NAMES = st.one_of(
    st.sampled_from(MEMBER_NAMES),
    st.builds(
        lambda stem, index, suffix: f"{stem}.{index}{suffix}",
        st.sampled_from(
            [
                "Attribute",
                "AttributeName",
                "MessageAttribute",
                "MessageAttributeName",
                "MessageSystemAttribute",
                "Tag",
                "TagKey",
                "SendMessageBatchRequestEntry",
                "DeleteMessageBatchRequestEntry",
                "ChangeMessageVisibilityBatchRequestEntry",
                "AWSAccountId",
                "ActionName",
            ]
        ),
        QUERY_INDEXES,
        QUERY_SUFFIXES,
    ),
    st.text(max_size=15),
)
QUERY_VALUES = st.one_of(st.text(max_size=40), HUGE_INTEGERS.map(str), QUEUE_URLS, st.sampled_from(["true", "", "0"]))
# Invalid percent-encoded UTF-8 (a stray byte, an encoded surrogate), a lone `%`, empty names.
BROKEN_FORM_TAILS = [b"", b"&%FF=%FE", b"&MessageBody=%ED%A0%80", b"&%", b"&=&&"]
QUERY_ACTIONS = st.one_of(st.sampled_from(ACTION_NAMES), st.text(max_size=20))


@st.composite
def query_bodies(draw: st.DrawFn) -> bytes:
    """A form body: an Action (usually a real one) and random parameters, percent-encoded or raw bytes."""
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(st.binary(max_size=200))
    pairs = [("Action", draw(QUERY_ACTIONS))]
    pairs += draw(st.lists(st.tuples(QUERY_NAMES, QUERY_VALUES), max_size=8))
    encoded = urlencode(pairs, quote_via=quote, errors="surrogatepass")
    return encoded.encode("ascii") + draw(
        st.sampled_from([b"", b"&%FF=%FE", b"&MessageBody=%ED%A0%80", b"&%", b"&=&&"])
    )


def request(
    *, body: bytes, headers: dict[str, str], path: str = "/", method: str = "POST", query: str = ""
) -> HttpRequest:
    return HttpRequest(
        method=method,
        path=path,
        headers=Headers(headers),
        body=body,
        base_url=BASE_URL,
        request_id="fuzz-request",
        query_string=query,
    )


def json_request(target: str | None, body: bytes) -> HttpRequest:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        headers["X-Amz-Target"] = target
    return request(body=body, headers=headers)


def query_request(body: bytes, *, path: str = "/") -> HttpRequest:
    return request(body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, path=path)


# --- what every answer must look like -------------------------------------------------------


def assert_json_answer(response: HttpResponse) -> None:
    assert response.status < 500, response.body
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    document = json.loads(response.body)
    assert isinstance(document, dict)
    if response.status >= 400:
        assert set(document) == {"__type", "message"}
        assert re.fullmatch(r"com\.amazon(aws\.sqs|\.coral\.service)#\w+", document["__type"])
        assert isinstance(document["message"], str)
        assert QUERY_ERROR_HEADER.fullmatch(response.headers["x-amzn-query-error"])
    else:
        assert response.status == 200


def assert_query_answer(response: HttpResponse) -> None:
    assert response.status < 500, response.body
    assert response.headers["Content-Type"] == "text/xml"
    root = ElementTree.fromstring(response.body)
    if response.status == 404 and root.tag == "UnknownOperationException":
        return  # SQS's own answer to a request naming no action
    namespace = "{http://queue.amazonaws.com/doc/2012-11-05/}"
    if response.status >= 400:
        assert root.tag == f"{namespace}ErrorResponse"
        error = root.find(f"{namespace}Error")
        assert error is not None
        assert error.findtext(f"{namespace}Type") == "Sender"
        assert error.findtext(f"{namespace}Code")
        assert error.findtext(f"{namespace}Message") is not None
        assert root.findtext(f"{namespace}RequestId") == "fuzz-request"
    else:
        assert response.status == 200
        assert root.tag.endswith("Response")


# --- the properties -------------------------------------------------------------------------


@FUZZ
@given(target=JSON_TARGETS, document=JSON_DOCUMENTS)
def test_any_json_document_gets_a_well_formed_answer(service: QueueService, target: str | None, document: Any) -> None:
    body = json.dumps(document).encode()
    assert_json_answer(dispatch.handle(json_request(target, body), lambda: service).response)


@FUZZ
@given(target=JSON_TARGETS, body=st.binary(max_size=300))
@example(target="AmazonSQS.SendMessage", body=b"[" * 100_000)
@example(target="AmazonSQS.SendMessage", body=b'{"a":' * 50_000)
@example(target="AmazonSQS.ReceiveMessage", body=b'{"MaxNumberOfMessages":' + b"9" * 10_000 + b"}")
@example(target="AmazonSQS.ReceiveMessage", body=b'{"MaxNumberOfMessages":1e999999}')
@example(target="AmazonSQS.CreateQueue", body=b'{"QueueName":"\xff\xfe"}')
@example(target="AmazonSQS.CreateQueue", body=b'{"QueueName":"\\ud800"}')
@example(target="AmazonSQS.SendMessage", body=b'{"QueueUrl":"x","MessageBody":"a","DelaySeconds":NaN}')
@example(target="AmazonSQS.ListQueues", body=b"\xef\xbb\xbf{}")
@example(target="AmazonSQS.ListQueues", body=b"null")
def test_any_json_bytes_get_a_well_formed_answer(service: QueueService, target: str | None, body: bytes) -> None:
    assert_json_answer(dispatch.handle(json_request(target, body), lambda: service).response)


@st.composite
def modelled_requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    action = draw(st.sampled_from(MODELLED_ACTIONS))
    return action, draw(action_input(action))


@FUZZ
@given(modelled=modelled_requests())
def test_every_action_with_model_shaped_json_members(service: QueueService, modelled: tuple[str, Any]) -> None:
    action, document = modelled
    answer = dispatch.handle(json_request(f"AmazonSQS.{action}", json_body(document)), lambda: service)
    assert_json_answer(answer.response)


@FUZZ
@given(modelled=modelled_requests())
def test_every_action_with_model_shaped_query_parameters(service: QueueService, modelled: tuple[str, Any]) -> None:
    action, document = modelled
    body = urlencode(query_pairs(action, document), quote_via=quote, errors="surrogatepass").encode("ascii")
    assert_query_answer(dispatch.handle(query_request(body), lambda: service).response)


@FUZZ
@given(body=query_bodies())
@example(body=b"Action=SendMessage&QueueUrl=x&MessageBody=" + b"%5B" * 10_000)
@example(body=b"Action=ReceiveMessage&MaxNumberOfMessages=" + b"9" * 10_000)
@example(body=b"Action=CreateQueue&QueueName=q&Attribute." + b"9" * 5_000 + b".Name=DelaySeconds")
@example(body=b"Action=CreateQueue&QueueName=q" + b"".join(b"&Attribute.%d.Name=a" % n for n in range(1, 2_000)))
@example(body=b"Action=SendMessage&QueueUrl=x&MessageBody=%FF%FE")
@example(body=b"Action=SendMessage&QueueUrl=x&MessageBody=\xff")
@example(body=b"Action=TagQueue&QueueUrl=x&Tag.1.Key.Extra.Deep.Name.Part.Seven=v")
def test_any_query_form_gets_a_well_formed_answer(service: QueueService, body: bytes) -> None:
    assert_query_answer(dispatch.handle(query_request(body), lambda: service).response)


@FUZZ
@given(body=query_bodies(), path=st.sampled_from([f"/{ACCOUNT}/{QUEUE}", f"/{ACCOUNT}/{FIFO_QUEUE}", "/x/y/z", "//"]))
def test_query_forms_sent_to_a_queue_path_get_a_well_formed_answer(
    service: QueueService, body: bytes, path: str
) -> None:
    assert_query_answer(dispatch.handle(query_request(body, path=path), lambda: service).response)


@FUZZ
@given(query=st.one_of(st.text(max_size=200), query_bodies().map(lambda body: body.decode("latin-1"))))
def test_any_query_string_of_a_get_gets_a_well_formed_answer(service: QueueService, query: str) -> None:
    answer = dispatch.handle(request(body=b"", headers={}, method="GET", query=query), lambda: service)
    assert_query_answer(answer.response)


# --- what fuzzing found ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"QueueName":"\\ud800"}',
        b'{"QueueName":"\xed\xa0\x80"}',
        b'{"QueueName":"q","Tags":{"\\udfff":"v"}}',
        b'{"QueueName":"\\ud83d\\ud83d"}',
    ],
    ids=["escaped", "raw-bytes", "in-a-key", "two-highs"],
)
def test_an_unpaired_surrogate_is_refused_before_it_reaches_storage(service: QueueService, body: bytes) -> None:
    response = dispatch.handle(json_request("AmazonSQS.GetQueueUrl", body), lambda: service).response

    assert_json_answer(response)
    assert response.status == 400
    assert json.loads(response.body)["__type"].endswith("#InvalidParameterValueException")


def test_an_escaped_surrogate_pair_is_one_character_and_accepted(service: QueueService) -> None:
    body = json.dumps({"QueueName": "\U0001f600"}).encode()  # sent as "\ud83d\ude00"

    response = dispatch.handle(json_request("AmazonSQS.GetQueueUrl", body), lambda: service).response

    assert json.loads(response.body)["__type"].endswith("#QueueDoesNotExist")


# Found by the fuzzer; the fix belongs in json_members.py / query_members.py (`optional_blob` catches
# binascii.Error but not the ValueError base64 raises for non-ASCII text). Strict xfail: remove once fixed.
def test_a_non_ascii_binary_value_is_a_client_error_in_json(service: QueueService) -> None:
    attributes = {"a": {"DataType": "Binary", "BinaryValue": "\u0080"}}
    body = json.dumps(
        {"QueueUrl": f"{BASE_URL}/{ACCOUNT}/{QUEUE}", "MessageBody": "x", "MessageAttributes": attributes}
    )

    response = dispatch.handle(json_request("AmazonSQS.SendMessage", body.encode()), lambda: service).response

    assert response.status == 400


def test_a_non_ascii_binary_value_is_a_client_error_in_query(service: QueueService) -> None:
    parameters = {
        "Action": "SendMessage",
        "QueueUrl": f"{BASE_URL}/{ACCOUNT}/{QUEUE}",
        "MessageBody": "x",
        "MessageAttribute.1.Name": "a",
        "MessageAttribute.1.Value.DataType": "Binary",
        "MessageAttribute.1.Value.BinaryValue": "\u0080",
    }

    response = dispatch.handle(query_request(urlencode(parameters).encode()), lambda: service).response

    assert response.status == 400
