"""Real SQS clients against `dynaqueue serve`: the e2e server fixture, one server per store and test module."""

from __future__ import annotations

from tests.e2e.conftest import server

__all__ = ["server"]
