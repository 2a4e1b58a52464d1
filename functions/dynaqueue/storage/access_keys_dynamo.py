"""Access keys of the deployment: items in the queue table, secrets encrypted with KMS, cached briefly.

| item       | `pk` | `sk`          | other attributes                                            |
|------------|------|---------------|-------------------------------------------------------------|
| access key | `K`  | access key id | `ac` account, `un` user name, `ks` KMS ciphertext, `en`, `ca` |

All keys share one partition, so listing them is one Query; there are few, and requests read
them through the cache. The secret is encrypted with the KMS key named by the deployment, with
the access key id as encryption context, so a ciphertext moved onto another item does not
decrypt. A decrypted key is kept for `cache_seconds`: disabling or deleting a key takes that long
to reach every running Lambda.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from dynaqueue.domain.access_keys import AccessKey, Principal
from dynaqueue.domain.clock import Clock
from dynaqueue.storage.tables import HASH_KEY, RANGE_KEY

ACCESS_KEYS_PARTITION = "K"
ACCOUNT = "ac"
USER_NAME = "un"
SEALED_SECRET = "ks"
ENABLED = "en"
CREATED_AT = "ca"
ENCRYPTION_CONTEXT_KEY = "dynaqueue:access-key-id"
MAX_CACHED_KEYS = 1024
# An unknown key id is remembered for less time, so a key just created starts working soon.
MAX_UNKNOWN_KEY_SECONDS = 5.0


class AccessKeyItem(Model):
    """The item layout of an access key (the table itself is declared in storage.tables)."""

    class Meta:
        table_name = "dynaqueue"

    pk = UnicodeAttribute(hash_key=True, attr_name=HASH_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=RANGE_KEY)
    account_id = UnicodeAttribute(attr_name=ACCOUNT)
    user_name = UnicodeAttribute(null=True, attr_name=USER_NAME)
    sealed_secret = BinaryAttribute(legacy_encoding=False, attr_name=SEALED_SECRET)
    enabled = BooleanAttribute(attr_name=ENABLED)
    created_at_ms = NumberAttribute(attr_name=CREATED_AT)


class DynamoAccessKeys:
    """The AccessKeyStore on DynamoDB and KMS."""

    def __init__(
        self, *, table_name: str, client: Any, kms: Any, kms_key_id: str, clock: Clock, cache_seconds: float
    ) -> None:
        self._table = table_name
        self._client = client
        self._kms = kms
        self._kms_key_id = kms_key_id
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: OrderedDict[str, tuple[float, AccessKey | None]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: AccessKey) -> None:
        if not self._kms_key_id:
            raise ValueError("a KMS key id is needed to store access keys in DynamoDB")
        sealed = self._kms.encrypt(
            KeyId=self._kms_key_id,
            Plaintext=key.secret_access_key.encode(),
            EncryptionContext={ENCRYPTION_CONTEXT_KEY: key.access_key_id},
        )["CiphertextBlob"]
        item = {
            HASH_KEY: {"S": ACCESS_KEYS_PARTITION},
            RANGE_KEY: {"S": key.access_key_id},
            ACCOUNT: {"S": key.principal.account_id},
            SEALED_SECRET: {"B": sealed},
            ENABLED: {"BOOL": key.enabled},
            CREATED_AT: {"N": str(key.created_at_ms)},
        }
        if key.principal.user_name:
            item[USER_NAME] = {"S": key.principal.user_name}
        self._client.put_item(
            TableName=self._table,
            Item=item,
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": HASH_KEY},
        )

    def get(self, access_key_id: str) -> AccessKey | None:
        now = self._clock.monotonic()
        with self._lock:
            cached = self._cache.get(access_key_id)
            if cached is not None and cached[0] > now:
                return cached[1]
        response = self._client.get_item(TableName=self._table, Key=_key(access_key_id), ConsistentRead=True)
        key = self._key(response["Item"]) if "Item" in response else None
        lifetime = self._cache_seconds if key else min(self._cache_seconds, MAX_UNKNOWN_KEY_SECONDS)
        with self._lock:
            self._cache[access_key_id] = (now + lifetime, key)
            self._cache.move_to_end(access_key_id)
            while len(self._cache) > MAX_CACHED_KEYS:
                self._cache.popitem(last=False)
        return key

    def list(self) -> list[AccessKey]:
        keys: list[AccessKey] = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": HASH_KEY},
            "ExpressionAttributeValues": {":pk": {"S": ACCESS_KEYS_PARTITION}},
        }
        while True:
            page = self._client.query(**arguments)
            keys.extend(self._key(item, with_secret=False) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return keys
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def set_enabled(self, access_key_id: str, enabled: bool) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(access_key_id),
                UpdateExpression="SET #en = :en",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#en": ENABLED, "#pk": HASH_KEY},
                ExpressionAttributeValues={":en": {"BOOL": enabled}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        self._forget(access_key_id)
        return True

    def delete(self, access_key_id: str) -> bool:
        response = self._client.delete_item(TableName=self._table, Key=_key(access_key_id), ReturnValues="ALL_OLD")
        self._forget(access_key_id)
        return "Attributes" in response

    def _forget(self, access_key_id: str) -> None:
        with self._lock:
            self._cache.pop(access_key_id, None)

    def _key(self, item: dict[str, Any], *, with_secret: bool = True) -> AccessKey:
        access_key_id = item[RANGE_KEY]["S"]
        secret = b""
        if with_secret:
            secret = self._kms.decrypt(
                CiphertextBlob=item[SEALED_SECRET]["B"], EncryptionContext={ENCRYPTION_CONTEXT_KEY: access_key_id}
            )["Plaintext"]
        return AccessKey(
            access_key_id=access_key_id,
            secret_access_key=secret.decode(),
            principal=Principal(item[ACCOUNT]["S"], item.get(USER_NAME, {}).get("S")),
            enabled=item[ENABLED]["BOOL"],
            created_at_ms=int(item[CREATED_AT]["N"]),
        )


def _key(access_key_id: str) -> dict[str, Any]:
    return {HASH_KEY: {"S": ACCESS_KEYS_PARTITION}, RANGE_KEY: {"S": access_key_id}}
