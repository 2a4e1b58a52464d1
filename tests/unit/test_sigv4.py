"""SigV4 verification against signatures made by botocore, and the codes a bad one is refused with."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dynaqueue.protocol import sigv4
from dynaqueue.protocol.auth_errors import (
    IncompleteSignature,
    InvalidSecurity,
    RequestExpired,
    SignatureDoesNotMatch,
)
from dynaqueue.protocol.exchange import Headers
from tests.sigv4_signing import ACCESS_KEY_ID, SECRET, SIGNED_AT, header_signed, presigned


def verify(request, *, secret=SECRET, now=SIGNED_AT):
    signature = sigv4.read_signature(request)
    assert signature is not None
    sigv4.check_time(signature, now)
    sigv4.verify(request, signature, secret)
    return signature


def test_a_header_signed_json_request_verifies_and_names_its_key():
    signature = verify(header_signed(b'{"QueueNamePrefix": "a b+c"}'))

    assert signature.credential.access_key_id == ACCESS_KEY_ID
    assert signature.credential.region == "us-east-1"
    assert not signature.presigned


def test_a_query_request_sent_to_a_queue_path_with_odd_characters_verifies():
    body = b"Action=SendMessage&Version=2012-11-05&MessageBody=h%C3%A9llo+w%2Frld%7E%21"
    request = header_signed(
        body,
        url="https://sqs.example.test/000000000000/my-queue.fifo?extra=a%20b&extra=%2B&empty=",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )

    verify(request)


def test_a_presigned_get_verifies_within_its_lifetime():
    request = presigned("Action=GetQueueUrl&QueueName=q%20x&Version=2012-11-05", expires=60)

    signature = verify(request, now=SIGNED_AT + timedelta(seconds=59))

    assert signature.presigned
    assert signature.expires_seconds == 60


def test_a_request_without_any_signature_reads_as_unsigned():
    request = replace(header_signed(), headers=Headers({"Host": "sqs.example.test"}))

    assert sigv4.read_signature(request) is None


def test_the_wrong_secret_does_not_match():
    with pytest.raises(SignatureDoesNotMatch, match="does not match the signature you provided"):
        verify(header_signed(secret="another-secret"))


def test_a_replayed_signature_with_another_body_does_not_match():
    request = header_signed(b'{"QueueNamePrefix": "a"}')

    with pytest.raises(SignatureDoesNotMatch):
        verify(replace(request, body=b'{"QueueNamePrefix": "b"}'))


def test_a_changed_signed_header_does_not_match():
    request = header_signed()
    headers = Headers({**dict(request.headers), "x-amz-target": "AmazonSQS.DeleteQueue"})

    with pytest.raises(SignatureDoesNotMatch):
        verify(replace(request, headers=headers))


def test_a_changed_query_does_not_match_a_presigned_url():
    request = presigned("Action=ListQueues&Version=2012-11-05")

    with pytest.raises(SignatureDoesNotMatch):
        verify(replace(request, query_string=request.query_string.replace("ListQueues", "DeleteQueue")))


def test_a_header_signature_older_than_five_minutes_has_expired():
    with pytest.raises(SignatureDoesNotMatch, match=r"Signature expired: 20260101T120000Z is now earlier than"):
        verify(header_signed(), now=SIGNED_AT + timedelta(minutes=5, seconds=1))


def test_a_header_signature_from_the_future_is_not_yet_current():
    with pytest.raises(SignatureDoesNotMatch, match="Signature not yet current"):
        verify(header_signed(), now=SIGNED_AT - timedelta(minutes=6))


def test_a_presigned_url_past_its_lifetime_has_expired():
    with pytest.raises(RequestExpired, match=r"Request has expired\."):
        verify(presigned(expires=60), now=SIGNED_AT + timedelta(seconds=61))


def test_a_credential_scoped_to_another_service_does_not_match():
    with pytest.raises(SignatureDoesNotMatch, match="correct service: 'sqs'"):
        verify(header_signed(service="sns"))


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + "0" * 64, "requires 'Credential' parameter"),
        ("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request", "requires 'Signature' parameter"),
        ("AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=" + "0" * 64, "5 slash-delimited"),
    ],
)
def test_an_incomplete_authorization_header_is_refused(authorization, message):
    request = replace(
        header_signed(),
        headers=Headers({"Host": "h", "X-Amz-Date": "20260101T120000Z", "Authorization": authorization}),
    )

    with pytest.raises(IncompleteSignature, match=message):
        sigv4.read_signature(request)


def test_a_malformed_date_is_an_incomplete_signature():
    request = header_signed()
    headers = Headers({**dict(request.headers), "X-Amz-Date": "20261399T250000Z"})

    with pytest.raises(IncompleteSignature, match="ISO-8601"):
        sigv4.read_signature(replace(request, headers=headers))


@pytest.mark.parametrize(
    "authorization", ["AWS AKID:c2lnbmF0dXJl", "AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/sqs/aws4_request"]
)
def test_other_signing_schemes_are_invalid_security(authorization):
    request = replace(header_signed(), headers=Headers({"Host": "h", "Authorization": authorization}))

    with pytest.raises(InvalidSecurity):
        sigv4.read_signature(request)


def test_a_signature_version_2_query_is_invalid_security():
    request = replace(header_signed(), headers=Headers({"Host": "h"}), query_string="SignatureVersion=2&Signature=x")

    with pytest.raises(InvalidSecurity):
        sigv4.read_signature(request)


def test_an_oversized_authorization_header_is_refused_before_parsing():
    request = replace(
        header_signed(), headers=Headers({"Host": "h", "Authorization": "AWS4-HMAC-SHA256 " + "x" * 5000})
    )

    with pytest.raises(IncompleteSignature, match="too long"):
        sigv4.read_signature(request)


def test_the_claimed_key_is_read_even_from_a_signature_that_does_not_verify():
    assert sigv4.claimed_access_key_id(header_signed(secret="wrong")) == ACCESS_KEY_ID
    assert sigv4.claimed_access_key_id(replace(header_signed(), headers=Headers({"Host": "h"}))) is None
