"""Request headers read off the connection: fields, limits and what HTTP/1.1 refuses."""

from __future__ import annotations

import io

import pytest

from dynaqueue.local.http_headers import MAX_HEADERS, MAX_LINE_BYTES, HeaderError, read_headers


def read(block: bytes) -> tuple[object, bytes]:
    stream = io.BufferedReader(io.BytesIO(block))
    headers = read_headers(stream)
    return headers, stream.read()


def test_fields_keep_their_order_and_are_found_whatever_the_case():
    headers, rest = read(
        b"Host: 127.0.0.1:9324\r\nX-Amz-Date:20261125T171000Z\r\nx-amz-date: 20991231T000000Z\r\n"
        b"Content-Length:  2 \t\r\n\r\n{}"
    )

    assert list(headers.items()) == [
        ("Host", "127.0.0.1:9324"),
        ("X-Amz-Date", "20261125T171000Z"),
        ("x-amz-date", "20991231T000000Z"),
        ("Content-Length", "2"),
    ]
    assert headers.get("X-AMZ-DATE") == "20261125T171000Z"
    assert headers.get("content-length") == "2"
    assert headers.get("Expect") is None
    assert headers.get("Expect", "") == ""
    assert rest == b"{}"


def test_bare_line_feeds_and_an_empty_value_are_accepted():
    headers, rest = read(b"Host: a\nX-Empty:\n\nbody")

    assert list(headers.items()) == [("Host", "a"), ("X-Empty", "")]
    assert rest == b"body"


def test_a_closed_connection_ends_the_block():
    headers, _ = read(b"Host: a\r\n")

    assert list(headers.items()) == [("Host", "a")]


@pytest.mark.parametrize(
    ("block", "status"),
    [
        (b"Host: a\r\n continued\r\n\r\n", 400),
        (b"Host : a\r\n\r\n", 400),
        (b"no colon here\r\n\r\n", 400),
        (b": no name\r\n\r\n", 400),
        (b"X-Long: " + b"a" * MAX_LINE_BYTES + b"\r\n\r\n", 431),
        (b"".join(b"X-%d: v\r\n" % index for index in range(MAX_HEADERS + 1)) + b"\r\n", 431),
    ],
    ids=["folded", "space-before-colon", "no-colon", "no-name", "line-too-long", "too-many"],
)
def test_what_http_1_1_does_not_allow_is_refused_with_its_status(block: bytes, status: int):
    with pytest.raises(HeaderError) as refused:
        read(block)

    assert refused.value.status == status


def test_exactly_the_maximum_number_of_fields_is_accepted():
    headers, _ = read(b"".join(b"X-%d: v\r\n" % index for index in range(MAX_HEADERS)) + b"\r\n")

    assert len(headers) == MAX_HEADERS
