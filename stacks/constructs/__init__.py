"""The building blocks of the queue service stack, one capability per module."""
