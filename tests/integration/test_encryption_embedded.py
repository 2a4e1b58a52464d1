"""Encryption at rest on the embedded store with the local master key: what SQLite holds, and what comes back."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynaqueue import wiring
from dynaqueue.config import ConfigurationError, Settings
from dynaqueue.domain import errors
from dynaqueue.domain.checksums import md5_of_attributes, md5_of_body
from dynaqueue.domain.model import MessageAttributeValue, MessageMove, ReceivedMessage, ReceiveRequest, SendRequest
from dynaqueue.domain.service import QueueService
from dynaqueue.storage.data_key_registry import DataKeyRegistry
from dynaqueue.storage.data_keys import LOCAL_KEY_ID, DataKey, LocalKeyProvider
from dynaqueue.storage.data_keys_cache import DataKeyCache
from dynaqueue.storage.data_keys_envelope import ENVELOPE_MARKER, parse
from dynaqueue.storage.embedded import EmbeddedStore
from dynaqueue.storage.encryption import EncryptingStore
from tests.fakes import FakeClock

SECRET = b"0123456789abcdef0123456789abcdef"
ACCOUNT = "123456789012"
BODY = "the launch code is 0000 \u00e9\U0001f600"
ATTRIBUTES = {
    "colour": MessageAttributeValue("String", string_value="ultramarine-secret"),
    "size": MessageAttributeValue("Number", string_value="31337"),
    "blob": MessageAttributeValue("Binary", binary_value=b"\x00\x01binary-secret"),
}
TRACE = {"AWSTraceHeader": MessageAttributeValue("String", string_value="Root=1-5759e988-bd862e3fe1be46a994272793")}
SECRETS = (BODY, "ultramarine-secret", "31337", "binary-secret")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


class CountingProvider:
    """The real local provider, counting what it is asked to do."""

    def __init__(self, inner: LocalKeyProvider) -> None:
        self._inner = inner
        self.generated = 0
        self.unwrapped = 0

    def generate(self, master_key_id: str | None) -> DataKey:
        self.generated += 1
        return self._inner.generate(master_key_id)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        self.unwrapped += 1
        return self._inner.unwrap(key_id, wrapped)


@pytest.fixture
def provider(data_dir: Path) -> CountingProvider:
    return CountingProvider(LocalKeyProvider(wiring.stored_master_key(data_dir)))


@pytest.fixture
def store(data_dir: Path, clock: FakeClock, provider: CountingProvider) -> Iterator[EncryptingStore]:
    embedded = EmbeddedStore(data_dir / "service.db", clock=clock)
    yield EncryptingStore(embedded, DataKeyCache(provider, clock))
    embedded.close()


@pytest.fixture
def service(store: EncryptingStore, clock: FakeClock) -> QueueService:
    return QueueService(store, clock=clock, account_id=ACCOUNT, region="us-east-1", receipt_secret=SECRET)


def stored_rows(data_dir: Path) -> list[sqlite3.Row]:
    """Every message row as SQLite holds it, read on a connection of its own."""
    connection = sqlite3.connect(data_dir / "service.db")
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(
            """
            SELECT message_id, message_contents.body, message_contents.attributes, system_attributes
            FROM messages JOIN message_contents ON message_rowid = messages.rowid
            """
        ).fetchall()
    finally:
        connection.close()


def receive(service: QueueService, queue: str) -> list[ReceivedMessage]:
    request = ReceiveRequest(
        max_number_of_messages=10,
        visibility_timeout=1,
        system_attribute_names=["All"],
        message_attribute_names=["All"],
    )
    return service.receive_message(queue, request)


def arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


@pytest.mark.parametrize(
    "attributes",
    [{}, {"SqsManagedSseEnabled": "true"}, {"KmsMasterKeyId": "alias/aws/sqs"}],
    ids=["default", "sse-sqs", "sse-kms"],
)
def test_an_encrypted_queue_stores_neither_body_nor_attribute_values(
    service: QueueService, store: EncryptingStore, data_dir: Path, attributes: dict[str, str]
) -> None:
    service.create_queue("secrets", attributes, {})
    sent = service.send_message("secrets", SendRequest(BODY, attributes=ATTRIBUTES, system_attributes=TRACE))

    [row] = stored_rows(data_dir)
    assert row["body"].startswith(ENVELOPE_MARKER)
    reference = parse(row["body"]).reference
    assert reference is not None and DataKeyRegistry(store.inner).resolve(reference)[0] == LOCAL_KEY_ID
    assert json.loads(row["attributes"]) == {}
    raw = "".join(str(value) for value in tuple(row))
    for secret in SECRETS:
        assert secret not in raw
    # System attributes are not sealed: the stores read some of them.
    assert json.loads(row["system_attributes"])["AWSTraceHeader"] == TRACE["AWSTraceHeader"].string_value

    [received] = receive(service, "secrets")
    assert (received.message_id, received.body, received.message_attributes) == (sent.message_id, BODY, ATTRIBUTES)
    assert received.md5_of_body == sent.md5_of_message_body == md5_of_body(BODY)
    assert received.md5_of_message_attributes == sent.md5_of_message_attributes == md5_of_attributes(ATTRIBUTES)
    assert received.attributes["AWSTraceHeader"] == TRACE["AWSTraceHeader"].string_value


def test_a_queue_without_encryption_stores_plaintext(service: QueueService, data_dir: Path) -> None:
    service.create_queue("open", {"SqsManagedSseEnabled": "false"}, {})
    service.send_message("open", SendRequest(BODY, attributes=ATTRIBUTES))

    [row] = stored_rows(data_dir)
    assert row["body"] == BODY
    assert "ultramarine-secret" in row["attributes"]
    assert [message.body for message in receive(service, "open")] == [BODY]


def test_a_fifo_queue_and_a_batch_are_sealed_and_open_in_order(service: QueueService, data_dir: Path) -> None:
    service.create_queue("ordered.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}, {})
    for index in range(3):
        service.send_message("ordered.fifo", SendRequest(f"{BODY} {index}", attributes=ATTRIBUTES, group_id="g"))
    # Content-based deduplication still sees the plaintext: a repeat is a duplicate, not a fourth message.
    service.send_message("ordered.fifo", SendRequest(f"{BODY} 0", attributes=ATTRIBUTES, group_id="g"))

    assert all(row["body"].startswith(ENVELOPE_MARKER) for row in stored_rows(data_dir))
    assert len(stored_rows(data_dir)) == 3
    received = receive(service, "ordered.fifo")
    assert [message.body for message in received] == [f"{BODY} {index}" for index in range(3)]
    assert all(message.message_attributes == ATTRIBUTES for message in received)


def test_a_message_moved_to_the_dead_letter_queue_stays_readable_there(service: QueueService, clock: FakeClock) -> None:
    # The dead-letter queue does not ask for encryption: the sealed content moves as it is, and still opens.
    service.create_queue("dlq", {"SqsManagedSseEnabled": "false"}, {})
    policy = json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 1})
    service.create_queue("source", {"RedrivePolicy": policy, "KmsMasterKeyId": "alias/aws/sqs"}, {})
    sent = service.send_message("source", SendRequest(BODY, attributes=ATTRIBUTES))

    assert [message.body for message in receive(service, "source")] == [BODY]
    clock.advance(2)
    assert receive(service, "source") == []

    [moved] = receive(service, "dlq")
    assert (moved.message_id, moved.body, moved.message_attributes) == (sent.message_id, BODY, ATTRIBUTES)
    assert moved.md5_of_message_attributes == sent.md5_of_message_attributes


def test_a_redriven_message_stays_readable_at_its_destination(
    service: QueueService, store: EncryptingStore, clock: FakeClock
) -> None:
    service.create_queue("dlq", {}, {})
    service.create_queue("back", {"SqsManagedSseEnabled": "false"}, {})
    sent = service.send_message("dlq", SendRequest(BODY, attributes=ATTRIBUTES))
    dead, back = store.get_queue("dlq"), store.get_queue("back")
    assert dead is not None and back is not None

    outcome = store.move_messages(
        dead,
        MessageMove(redrive=True, source_arn=arn("dlq")),
        destination=lambda _: back,
        now_ms=clock.now_ms(),
        retention_ms=60_000,
        limit=10,
    )

    assert outcome.moved == 1
    [redriven] = receive(service, "back")
    assert (redriven.message_id, redriven.body, redriven.message_attributes) == (sent.message_id, BODY, ATTRIBUTES)


def test_plaintext_stored_before_a_queue_asked_for_encryption_is_still_returned(service: QueueService) -> None:
    service.create_queue("later", {"SqsManagedSseEnabled": "false"}, {})
    service.send_message("later", SendRequest("before", attributes=ATTRIBUTES))
    service.set_queue_attributes("later", {"SqsManagedSseEnabled": "true"})
    service.send_message("later", SendRequest("after", attributes=ATTRIBUTES))

    received = receive(service, "later")

    assert sorted(message.body for message in received) == ["after", "before"]
    assert all(message.message_attributes == ATTRIBUTES for message in received)


def test_messages_sealed_with_another_master_key_are_an_internal_error_not_garbage(
    service: QueueService, store: EncryptingStore, clock: FakeClock, tmp_path: Path
) -> None:
    service.create_queue("secrets", {}, {})
    service.send_message("secrets", SendRequest(BODY))
    other_key = DataKeyCache(LocalKeyProvider(wiring.stored_master_key(tmp_path / "other")), clock)
    other = QueueService(
        EncryptingStore(store.inner, other_key),
        clock=clock,
        account_id=ACCOUNT,
        region="us-east-1",
        receipt_secret=SECRET,
    )

    with pytest.raises(errors.InternalError, match="cannot be decrypted"):
        receive(other, "secrets")


def another_process(store: EncryptingStore, provider: CountingProvider, clock: FakeClock) -> QueueService:
    """A service over the same file whose caches know nothing yet, as a second process's would."""
    fresh = EncryptingStore(store.inner, DataKeyCache(provider, clock))
    return QueueService(fresh, clock=clock, account_id=ACCOUNT, region="us-east-1", receipt_secret=SECRET)


def test_another_process_finds_the_data_key_an_envelope_names_in_the_store(
    service: QueueService, store: EncryptingStore, provider: CountingProvider, clock: FakeClock
) -> None:
    service.create_queue("secrets", {}, {})
    service.send_message("secrets", SendRequest(BODY, attributes=ATTRIBUTES))

    [received] = receive(another_process(store, provider, clock), "secrets")

    assert (received.body, received.message_attributes) == (BODY, ATTRIBUTES)
    assert provider.unwrapped == 1


def test_an_envelope_whose_data_key_is_missing_from_the_store_is_an_internal_error(
    service: QueueService, store: EncryptingStore, provider: CountingProvider, clock: FakeClock, data_dir: Path
) -> None:
    service.create_queue("secrets", {}, {})
    service.send_message("secrets", SendRequest(BODY))
    [row] = stored_rows(data_dir)
    reference = parse(row["body"]).reference
    assert reference is not None
    store.inner.save_cursor("data-key:" + reference.hex(), None)

    with pytest.raises(errors.InternalError, match="cannot be decrypted"):
        receive(another_process(store, provider, clock), "secrets")


def test_the_master_key_is_generated_once_owner_only_and_read_back(tmp_path: Path) -> None:
    first = wiring.stored_master_key(tmp_path)
    again = wiring.stored_master_key(tmp_path)

    path = tmp_path / wiring.MASTER_KEY_FILE
    assert first == again
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("not hex")
    with pytest.raises(ConfigurationError, match="master key"):
        wiring.stored_master_key(tmp_path)


def test_the_wired_embedded_store_encrypts_with_the_master_key_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), kms_key_id="alias/not-used-by-the-embedded-store")
    store = wiring.open_store(settings)
    try:
        assert isinstance(store, EncryptingStore)
        assert isinstance(store.inner, EmbeddedStore)
        service = wiring.build_service(settings, store, SECRET)
        service.create_queue("wired", {}, {})
        service.send_message("wired", SendRequest(BODY))
        assert (tmp_path / wiring.MASTER_KEY_FILE).exists()
        assert [message.body for message in receive(service, "wired")] == [BODY]
    finally:
        store.close()
    raw = sqlite3.connect(tmp_path / wiring.EMBEDDED_DATABASE_FILE)
    try:
        [(body,)] = raw.execute("SELECT body FROM message_contents").fetchall()
    finally:
        raw.close()
    assert body.startswith(ENVELOPE_MARKER)


def test_an_envelope_copied_onto_another_message_does_not_open(
    service: QueueService, data_dir: Path, store: EncryptingStore
) -> None:
    service.create_queue("secrets", {}, {})
    service.send_message("secrets", SendRequest("first"))
    service.send_message("secrets", SendRequest("second"))
    rows = stored_rows(data_dir)
    connection = sqlite3.connect(data_dir / "service.db")
    try:
        with connection:
            connection.execute(
                """
                UPDATE message_contents SET body = ?
                WHERE message_rowid = (SELECT rowid FROM messages WHERE message_id = ?)
                """,
                (rows[0]["body"], rows[1]["message_id"]),
            )
    finally:
        connection.close()

    with pytest.raises(errors.InternalError):
        receive(service, "secrets")


def test_sealing_reuses_one_data_key_for_the_reuse_period(clock: FakeClock, tmp_path: Path) -> None:
    provider = CountingProvider(LocalKeyProvider(wiring.stored_master_key(tmp_path)))
    keys = DataKeyCache(provider, clock)

    first = keys.sealing_key("alias/a", 60_000)
    clock.advance(59)
    assert keys.sealing_key("alias/a", 60_000) is first
    assert keys.sealing_key("alias/b", 60_000) is not first
    clock.advance(1)
    assert keys.sealing_key("alias/a", 60_000) is not first

    assert provider.generated == 3
    # Keys this process generated open without unwrapping.
    assert keys.opening_key(first.key_id, first.wrapped, 300_000) == first.plaintext
    assert provider.unwrapped == 0


def test_unwrapped_keys_are_cached_by_blob_for_the_period_and_bounded_in_count(
    clock: FakeClock, tmp_path: Path
) -> None:
    provider = CountingProvider(LocalKeyProvider(wiring.stored_master_key(tmp_path)))
    made = [provider.generate(None) for _ in range(3)]
    keys = DataKeyCache(provider, clock, max_keys=2)

    for key in made:
        assert keys.opening_key(key.key_id, key.wrapped, 60_000) == key.plaintext
    assert provider.unwrapped == 3
    keys.opening_key(made[2].key_id, made[2].wrapped, 60_000)
    assert provider.unwrapped == 3
    # The oldest entry made room for the third.
    keys.opening_key(made[0].key_id, made[0].wrapped, 60_000)
    assert provider.unwrapped == 4
    clock.advance(60)
    keys.opening_key(made[0].key_id, made[0].wrapped, 60_000)
    assert provider.unwrapped == 5


def test_sends_within_the_queues_reuse_period_share_one_data_key(
    service: QueueService, provider: CountingProvider, clock: FakeClock
) -> None:
    service.create_queue("short", {"KmsMasterKeyId": "alias/k", "KmsDataKeyReusePeriodSeconds": "60"}, {})
    service.create_queue("long", {"KmsMasterKeyId": "alias/k"}, {})

    for _ in range(5):
        service.send_message("short", SendRequest(BODY))
    clock.advance(59)
    service.send_message("long", SendRequest(BODY))
    assert provider.generated == 1
    clock.advance(2)
    service.send_message("long", SendRequest(BODY))
    assert provider.generated == 1
    service.send_message("short", SendRequest(BODY))
    assert provider.generated == 2
