"""dynaqueue: an SQS-compatible message queue."""
