"""MD5 digests reproduce the worked example and every vector captured from real SQS."""

from __future__ import annotations

import hashlib
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynaqueue.domain.checksums import attribute_value_bytes, md5_of_attributes, md5_of_body
from dynaqueue.domain.model import MessageAttributeValue


def string(value: str, data_type: str = "String") -> MessageAttributeValue:
    return MessageAttributeValue(data_type=data_type, string_value=value)


def binary(value: bytes, data_type: str = "Binary") -> MessageAttributeValue:
    return MessageAttributeValue(data_type=data_type, binary_value=value)


KENOBI = {"General": string("Kenobi"), "Hello": string("There"), "Help.Me": string("Me")}


@pytest.mark.parametrize(
    ("body", "digest"),
    [
        ("Hello, SQS!", "982e00ffc10ba49378a8653ca8fecf47"),
        ("message", "78e731027d8fd50ed642340b7c9a63b3"),
        ("test", "098f6bcd4621d373cade4e832627b4f6"),
        ("msg", "6e2baaf3b97dbeef01c0043275f9a0e7"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
    ],
)
def test_body_digest_matches_aws(body: str, digest: str) -> None:
    assert md5_of_body(body) == digest


def test_body_digest_is_taken_over_utf8_bytes() -> None:
    assert md5_of_body("héllo 🚀") == hashlib.md5("héllo 🚀".encode()).hexdigest()


def test_worked_example_digest() -> None:
    attributes = {
        "Zeta": string("héllo"),
        "alpha": string("3.14", "Number.float"),
        "Blob": binary(b"\x00\xff\x10"),
    }

    assert md5_of_attributes(attributes) == "600f353b030bf8c264aadd2a6c6da5ed"


# The encoded pieces exactly as the spec lists them (§5.4), name by name.
WORKED_EXAMPLE_ENCODING = bytes.fromhex(
    "00 00 00 04 42 6c 6f 62 00 00 00 06 42 69 6e 61 72 79 02 00 00 00 03 00 ff 10"
    " 00 00 00 04 5a 65 74 61 00 00 00 06 53 74 72 69 6e 67 01 00 00 00 06 68 c3 a9 6c 6c 6f"
    " 00 00 00 05 61 6c 70 68 61 00 00 00 0c 4e 75 6d 62 65 72 2e 66 6c 6f 61 74 01 00 00 00 04 33 2e 31 34"
)


def test_worked_example_is_the_md5_of_the_listed_89_bytes() -> None:
    attributes = {"alpha": string("3.14", "Number.float"), "Zeta": string("héllo"), "Blob": binary(b"\x00\xff\x10")}

    assert len(WORKED_EXAMPLE_ENCODING) == 89
    assert md5_of_attributes(attributes) == hashlib.md5(WORKED_EXAMPLE_ENCODING).hexdigest()


def test_trace_header_system_attribute_digest_matches_aws() -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

    assert md5_of_attributes({"AWSTraceHeader": string(trace)}) == "5ae4d5d7636402d80f4eb6d213245a88"


@pytest.mark.parametrize(
    ("attributes", "digest"),
    [
        ({"timestamp": string("1493147359900", "Number")}, "235c5c510d26fb653d073faed50ae77c"),
        ({"MyAttribute": string("foobar")}, "adb59cd4678ea5a855436b949cd07ab6"),
        ({"Foo": string("Bar")}, "ae7155c6026991b6d54b11589678bf9c"),
        ({"k": string("x")}, "a45daa70926828a2f0a1db3418e6feb4"),
        (
            {"attr1": binary(b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01")},
            "8cbe4db156db8a94db8b801b7addb984",
        ),
        (KENOBI, "4c360f3fdafd970e05fae2f149d997f5"),
        ({name: KENOBI[name] for name in ("General", "Hello")}, "fca026605781cb4126a1e9044df24232"),
        ({"Hello": KENOBI["Hello"]}, "a311262e065454b75da111d535b8dacd"),
        ({name: KENOBI[name] for name in ("Hello", "Help.Me")}, "83fee93c1bcd8b9a5a923ffacdc636c7"),
    ],
    ids=[
        "number",
        "my-attribute",
        "foo-bar",
        "k-x",
        "binary",
        "three-strings",
        "filtered-general-hello",
        "filtered-hello",
        "filtered-hello-help-me",
    ],
)
def test_attribute_digest_matches_aws_regression_vectors(
    attributes: dict[str, MessageAttributeValue], digest: str
) -> None:
    assert md5_of_attributes(attributes) == digest


def test_no_attributes_give_no_digest_rather_than_md5_of_nothing() -> None:
    assert md5_of_attributes({}) is None


def test_custom_type_label_is_digested_in_full() -> None:
    assert md5_of_attributes({"n": string("1", "Number.int")}) != md5_of_attributes({"n": string("1", "Number")})


def test_custom_binary_type_uses_binary_transport_byte() -> None:
    encoded = b"\x00\x00\x00\x01g" + b"\x00\x00\x00\x0aBinary.gif" + b"\x02" + b"\x00\x00\x00\x02GI"

    assert md5_of_attributes({"g": binary(b"GI", "Binary.gif")}) == hashlib.md5(encoded).hexdigest()


def test_attribute_value_bytes_are_raw_binary_or_utf8_string() -> None:
    assert attribute_value_bytes(binary(b"\x00\x01")) == b"\x00\x01"
    assert attribute_value_bytes(string("ø", "String.label")) == "ø".encode()
    assert attribute_value_bytes(string("12", "Number")) == b"12"


_NAMES = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "Nd")), min_size=1, max_size=8)
_VALUES = st.one_of(
    st.builds(string, st.text(min_size=1, max_size=8)),
    st.builds(binary, st.binary(min_size=1, max_size=8)),
)


@given(st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=10), st.randoms())
def test_attribute_digest_does_not_depend_on_insertion_order(
    attributes: dict[str, MessageAttributeValue], random: Random
) -> None:
    names = list(attributes)
    random.shuffle(names)

    assert md5_of_attributes({name: attributes[name] for name in names}) == md5_of_attributes(attributes)
