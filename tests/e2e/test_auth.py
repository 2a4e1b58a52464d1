"""`dynaqueue serve --auth` against real boto3 clients: SigV4 verified, queue policies enforced, audit written."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import ServerProcess, start_server, unique_queue_name
from tests.sigv4_signing import signing_time

OWNER_ACCOUNT = "000000000000"
OTHER_ACCOUNT = "111111111111"
KEYS_TIMEOUT_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = start_server("embedded", tmp_path_factory.mktemp("auth") / "data", "--auth")
    yield running
    running.stop()


def keys_command(server: ServerProcess, *arguments: str) -> str:
    command = [sys.executable, "-m", "dynaqueue.cli", "keys", *arguments, "--data-dir", str(server.data_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=KEYS_TIMEOUT_SECONDS, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def new_key(server: ServerProcess, *options: str) -> dict[str, str]:
    return json.loads(keys_command(server, "create", *options))


def client(server: ServerProcess, key: dict[str, str] | None, *, secret: str | None = None, **config: Any) -> Any:
    credentials: dict[str, Any] = {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
    if key is not None:
        credentials = {
            "aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": secret or key["SecretAccessKey"],
        }
    settings = {"retries": {"max_attempts": 1}, **config}
    return boto3.client(
        "sqs", endpoint_url=server.endpoint_url, region_name="us-east-1", config=Config(**settings), **credentials
    )


@pytest.fixture(scope="module")
def owner_key(server: ServerProcess) -> dict[str, str]:
    return new_key(server)


@pytest.fixture(scope="module")
def owner(server: ServerProcess, owner_key: dict[str, str]) -> Any:
    return client(server, owner_key)


@pytest.fixture(scope="module")
def other_account(server: ServerProcess) -> Any:
    return client(server, new_key(server, "--account-id", OTHER_ACCOUNT))


def error_code(call: Any, **arguments: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call(**arguments)
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]


def send_raw(server: ServerProcess, request: AWSRequest) -> tuple[int, bytes]:
    prepared = request.prepare()
    address = urlsplit(prepared.url)
    connection = http.client.HTTPConnection(address.netloc, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        target = address.path + (f"?{address.query}" if address.query else "")
        connection.request(prepared.method, target, body=prepared.body, headers=dict(prepared.headers))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def json_request(server: ServerProcess, action: str, body: dict[str, Any]) -> AWSRequest:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{action}"}
    return AWSRequest(method="POST", url=f"{server.endpoint_url}/", data=json.dumps(body).encode(), headers=headers)


def test_the_owner_key_serves_every_action(owner):
    url = owner.create_queue(QueueName=unique_queue_name("owned"))["QueueUrl"]
    owner.send_message(QueueUrl=url, MessageBody="hello")

    messages = owner.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]

    assert [message["Body"] for message in messages] == ["hello"]
    assert url in owner.list_queues()["QueueUrls"]


def test_an_unsigned_request_is_refused(server):
    unsigned = client(server, None, signature_version=UNSIGNED)

    code, status, message = error_code(unsigned.list_queues)

    assert (code, status, message) == ("MissingAuthenticationToken", 403, "Request is missing Authentication Token")


def test_a_wrong_secret_does_not_match(server, owner_key):
    code, status, _ = error_code(client(server, owner_key, secret="not-the-secret").list_queues)

    assert (code, status) == ("SignatureDoesNotMatch", 403)


def test_an_unknown_key_is_an_invalid_token(server):
    unknown = {"AccessKeyId": "AKDQUNKNOWN000000000", "SecretAccessKey": "whatever"}

    code, status, message = error_code(client(server, unknown).list_queues)

    assert (code, status) == ("InvalidClientTokenId", 403)
    assert message == "The security token included in the request is invalid."


def test_a_disabled_key_stops_working_and_works_again_when_enabled(server):
    key = new_key(server)
    sqs = client(server, key)
    sqs.list_queues()

    keys_command(server, "disable", key["AccessKeyId"])
    assert error_code(sqs.list_queues)[0] == "InvalidClientTokenId"
    keys_command(server, "enable", key["AccessKeyId"])
    sqs.list_queues()


def test_an_expired_signature_is_refused(server, owner_key):
    request = json_request(server, "ListQueues", {})
    credentials = Credentials(owner_key["AccessKeyId"], owner_key["SecretAccessKey"])
    an_hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    with signing_time(an_hour_ago):
        SigV4Auth(credentials, "sqs", "us-east-1").add_auth(request)

    status, body = send_raw(server, request)

    assert status == 403
    assert b"Signature expired" in body


def test_a_signature_replayed_with_another_body_does_not_match(server, owner_key):
    request = json_request(server, "ListQueues", {"QueueNamePrefix": "a"})
    SigV4Auth(Credentials(owner_key["AccessKeyId"], owner_key["SecretAccessKey"]), "sqs", "us-east-1").add_auth(request)
    request.data = json.dumps({"QueueNamePrefix": "b"}).encode()

    status, body = send_raw(server, request)

    assert status == 403
    assert json.loads(body)["__type"].endswith("InvalidSignatureException")


def presigned_url(server: ServerProcess, key: dict[str, str], query: str, *, expires: int = 60) -> str:
    request = AWSRequest(method="GET", url=f"{server.endpoint_url}/?{query}")
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    SigV4QueryAuth(credentials, "sqs", "us-east-1", expires=expires).add_auth(request)
    return request.prepare().url


def test_a_presigned_url_works_and_cannot_be_altered(server, owner, owner_key):
    name = unique_queue_name("presigned")
    owner.create_queue(QueueName=name)
    url = presigned_url(server, owner_key, f"Action=GetQueueUrl&QueueName={name}&Version=2012-11-05")

    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
        assert f"/{OWNER_ACCOUNT}/{name}</QueueUrl>" in response.read().decode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url.replace(name, name + "x"), timeout=HTTP_TIMEOUT_SECONDS)
    assert refused.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in refused.value.read()


def test_a_principal_of_another_account_gets_only_what_add_permission_grants(owner, other_account):
    url = owner.create_queue(QueueName=unique_queue_name("shared"))["QueueUrl"]

    code, status, message = error_code(other_account.send_message, QueueUrl=url, MessageBody="x")
    assert (code, status, message) == ("AccessDenied", 403, f"Access to the resource {url} is denied.")

    owner.add_permission(QueueUrl=url, Label="friend", AWSAccountIds=[OTHER_ACCOUNT], Actions=["SendMessage"])
    other_account.send_message(QueueUrl=url, MessageBody="from a friend")

    assert owner.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["Body"] == "from a friend"
    assert error_code(other_account.receive_message, QueueUrl=url)[0] == "AccessDenied"
    assert error_code(other_account.set_queue_attributes, QueueUrl=url, Attributes={"Policy": ""})[0] == (
        "AccessDenied"
    )
    owner.remove_permission(QueueUrl=url, Label="friend")
    assert error_code(other_account.send_message, QueueUrl=url, MessageBody="x")[0] == "AccessDenied"


def test_another_account_can_neither_create_nor_list_the_owners_queues(owner, other_account):
    owner.create_queue(QueueName=unique_queue_name("listed"))

    assert error_code(other_account.create_queue, QueueName=unique_queue_name("theirs"))[0] == "AccessDenied"
    assert "QueueUrls" not in other_account.list_queues()


def test_denials_and_administrative_actions_are_audited_without_bodies(server, owner, other_account):
    name = unique_queue_name("audited")
    url = owner.create_queue(QueueName=name)["QueueUrl"]
    owner.send_message(QueueUrl=url, MessageBody="secret-body-text")
    error_code(other_account.purge_queue, QueueUrl=url)

    text = (server.data_dir / "audit.jsonl").read_text()
    events = [json.loads(line) for line in text.splitlines()]

    assert "secret-body-text" not in text
    assert all(event["log_type"] == "AUDIT" for event in events)
    created = [event for event in events if event["event"] == "CreateQueue" and event["queue"] == name]
    assert created[0]["outcome"] == "succeeded"
    assert created[0]["principal"] == f"arn:aws:iam::{OWNER_ACCOUNT}:root"
    denied = [event for event in events if event["event"] == "AccessDenied" and event.get("action") == "PurgeQueue"]
    assert denied[0]["principal"] == f"arn:aws:iam::{OTHER_ACCOUNT}:root"
    assert denied[0]["source_ip"] == "127.0.0.1"
    assert any(event["event"] == "KeyCreated" for event in events)
    assert not any("SecretAccessKey" in line or "secret_access_key" in line for line in text.splitlines())


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_serves_https_to_a_client_that_verifies_the_certificate(tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    server = start_server("embedded", tmp_path / "data", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert server.endpoint_url.startswith("https://")
        sqs = boto3.client(
            "sqs",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            verify=str(cert),
        )
        url = sqs.create_queue(QueueName=unique_queue_name("tls"))["QueueUrl"]

        assert url.startswith("https://127.0.0.1:")
        sqs.send_message(QueueUrl=url, MessageBody="over tls")
        assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["Body"] == "over tls"
    finally:
        server.stop()
