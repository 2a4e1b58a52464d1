"""The one DynamoDB table, declared once as PynamoDB models: keys, ready index, TTL attribute, item layouts.

Table (on-demand, TTL on `xa`): hash key `pk` (S), range key `sk` (S).

| item            | `pk`                    | `sk`            | other attributes                                    |
|-----------------|-------------------------|-----------------|-----------------------------------------------------|
| live queue      | `Q`                     | queue name      | `qid`, `f`, `qa`, `tg`, `ca`, `ma`, `gen`, `lp`     |
| deleted queue   | `D`                     | queue name      | `da` deleted at ms, `xa`                            |
| message (head)  | message id              | `m`             | `g1p`, `va`, `st`, `xa`, `b`/`nc`, `rc`, `fr`, `lt` |
| message chunk   | message id              | `c000`, `c001`… | `b` (a slice of the content blob), `xa`             |
| FIFO group      | `f#<qid>#<gen>#<group>` | `g`             | `ls`, `vn`, `w`; `hs`, `g1p`, `va` or else `xa`     |
| FIFO message    | `f#<qid>#<gen>#<group>` | `s<sequence>`   | `mid`, `st`, `va`, `xa`, `b`/`nc`                   |
| FIFO dedup      | `d#<qid>#<gen>#<key>`   | `d`             | `mid`, `sq`, `dx` window end ms, `xa`               |
| receive attempt | `r#<qid>#<attempt>`     | `r`             | `la` (leases), `ea` expires at ms, `xa`             |
| move task       | `T#<source qid>`        | task id         | `sa` `ta` `ts` `tb` `tm` `mv` `mr` `rs` `pa` `rv` `xa` |
| active task slot| `M`                     | source qid      | `tid` the source's one RUNNING/CANCELLING task      |
| lease           | `L`                     | lease name      | `h` holder, `ex` expires at ms, `xa`                |
| cursor          | `C`                     | cursor name     | `v` value                                           |
| abandoned gen.  | `A`                     | `<qid>#<gen>`   | `f` FIFO, `n` shards, `xa`                          |

Message attributes: `g1p` = `<queue id>#<generation>#<shard>` (ready-index partition), `va` visible-at ms,
`st` sent-at ms, `xa` TTL (epoch s: sent + 15 days, beyond the longest retention), `b` content blob (body
and attributes, zlib when smaller; see dynamo_codec), `nc` number of chunk items instead of `b` when the
blob exceeds 4 KB, `rc` receive count, `fr` first receive ms, `lt` lease token. `rc`, `fr` and `lt` are
absent until the first receive, which keeps a new message's item small: a 1 KB JSON body makes a head
item of about 0.5 KB, still under 1 KB after receives. A message moved to a dead-letter queue keeps its item
(only `g1p` changes queue) and gains `ds`, the source queue's ARN, outside the blob so chunks stay as written.

FIFO: `<group>`, `<key>` and `<attempt>` are digests (22 characters) of the group id, the scoped deduplication
key and the receive attempt id. A group's messages sort by their 20-digit sequence number after the group
item, so one Query reads the group's state and its first messages. FIFO message items are written once; all
delivery state lives in the group item: `hs` head sequence, `ls` last sequence assigned, `vn` version
(bumped by every claim, visibility change and delete), `w` the deliveries of received messages (sequence →
`v` visible-at ms, `t` lease nonce, `c` receive count, `f` first receive ms, `n` chunk count if chunked), and
while the group has messages `g1p` (shard of the group digest) and `va`, the time its head message becomes
receivable. Received messages are always among the first ten of their group, so `w` holds at most ten
entries and the group item stays under 1 KB. An empty group keeps `ls` (sequence numbers keep increasing)
until `xa`, a day later. A FIFO message moved into a dead-letter queue is a new message item there carrying
the receive count, first receive time and source ARN it had (`rc`, `fr`, `ds`), and the source's content
(inline, or chunk items of its own: `ck` names their partition, `<message id>#<move digest>`, so deleting
either copy never takes the other's body; a delivery of such a message repeats it as `k`).

Housekeeping items: a move task (DLQ redrive) lives in its source queue's partition (`sa` source ARN,
`ta` destination ARN, `ts` status, `tb` started at ms, `tm` to move, `mv` moved, `mr` max per second, `rs`
failure reason, `pa` progressed at ms, `rv` revision, `xa` 14 days after it ended); while RUNNING or
CANCELLING it also holds its source's slot in the `M` partition, written in the same transaction, so one
Query lists the active tasks of every queue and a second start for a queue fails on the slot's condition.
Purge and delete-queue write an abandoned-generation marker (`A`), which reclamation reads to find the
messages no receive reaches any more; TTL removes a marker after every item it points to is gone anyway.

GSI1, the ready index: partition `g1p` (S), sort `va` (N), projection INCLUDE `st`, `rc`. Only standard message
heads and non-empty FIFO groups carry `g1p`, so nothing else enters it. An entry is about 105 bytes: 1 write
unit per index write, and a receive query (at most 20 entries) costs 0.5 read units (eventually consistent).

Live queue items share one partition key so that ListQueues is one Query in name order; DynamoDB can
split that item collection by sort key when it gets hot, and the in-Lambda cache keeps reads off it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from dynaqueue.domain.model import QueueRecord

HASH_KEY = "pk"
RANGE_KEY = "sk"
READY_INDEX = "GSI1"
READY_KEY = "g1p"
VISIBLE_AT = "va"
SENT_AT = "st"
EXPIRES_AT = "xa"
CONTENT = "b"
CHUNK_COUNT = "nc"
RECEIVE_COUNT = "rc"
FIRST_RECEIVED_AT = "fr"
LEASE_TOKEN = "lt"
LAST_PURGED_AT = "lp"
DEAD_LETTER_SOURCE = "ds"
QUEUE_ID = "qid"

QUEUES_PARTITION = "Q"
DELETED_QUEUES_PARTITION = "D"
MESSAGE_HEAD = "m"
CHUNK_PREFIX = "c"

FIFO_GROUP_PREFIX = "f#"
DEDUPLICATION_PREFIX = "d#"
RECEIVE_ATTEMPT_PREFIX = "r#"
GROUP_SORT_KEY = "g"
FIFO_MESSAGE_PREFIX = "s"
DEDUPLICATION_SORT_KEY = "d"
RECEIVE_ATTEMPT_SORT_KEY = "r"
HEAD_SEQUENCE = "hs"
LAST_SEQUENCE = "ls"
GROUP_VERSION = "vn"
DELIVERIES = "w"
DELIVERY_VISIBLE_AT = "v"
DELIVERY_NONCE = "t"
DELIVERY_RECEIVE_COUNT = "c"
DELIVERY_FIRST_RECEIVED_AT = "f"
DELIVERY_CHUNK_COUNT = "n"
MESSAGE_ID = "mid"
SEQUENCE_NUMBER = "sq"
WINDOW_ENDS_AT = "dx"
CHUNK_KEY = "ck"
DELIVERY_CHUNK_KEY = "k"

MOVE_TASK_PREFIX = "T#"
ACTIVE_TASKS_PARTITION = "M"
LEASES_PARTITION = "L"
CURSORS_PARTITION = "C"
ABANDONED_PARTITION = "A"
REVISION = "rv"
TASK_ID = "tid"
LEASE_HOLDER = "h"
LEASE_EXPIRES_AT = "ex"


class _TableItem(Model):
    """Every item of the table: the composite primary key."""

    pk = UnicodeAttribute(hash_key=True, attr_name=HASH_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=RANGE_KEY)


class ReadyIndex(GlobalSecondaryIndex["MessageItem"]):
    """GSI1: the messages of one queue generation and shard, by the time they become receivable."""

    class Meta:
        index_name = READY_INDEX
        projection = IncludeProjection([SENT_AT, RECEIVE_COUNT])

    ready_key = UnicodeAttribute(hash_key=True, attr_name=READY_KEY)
    visible_at_ms = NumberAttribute(range_key=True, attr_name=VISIBLE_AT)


class MessageItem(_TableItem):
    """A standard message's head item; `pk` is the message id."""

    ready_key = UnicodeAttribute(attr_name=READY_KEY)
    visible_at_ms = NumberAttribute(attr_name=VISIBLE_AT)
    sent_at_ms = NumberAttribute(attr_name=SENT_AT)
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)
    content = BinaryAttribute(null=True, legacy_encoding=False, attr_name=CONTENT)
    chunk_count = NumberAttribute(null=True, attr_name=CHUNK_COUNT)
    receive_count = NumberAttribute(null=True, attr_name=RECEIVE_COUNT)
    first_received_at_ms = NumberAttribute(null=True, attr_name=FIRST_RECEIVED_AT)
    lease_token = UnicodeAttribute(null=True, attr_name=LEASE_TOKEN)
    dead_letter_source = UnicodeAttribute(null=True, attr_name=DEAD_LETTER_SOURCE)
    ready = ReadyIndex()


class ChunkItem(_TableItem):
    """One slice of a content blob too large for the head item; `pk` is the message id."""

    content = BinaryAttribute(legacy_encoding=False, attr_name=CONTENT)
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)


class FifoGroupItem(_TableItem):
    """A FIFO message group's ordering and delivery state; `sk` is GROUP_SORT_KEY.

    `deliveries` maps a sequence number to a map of DELIVERY_* attributes. While the group has messages,
    `ready_key` and `visible_at_ms` (its head's) put it in GSI1.
    """

    ready_key = UnicodeAttribute(null=True, attr_name=READY_KEY)
    visible_at_ms = NumberAttribute(null=True, attr_name=VISIBLE_AT)
    head_sequence = UnicodeAttribute(null=True, attr_name=HEAD_SEQUENCE)
    last_sequence = UnicodeAttribute(attr_name=LAST_SEQUENCE)
    version = NumberAttribute(attr_name=GROUP_VERSION)
    deliveries = MapAttribute(attr_name=DELIVERIES)
    expires_at = TTLAttribute(null=True, attr_name=EXPIRES_AT)


class FifoMessageItem(_TableItem):
    """A FIFO message, written once; `sk` is FIFO_MESSAGE_PREFIX + its sequence number, `va` its first visible-at."""

    message_id = UnicodeAttribute(attr_name=MESSAGE_ID)
    sent_at_ms = NumberAttribute(attr_name=SENT_AT)
    visible_at_ms = NumberAttribute(attr_name=VISIBLE_AT)
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)
    content = BinaryAttribute(null=True, legacy_encoding=False, attr_name=CONTENT)
    chunk_count = NumberAttribute(null=True, attr_name=CHUNK_COUNT)
    carried_receive_count = NumberAttribute(null=True, attr_name=RECEIVE_COUNT)
    carried_first_received_at_ms = NumberAttribute(null=True, attr_name=FIRST_RECEIVED_AT)
    dead_letter_source = UnicodeAttribute(null=True, attr_name=DEAD_LETTER_SOURCE)
    chunk_key = UnicodeAttribute(null=True, attr_name=CHUNK_KEY)


class DeduplicationItem(_TableItem):
    """The first accepted send of a deduplication key; a send within the window finds its ids here."""

    message_id = UnicodeAttribute(attr_name=MESSAGE_ID)
    sequence_number = UnicodeAttribute(attr_name=SEQUENCE_NUMBER)
    window_ends_at_ms = NumberAttribute(attr_name=WINDOW_ENDS_AT)
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)


class LeaseAttribute(MapAttribute[str, Any]):
    """One lease a receive returned."""

    message_id = UnicodeAttribute(attr_name="m")
    lease_token = UnicodeAttribute(attr_name="t")
    received_at_ms = NumberAttribute(attr_name="r")


class ReceiveAttemptItem(_TableItem):
    """What a FIFO receive with a ReceiveRequestAttemptId returned, until `expires_at_ms`."""

    leases = ListAttribute(of=LeaseAttribute, attr_name="la")
    expires_at_ms = NumberAttribute(attr_name="ea")
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)


class QueueItem(_TableItem):
    """A live queue: `pk` is QUEUES_PARTITION, `sk` the queue name."""

    queue_id = UnicodeAttribute(attr_name=QUEUE_ID)
    fifo = BooleanAttribute(attr_name="f")
    attributes = MapAttribute(attr_name="qa")
    tags = MapAttribute(attr_name="tg")
    created_at_ms = NumberAttribute(attr_name="ca")
    last_modified_at_ms = NumberAttribute(attr_name="ma")
    generation = NumberAttribute(attr_name="gen")
    last_purged_at_ms = NumberAttribute(null=True, attr_name=LAST_PURGED_AT)

    @classmethod
    def from_domain(cls, record: QueueRecord) -> QueueItem:
        return cls(
            pk=QUEUES_PARTITION,
            sk=record.name,
            queue_id=record.queue_id,
            fifo=record.fifo,
            attributes=dict(record.attributes),
            tags=dict(record.tags),
            created_at_ms=record.created_at_ms,
            last_modified_at_ms=record.last_modified_at_ms,
            generation=record.generation,
            last_purged_at_ms=record.last_purged_at_ms,
        )

    def to_domain(self) -> QueueRecord:
        return QueueRecord(
            name=self.sk,
            queue_id=self.queue_id,
            fifo=self.fifo,
            attributes=self.attributes.as_dict(),
            tags=self.tags.as_dict(),
            created_at_ms=int(self.created_at_ms),
            last_modified_at_ms=int(self.last_modified_at_ms),
            generation=int(self.generation),
            last_purged_at_ms=None if self.last_purged_at_ms is None else int(self.last_purged_at_ms),
        )


class DeletedQueueItem(_TableItem):
    """When a queue name was last deleted (the 60-second re-create rule); TTL forgets it after a day."""

    deleted_at_ms = NumberAttribute(attr_name="da")
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)


class MoveTaskItem(_TableItem):
    """A message-move task: `pk` is MOVE_TASK_PREFIX + source queue id, `sk` the task id."""

    source_arn = UnicodeAttribute(attr_name="sa")
    destination_arn = UnicodeAttribute(null=True, attr_name="ta")
    status = UnicodeAttribute(attr_name="ts")
    started_at_ms = NumberAttribute(attr_name="tb")
    messages_to_move = NumberAttribute(attr_name="tm")
    messages_moved = NumberAttribute(attr_name="mv")
    max_per_second = NumberAttribute(null=True, attr_name="mr")
    failure_reason = UnicodeAttribute(null=True, attr_name="rs")
    progressed_at_ms = NumberAttribute(attr_name="pa")
    revision = NumberAttribute(attr_name=REVISION)
    expires_at = TTLAttribute(null=True, attr_name=EXPIRES_AT)


class ActiveMoveTaskItem(_TableItem):
    """The one active task of a source queue: `pk` is ACTIVE_TASKS_PARTITION, `sk` the source queue id."""

    task_id = UnicodeAttribute(attr_name=TASK_ID)


class LeaseItem(_TableItem):
    """A named lease (one housekeeping run at a time): `pk` is LEASES_PARTITION, `sk` the name."""

    holder = UnicodeAttribute(attr_name=LEASE_HOLDER)
    expires_at_ms = NumberAttribute(attr_name=LEASE_EXPIRES_AT)
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)


class CursorItem(_TableItem):
    """Where a housekeeping pass left off: `pk` is CURSORS_PARTITION, `sk` the cursor name."""

    value = UnicodeAttribute(attr_name="v")


class AbandonedGenerationItem(_TableItem):
    """A purged generation or deleted queue whose messages are left to reclaim: `sk` is `<qid>#<gen>`."""

    fifo = BooleanAttribute(attr_name="f")
    shards = NumberAttribute(attr_name="n")
    expires_at = TTLAttribute(attr_name=EXPIRES_AT)


def queue_record(item: Mapping[str, Any]) -> QueueRecord:
    """The domain record of a raw queue item as the low-level client returns it."""
    return QueueItem.from_raw_data(dict(item)).to_domain()


@dataclass(frozen=True, slots=True)
class IndexSchema:
    """A global secondary index as the request-unit accountant needs it."""

    name: str
    hash_key: str
    range_key: str
    projection_type: str
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TableSchema:
    """Key names, indexes and TTL attribute of the table, derived from the models."""

    hash_key: str
    range_key: str
    indexes: tuple[IndexSchema, ...]
    ttl_attribute: str


def _table_schema() -> TableSchema:
    schema = MessageItem._get_schema()
    keys = {key["KeyType"]: key["AttributeName"] for key in schema["key_schema"]}
    indexes = []
    for index in schema["global_secondary_indexes"]:
        index_keys = {key["KeyType"]: key["AttributeName"] for key in index["key_schema"]}
        projection = index["projection"]
        indexes.append(
            IndexSchema(
                name=index["index_name"],
                hash_key=index_keys["HASH"],
                range_key=index_keys["RANGE"],
                projection_type=projection["ProjectionType"],
                non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
            )
        )
    return TableSchema(
        hash_key=keys["HASH"],
        range_key=keys["RANGE"],
        indexes=tuple(indexes),
        ttl_attribute=MessageItem._ttl_attribute().attr_name,
    )


TABLE_SCHEMA = _table_schema()


def create_table_arguments(table_name: str) -> dict[str, Any]:
    """CreateTable parameters for the table (on-demand billing), as the models declare it."""
    schema = MessageItem._get_schema()
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": schema["attribute_definitions"],
        "KeySchema": schema["key_schema"],
        "GlobalSecondaryIndexes": [
            {"IndexName": index["index_name"], "KeySchema": index["key_schema"], "Projection": index["projection"]}
            for index in schema["global_secondary_indexes"]
        ],
    }


def create_table(client: Any, table_name: str) -> None:
    """Create the table with its ready index and TTL (local mode and tests; AWS gets it from the stack)."""
    client.create_table(**create_table_arguments(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TABLE_SCHEMA.ttl_attribute},
    )
