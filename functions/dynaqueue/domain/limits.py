"""SQS quotas and value ranges, as named constants."""

from __future__ import annotations

# --- messages -----------------------------------------------------------------------------

# Body plus user message attributes; 1 MiB since 4 Aug 2025 (256 KiB before).
MAX_MESSAGE_BYTES = 1_048_576
MAX_MESSAGE_ATTRIBUTES = 10
MAX_MESSAGE_ATTRIBUTE_NAME_LENGTH = 256
MAX_MESSAGE_ATTRIBUTE_TYPE_LENGTH = 256
# Number attributes: "up to 38 significant digits ... from -10^128 to 10^126".
MAX_NUMBER_SIGNIFICANT_DIGITS = 38
MIN_NUMBER_VALUE = -(10**128)
MAX_NUMBER_VALUE = 10**126
# MessageGroupId, MessageDeduplicationId and ReceiveRequestAttemptId.
MAX_GROUP_ID_LENGTH = 128
MAX_DELAY_SECONDS = 900
MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200
MAX_WAIT_TIME_SECONDS = 20
MAX_RECEIVE_MESSAGES = 10
DEDUP_WINDOW_MS = 300_000
RECEIVE_ATTEMPT_WINDOW_MS = 300_000
# Lambda returns at most 6 MB synchronously; keep a receive's rendered answer well below it.
RECEIVE_RESPONSE_BUDGET_BYTES = 5_000_000

# --- batches ------------------------------------------------------------------------------

MAX_BATCH_ENTRIES = 10
# The whole SendMessageBatch, independent of the queue's MaximumMessageSize.
MAX_BATCH_BYTES = 1_048_576
MAX_BATCH_ENTRY_ID_LENGTH = 80

# --- queues -------------------------------------------------------------------------------

MAX_QUEUE_NAME_LENGTH = 80
MIN_MAXIMUM_MESSAGE_SIZE = 1_024
MIN_RETENTION_SECONDS = 60
MAX_RETENTION_SECONDS = 1_209_600
MIN_KMS_DATA_KEY_REUSE_SECONDS = 60
MAX_KMS_DATA_KEY_REUSE_SECONDS = 86_400
MIN_MAX_RECEIVE_COUNT = 1
MAX_MAX_RECEIVE_COUNT = 1_000
MAX_REDRIVE_SOURCE_QUEUE_ARNS = 10
QUEUE_RECREATE_DELAY_MS = 60_000
PURGE_INTERVAL_MS = 60_000
MAX_LIST_RESULTS = 1000

# --- tags ---------------------------------------------------------------------------------

MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
