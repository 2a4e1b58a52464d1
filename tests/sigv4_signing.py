"""Requests signed by botocore's own SigV4 signer, as neutral HttpRequests for the verifier under test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from dynaqueue.protocol.exchange import Headers, HttpRequest

SIGNED_AT = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
ACCESS_KEY_ID = "AKDQTESTKEY000000001"
SECRET = "a-secret-access-key-of-forty-characters0"
REGION = "us-east-1"
JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"}


@contextmanager
def signing_time(moment: datetime) -> Iterator[None]:
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=moment.replace(tzinfo=None)):
        yield


def header_signed(
    body: bytes = b"{}",
    *,
    url: str = "https://sqs.example.test/",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    secret: str = SECRET,
    access_key_id: str = ACCESS_KEY_ID,
    service: str = "sqs",
    region: str = REGION,
    at: datetime = SIGNED_AT,
) -> HttpRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or JSON_HEADERS))
    with signing_time(at):
        SigV4Auth(Credentials(access_key_id, secret), service, region).add_auth(request)
    return as_http_request(request.prepare())


def presigned(
    query: str = "Action=ListQueues&Version=2012-11-05",
    *,
    url: str = "https://sqs.example.test/",
    expires: int = 300,
    secret: str = SECRET,
    at: datetime = SIGNED_AT,
) -> HttpRequest:
    request = AWSRequest(method="GET", url=f"{url}?{query}")
    with signing_time(at):
        SigV4QueryAuth(Credentials(ACCESS_KEY_ID, secret), "sqs", REGION, expires=expires).add_auth(request)
    return as_http_request(request.prepare())


def as_http_request(prepared: object) -> HttpRequest:
    parts = urlsplit(prepared.url)  # type: ignore[attr-defined]
    headers = dict(prepared.headers)  # type: ignore[attr-defined]
    headers.setdefault("Host", parts.netloc)
    body = prepared.body or b""  # type: ignore[attr-defined]
    return HttpRequest(
        method=prepared.method,  # type: ignore[attr-defined]
        path=parts.path or "/",
        headers=Headers(headers),
        body=body.encode() if isinstance(body, str) else body,
        base_url=f"{parts.scheme}://{parts.netloc}",
        request_id="request-1",
        query_string=parts.query,
    )
