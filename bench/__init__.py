"""Benchmarks of dynaqueue against other SQS-compatible servers; run with `python -m bench run`."""
