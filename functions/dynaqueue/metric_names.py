"""The names the functions publish metrics under, standard library only: the CDK stacks import them for alarms."""

from __future__ import annotations

SERVICE_NAME = "dynaqueue"

MESSAGES_SENT = "MessagesSent"
MESSAGES_RECEIVED = "MessagesReceived"
EMPTY_RECEIVES = "EmptyReceives"
CLIENT_ERRORS = "ClientErrors"
SERVER_ERRORS = "ServerErrors"

# Emitted by the housekeeping function, once per run (no dimensions unless noted), so alarms
# need no per-queue configuration.
MESSAGES_MOVED_TO_DLQ = "MessagesMovedToDLQ"
MESSAGES_EXPIRED = "MessagesExpired"
MESSAGES_REDRIVEN = "MessagesRedriven"
MESSAGES_RECLAIMED = "MessagesReclaimed"
# Messages waiting in queues that are some queue's dead-letter queue (sum over them).
DEAD_LETTER_QUEUE_MESSAGES = "DeadLetterQueueMessages"
# Age in seconds of the oldest message of any queue (max); also per queue with dimension QueueName.
OLDEST_MESSAGE_AGE = "ApproximateAgeOfOldestMessage"
QUEUE_NAME_DIMENSION = "QueueName"
