"""Authentication in front of the actions: refusals in the protocol the request speaks, and who the caller is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dynaqueue.domain.access_keys import AccessKey, Principal
from dynaqueue.handlers.access import serve
from dynaqueue.handlers.audit import request_event
from dynaqueue.protocol.authentication import Authenticator
from dynaqueue.protocol.exchange import Headers
from dynaqueue.storage.access_keys_embedded import EmbeddedAccessKeys
from tests.fakes import FakeClock
from tests.sigv4_signing import ACCESS_KEY_ID, SECRET, SIGNED_AT, header_signed
from tests.unit.fake_queue_service import ACCOUNT_ID, FakeQueueService

QUERY_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[EmbeddedAccessKeys]:
    store = EmbeddedAccessKeys(tmp_path / "keys.db", b"s" * 32)
    store.add(AccessKey(ACCESS_KEY_ID, SECRET, Principal(ACCOUNT_ID), enabled=True, created_at_ms=0))
    yield store
    store.close()


def authenticator(keys: Any) -> Authenticator:
    return Authenticator(keys, owner_account_id=ACCOUNT_ID, clock=FakeClock(int(SIGNED_AT.timestamp() * 1000)))


def test_a_signed_request_from_the_owner_is_served(keys):
    service = FakeQueueService(list_queues=(["q"], None))

    outcome, caller = serve(header_signed(), lambda: authenticator(keys), lambda: service)

    assert outcome.response.status == 200
    assert caller is not None and caller.access_key_id == ACCESS_KEY_ID
    assert caller.principal.arn == f"arn:aws:iam::{ACCOUNT_ID}:root"


def test_an_unsigned_query_request_is_refused_in_xml(keys):
    request = replace(header_signed(b"Action=ListQueues", headers=QUERY_HEADERS), headers=Headers({"Host": "h"}))

    outcome, caller = serve(request, lambda: authenticator(keys), FakeQueueService)

    assert caller is None
    assert outcome.response.status == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in outcome.response.body
    assert outcome.error_code == "MissingAuthenticationToken"


def test_a_wrongly_signed_json_request_is_refused_with_the_query_error_header(keys):
    outcome, _ = serve(header_signed(secret="wrong"), lambda: authenticator(keys), FakeQueueService)

    assert outcome.response.status == 403
    assert outcome.response.headers["x-amzn-query-error"] == "SignatureDoesNotMatch;Sender"
    assert json.loads(outcome.response.body)["__type"] == "com.amazon.coral.service#InvalidSignatureException"


def test_a_key_store_failure_is_an_internal_error_that_reveals_nothing():
    class BrokenKeys:
        def get(self, access_key_id: str) -> None:
            raise RuntimeError("table arn:aws:dynamodb:... is unreachable")

    outcome, _ = serve(header_signed(), lambda: authenticator(BrokenKeys()), FakeQueueService)

    assert outcome.response.status == 500
    assert b"unreachable" not in outcome.response.body


def test_with_authentication_off_any_credentials_are_the_owners(keys):
    outcome, caller = serve(header_signed(secret="anything"), lambda: authenticator(None), FakeQueueService)

    assert outcome.response.status == 200
    assert caller is not None and caller.principal.account_id == ACCOUNT_ID
    assert caller.access_key_id == ACCESS_KEY_ID


def test_a_refusal_is_audited_with_the_key_it_claimed_and_never_the_body(keys):
    request = header_signed(b'{"QueueNamePrefix": "private"}', secret="wrong")
    outcome, caller = serve(request, lambda: authenticator(keys), FakeQueueService)

    event = request_event(request, outcome, caller, now_ms=0)

    assert event is not None
    assert event["event"] == "AccessDenied" and event["outcome"] == "denied"
    assert event["error_code"] == "SignatureDoesNotMatch"
    assert event["access_key_id"] == ACCESS_KEY_ID
    assert "private" not in json.dumps(event)


def test_reads_by_the_owner_are_not_audited(keys):
    request = header_signed()
    outcome, caller = serve(request, lambda: authenticator(keys), FakeQueueService)

    assert request_event(request, outcome, caller, now_ms=0) is None
