"""Hostile input against the signature verifier and the authenticated request path: refusals, never crashes or 500s.

Bounded and reproducible: a fixed example count, derandomized, no deadline (the machine is shared).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynaqueue.domain.access_keys import AccessKey, Principal
from dynaqueue.handlers.access import serve
from dynaqueue.protocol import sigv4
from dynaqueue.protocol.auth_errors import AuthenticationError
from dynaqueue.protocol.authentication import Authenticator
from dynaqueue.protocol.exchange import Headers, HttpRequest
from dynaqueue.storage.access_keys_embedded import EmbeddedAccessKeys
from tests.fakes import FakeClock
from tests.sigv4_signing import ACCESS_KEY_ID, SECRET, SIGNED_AT, header_signed, presigned
from tests.unit.fake_queue_service import ACCOUNT_ID, FakeQueueService

FUZZ = settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SIGNED = header_signed(b'{"QueueNamePrefix": "a"}')
PRESIGNED = presigned()

# Fragments a signature is made of, so generated headers get past the first checks often.
FRAGMENTS = st.sampled_from(
    [
        "AWS4-HMAC-SHA256",
        " ",
        ",",
        "=",
        "/",
        ";",
        "Credential=",
        "SignedHeaders=",
        "Signature=",
        ACCESS_KEY_ID,
        "20260101",
        "us-east-1",
        "sqs",
        "aws4_request",
        "host",
        "x-amz-date",
        "content-type",
        "0" * 64,
        "%",
        "%ZZ",
        "%C3",
        "\x00",
        "é",
        "\ud800",
    ]
)
HOSTILE_TEXT = st.one_of(st.text(max_size=200), st.lists(FRAGMENTS, max_size=30).map("".join))
HEADER_NAMES = st.sampled_from(["authorization", "x-amz-date", "date", "host", "content-type", "x-amz-target"])


def requests() -> st.SearchStrategy[HttpRequest]:
    headers = st.dictionaries(HEADER_NAMES, HOSTILE_TEXT, max_size=6)
    query = st.one_of(
        HOSTILE_TEXT,
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "X-Amz-Algorithm",
                        "X-Amz-Credential",
                        "X-Amz-Date",
                        "X-Amz-Expires",
                        "X-Amz-Signature",
                        "X-Amz-SignedHeaders",
                        "Action",
                        "Signature",
                    ]
                ),
                HOSTILE_TEXT,
            ),
            max_size=8,
        ).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)),
    )
    return st.builds(
        HttpRequest,
        method=st.sampled_from(["GET", "POST", "PUT", "", "get"]),
        path=st.one_of(st.just("/"), HOSTILE_TEXT),
        headers=headers.map(Headers),
        body=st.binary(max_size=200),
        base_url=st.just("https://sqs.example.test"),
        request_id=st.just("fuzz"),
        query_string=query,
    )


def mutations(request: HttpRequest) -> st.SearchStrategy[HttpRequest]:
    """The request with exactly one signed part changed."""
    return st.one_of(
        st.binary(max_size=64).filter(lambda body: body != request.body).map(lambda body: replace(request, body=body)),
        st.sampled_from(["GET", "PUT", "DELETE"]).map(lambda method: replace(request, method=method)),
        HOSTILE_TEXT.filter(lambda path: path.strip("/") not in ("", ".")).map(
            lambda path: replace(request, path="/" + path)
        ),
        HOSTILE_TEXT.filter(bool).map(
            lambda extra: replace(request, query_string=request.query_string + "&x=" + extra)
        ),
        HOSTILE_TEXT.filter(lambda host: " ".join(host.split()) != request.headers["host"]).map(
            lambda host: replace(request, headers=Headers({**dict(request.headers), "host": host}))
        ),
    )


def check(request: HttpRequest) -> None:
    signature = sigv4.read_signature(request)
    if signature is not None:
        sigv4.check_time(signature, SIGNED_AT)
        sigv4.verify(request, signature, SECRET)


@FUZZ
@given(requests())
def test_the_verifier_only_ever_refuses_arbitrary_requests(request):
    with contextlib.suppress(AuthenticationError):
        check(request)


@FUZZ
@given(st.one_of(mutations(SIGNED), mutations(PRESIGNED)))
def test_no_change_to_a_signed_part_keeps_the_signature_valid(request):
    with pytest.raises(AuthenticationError):
        check(request)


@pytest.fixture(scope="module")
def authenticator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authenticator]:
    keys = EmbeddedAccessKeys(tmp_path_factory.mktemp("keys") / "keys.db", b"s" * 32)
    keys.add(AccessKey(ACCESS_KEY_ID, SECRET, Principal(ACCOUNT_ID), enabled=True, created_at_ms=0))
    yield Authenticator(keys, owner_account_id=ACCOUNT_ID, clock=FakeClock(int(SIGNED_AT.timestamp() * 1000)))
    keys.close()


@FUZZ
@given(st.one_of(requests(), mutations(SIGNED)))
def test_the_authenticated_path_never_answers_500(authenticator, request):
    outcome, _ = serve(request, lambda: authenticator, FakeQueueService)

    assert outcome.response.status < 500, outcome.error
