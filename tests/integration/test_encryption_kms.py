"""Encryption at rest on the DynamoDB store with KMS data keys (moto): what DynamoDB holds, and what KMS is asked."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from dynaqueue import wiring
from dynaqueue.config import Settings
from dynaqueue.domain import errors
from dynaqueue.domain.checksums import md5_of_attributes, md5_of_body
from dynaqueue.domain.model import MessageAttributeValue, ReceivedMessage, ReceiveRequest, SendBatchEntry, SendRequest
from dynaqueue.domain.service import QueueService
from dynaqueue.protocol import dispatch
from dynaqueue.protocol.exchange import Headers, HttpRequest
from dynaqueue.storage.data_key_registry import DataKeyRegistry
from dynaqueue.storage.data_keys_cache import DataKeyCache
from dynaqueue.storage.data_keys_envelope import ENVELOPE_MARKER, parse
from dynaqueue.storage.data_keys_kms import KmsKeyProvider
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.dynamo_codec import decode_content
from dynaqueue.storage.encryption import EncryptingStore
from dynaqueue.storage.tables import CHUNK_COUNT, CHUNK_PREFIX, CONTENT, HASH_KEY, MESSAGE_ID, RANGE_KEY
from tests.fakes import FakeClock

TABLE = "encrypted"
REGION = "us-east-1"
SECRET = b"0123456789abcdef0123456789abcdef"
ACCOUNT = "123456789012"
QUEUE_KEY_ALIAS = "alias/orders-key"
BODY = "card 4111-1111-1111-1111 \u00e9\U0001f600"
ATTRIBUTES = {
    "holder": MessageAttributeValue("String", string_value="ada-lovelace-secret"),
    "amount": MessageAttributeValue("Number", string_value="98765"),
    "blob": MessageAttributeValue("Binary", binary_value=b"\x00binary-secret"),
}
SECRETS = (BODY, "ada-lovelace-secret", "98765", "binary-secret")


@dataclass
class Aws:
    """moto's DynamoDB (with the queue table) and KMS (with a queue key and the deployment's key)."""

    dynamodb: Any
    kms: Any
    queue_key_arn: str
    deployment_key_arn: str
    calls: collections.Counter[str]


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        DynamoStore.create_table(dynamodb, TABLE)
        kms = boto3.client("kms", region_name=REGION)
        queue_key = kms.create_key(Description="orders")["KeyMetadata"]
        kms.create_alias(AliasName=QUEUE_KEY_ALIAS, TargetKeyId=queue_key["KeyId"])
        deployment_key = kms.create_key(Description="deployment")["KeyMetadata"]
        calls: collections.Counter[str] = collections.Counter()
        for operation in ("GenerateDataKey", "Decrypt"):
            kms.meta.events.register(f"before-call.kms.{operation}", _counter(calls, operation))
        yield Aws(dynamodb, kms, queue_key["Arn"], deployment_key["Arn"], calls)


def _counter(calls: collections.Counter[str], operation: str) -> Any:
    def count(**_: Any) -> None:
        calls[operation] += 1

    return count


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def encrypting_store(aws: Aws, clock: FakeClock) -> EncryptingStore:
    """What a fresh process opens: the table, and a data key cache of its own."""
    provider = KmsKeyProvider(aws.kms, deployment_key_id=aws.deployment_key_arn)
    return EncryptingStore(DynamoStore(table_name=TABLE, client=aws.dynamodb), DataKeyCache(provider, clock))


def service_over(store: EncryptingStore, clock: FakeClock) -> QueueService:
    return QueueService(store, clock=clock, account_id=ACCOUNT, region=REGION, receipt_secret=SECRET)


@pytest.fixture
def service(aws: Aws, clock: FakeClock) -> QueueService:
    return service_over(encrypting_store(aws, clock), clock)


def receive(service: QueueService, queue: str) -> list[ReceivedMessage]:
    request = ReceiveRequest(
        max_number_of_messages=10,
        visibility_timeout=1,
        system_attribute_names=["All"],
        message_attribute_names=["All"],
    )
    return service.receive_message(queue, request)


def stored_contents(aws: Aws) -> list[tuple[str, dict[str, MessageAttributeValue]]]:
    """Body and user attributes of every stored message, decoded straight from the table's items."""
    items = aws.dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    chunks = sorted((item for item in items if _is_chunk(item)), key=lambda chunk: chunk[RANGE_KEY]["S"])
    contents = []
    for item in items:
        if CHUNK_COUNT in item:
            message_id = item.get(MESSAGE_ID, item[HASH_KEY])["S"]
            blob = b"".join(chunk[CONTENT]["B"] for chunk in chunks if chunk[HASH_KEY]["S"] == message_id)
        elif CONTENT in item and not _is_chunk(item):
            blob = item[CONTENT]["B"]
        else:
            continue
        body, attributes, _ = decode_content(blob)
        contents.append((body, attributes))
    return contents


def _is_chunk(item: dict[str, Any]) -> bool:
    sort_key = item[RANGE_KEY]["S"]
    return sort_key.startswith(CHUNK_PREFIX) and sort_key[len(CHUNK_PREFIX) :].isdigit()


def sealing_master_key(aws: Aws, stored_body: str) -> str:
    """The master key id the envelope's data key was made under, looked up as a fresh process would."""
    reference = parse(stored_body).reference
    assert reference is not None
    return DataKeyRegistry(DynamoStore(table_name=TABLE, client=aws.dynamodb)).resolve(reference)[0]


def raw_table(aws: Aws) -> str:
    return repr(aws.dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"])


@pytest.mark.parametrize("sse", ["sse-kms", "sse-sqs", "aws-managed-sqs-key"])
def test_dynamodb_holds_only_an_envelope_under_the_queues_kms_key(service: QueueService, aws: Aws, sse: str) -> None:
    # SQS's AWS-managed key (alias/aws/sqs) is usable by SQS alone: such queues get the deployment's key.
    attributes = {
        "sse-kms": {"KmsMasterKeyId": QUEUE_KEY_ALIAS},
        "sse-sqs": {"SqsManagedSseEnabled": "true"},
        "aws-managed-sqs-key": {"KmsMasterKeyId": "alias/aws/sqs"},
    }[sse]
    service.create_queue("orders", attributes, {})
    sent = service.send_message("orders", SendRequest(BODY, attributes=ATTRIBUTES))

    [(stored_body, stored_attributes)] = stored_contents(aws)
    assert stored_body.startswith(ENVELOPE_MARKER)
    assert stored_attributes == {}
    expected_key = aws.queue_key_arn if sse == "sse-kms" else aws.deployment_key_arn
    assert sealing_master_key(aws, stored_body) == expected_key
    for secret in SECRETS:
        assert secret not in stored_body
        assert secret not in raw_table(aws)

    [received] = receive(service, "orders")
    assert (received.message_id, received.body, received.message_attributes) == (sent.message_id, BODY, ATTRIBUTES)
    assert received.md5_of_body == sent.md5_of_message_body == md5_of_body(BODY)
    assert received.md5_of_message_attributes == sent.md5_of_message_attributes == md5_of_attributes(ATTRIBUTES)


def test_a_queue_without_sse_stores_plaintext_and_asks_kms_nothing(service: QueueService, aws: Aws) -> None:
    service.create_queue("open", {"SqsManagedSseEnabled": "false"}, {})
    service.send_message("open", SendRequest(BODY, attributes=ATTRIBUTES))

    assert stored_contents(aws) == [(BODY, ATTRIBUTES)]
    assert [message.body for message in receive(service, "open")] == [BODY]
    assert aws.calls == {}


def test_sends_within_the_reuse_period_make_one_data_key(service: QueueService, aws: Aws, clock: FakeClock) -> None:
    service.create_queue("orders", {"KmsMasterKeyId": QUEUE_KEY_ALIAS, "KmsDataKeyReusePeriodSeconds": "60"}, {})

    for index in range(5):
        service.send_message("orders", SendRequest(f"{BODY} {index}", attributes=ATTRIBUTES))
    batch = [SendBatchEntry(f"e{index}", SendRequest(f"batch {index}")) for index in range(10)]
    assert not service.send_message_batch("orders", batch).failed
    clock.advance(59)
    service.send_message("orders", SendRequest(BODY))
    assert aws.calls["GenerateDataKey"] == 1

    # This process made the key, so it opens its own envelopes without asking KMS.
    received = receive(service, "orders")
    assert len(received) == 10
    assert aws.calls["Decrypt"] == 0

    clock.advance(2)
    service.send_message("orders", SendRequest(BODY))
    assert aws.calls["GenerateDataKey"] == 2


def test_another_process_unwraps_each_data_key_once(aws: Aws, clock: FakeClock) -> None:
    sender = service_over(encrypting_store(aws, clock), clock)
    sender.create_queue("orders", {"KmsMasterKeyId": QUEUE_KEY_ALIAS}, {})
    for index in range(6):
        sender.send_message("orders", SendRequest(f"{BODY} {index}", attributes=ATTRIBUTES))
    receiver = service_over(encrypting_store(aws, clock), clock)

    received = receive(receiver, "orders") + receive(receiver, "orders")

    assert sorted(message.body for message in received) == [f"{BODY} {index}" for index in range(6)]
    assert all(message.message_attributes == ATTRIBUTES for message in received)
    assert aws.calls == {"GenerateDataKey": 1, "Decrypt": 1}


def test_large_and_fifo_messages_round_trip(service: QueueService, aws: Aws) -> None:
    large = "x" * (1024 * 1024 - 10)
    service.create_queue("big", {"KmsMasterKeyId": QUEUE_KEY_ALIAS}, {})
    service.create_queue("ordered.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}, {})
    service.send_message("big", SendRequest(large))
    for index in range(3):
        service.send_message("ordered.fifo", SendRequest(f"{BODY} {index}", attributes=ATTRIBUTES, group_id="g"))

    assert all(body.startswith(ENVELOPE_MARKER) for body, _ in stored_contents(aws))
    assert [message.body for message in receive(service, "big")] == [large]
    received = receive(service, "ordered.fifo")
    assert [message.body for message in received] == [f"{BODY} {index}" for index in range(3)]
    assert all(message.message_attributes == ATTRIBUTES for message in received)


def test_a_message_moved_to_the_dead_letter_queue_stays_readable(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("dlq", {"SqsManagedSseEnabled": "false"}, {})
    policy = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq", "maxReceiveCount": 1})
    service.create_queue("orders", {"KmsMasterKeyId": QUEUE_KEY_ALIAS, "RedrivePolicy": policy}, {})
    sent = service.send_message("orders", SendRequest(BODY, attributes=ATTRIBUTES))

    assert [message.body for message in receive(service, "orders")] == [BODY]
    clock.advance(2)
    assert receive(service, "orders") == []

    [moved] = receive(service, "dlq")
    assert (moved.message_id, moved.body, moved.message_attributes) == (sent.message_id, BODY, ATTRIBUTES)


def test_a_disabled_key_fails_the_send_with_the_sqs_error_and_stores_nothing(service: QueueService, aws: Aws) -> None:
    refuse_disabled_keys(aws.kms)
    service.create_queue("orders", {"KmsMasterKeyId": QUEUE_KEY_ALIAS}, {})
    # moto finds keys to disable by id only (KMS takes an ARN too).
    aws.kms.disable_key(KeyId=aws.queue_key_arn.rsplit("/", 1)[1])

    with pytest.raises(errors.KmsDisabled):
        service.send_message("orders", SendRequest(BODY, attributes=ATTRIBUTES))
    with pytest.raises(errors.KmsDisabled):
        service.send_message_batch("orders", [SendBatchEntry("a", SendRequest(BODY))])

    assert stored_contents(aws) == []
    assert receive(service, "orders") == []


def test_an_unknown_key_is_kms_not_found_on_the_wire(service: QueueService, aws: Aws) -> None:
    service.create_queue("orders", {"KmsMasterKeyId": "alias/no-such-key"}, {})
    queue_url = f"https://sqs.example.com/{ACCOUNT}/orders"
    request = HttpRequest(
        method="POST",
        path="/",
        headers=Headers({"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"}),
        body=json.dumps({"QueueUrl": queue_url, "MessageBody": BODY}).encode(),
        base_url="https://sqs.example.com",
        request_id="r-1",
    )

    response = dispatch.handle(request, lambda: service).response

    assert response.status == 400
    assert response.headers["x-amzn-query-error"] == "KMS.NotFoundException;Sender"
    assert json.loads(response.body)["__type"].endswith("#KmsNotFound")
    assert stored_contents(aws) == []


def test_the_wired_dynamodb_store_uses_the_deployments_kms_key(aws: Aws) -> None:
    settings = Settings(store="dynamodb", table_name=TABLE, kms_key_id=aws.deployment_key_arn)
    store = wiring.open_store(settings)
    service = wiring.build_service(settings, store, SECRET)

    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(BODY, attributes=ATTRIBUTES))

    [(stored_body, _)] = stored_contents(aws)
    assert sealing_master_key(aws, stored_body) == aws.deployment_key_arn
    assert [message.body for message in receive(service, "orders")] == [BODY]


def refuse_disabled_keys(kms: Any) -> None:
    """Make moto refuse data keys under a disabled key, as KMS does (moto hands them out regardless).

    It asks moto's own DescribeKey whether the key is enabled; only the missing refusal is supplied.
    """

    def refuse(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        key_id = json.loads(params["body"])["KeyId"]
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        if metadata["Enabled"]:
            return None
        error = {"Code": "DisabledException", "Message": f"{metadata['Arn']} is disabled."}
        return AWSResponse(params["url"], 400, {}, None), {"Error": error, "ResponseMetadata": {}}

    kms.meta.events.register("before-call.kms.GenerateDataKey", refuse)


def test_a_large_json_body_is_stored_compressed_inside_its_envelope(service: QueueService, aws: Aws) -> None:
    """Ciphertext does not compress, so the store's own blob compression cannot shrink sealed content:
    the envelope compresses before sealing, keeping a large JSON message's item (and write units) small."""
    body = json.dumps([{"order": index, "status": "shipped", "items": ["book", "pen"]} for index in range(1500)])
    service.create_queue("orders", {"SqsManagedSseEnabled": "true"}, {})
    service.send_message("orders", SendRequest(body))

    [(stored_body, _)] = stored_contents(aws)
    assert len(body) > 64 * 1024
    assert len(stored_body) < len(body) // 8
    assert [message.body for message in receive(service, "orders")] == [body]
