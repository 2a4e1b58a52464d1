"""`dynaqueue serve`: run the local server until SIGINT or SIGTERM, then stop without losing anything."""

from __future__ import annotations

import signal
import threading
import warnings
from contextlib import ExitStack
from typing import TextIO

from dynaqueue import wiring
from dynaqueue.config import Settings
from dynaqueue.handlers.api import lambda_handler
from dynaqueue.local.housekeeping_timer import HousekeepingTimer
from dynaqueue.local.server import LocalServer
from dynaqueue.local.stores import describe_data, local_receipt_secret, local_store
from dynaqueue.local.tls import tls_context

# Requests in flight get this long to finish after a stop signal. Long polls still waiting
# after it are abandoned: a waiting poll holds no message, and messages claimed by a poll cut
# short reappear after their visibility timeout, so nothing is lost either way.
SHUTDOWN_GRACE_SECONDS = 5.0
# Move tasks advance every housekeeping interval; the walk over every queue (dead-letter moves,
# expiry, counts) runs once a minute, as the schedule runs it on AWS.
QUEUE_WALK_INTERVAL_MS = 60_000


def serve(settings: Settings, *, host: str, port: int, out: TextIO) -> int:
    """Serve until stopped; returns the process exit code."""
    # Metrics are off locally, and Powertools warns whenever an invocation emits none.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stop_requested = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop_requested.set())
    with ExitStack() as stack:
        store = stack.enter_context(local_store(settings))
        wiring.configure(wiring.build_service(settings, store, local_receipt_secret(settings)))
        stack.callback(wiring.configure, None)
        if settings.housekeeping_interval > 0:
            housekeeper = wiring.get_service().housekeeper(walk_interval_ms=QUEUE_WALK_INTERVAL_MS)
            timer = HousekeepingTimer(
                lambda budget_ms: housekeeper.run(time_budget_ms=budget_ms),
                interval_seconds=settings.housekeeping_interval,
            )
            timer.start()
            stack.callback(timer.stop, SHUTDOWN_GRACE_SECONDS)
        try:
            server = LocalServer(
                host,
                port,
                handler=lambda_handler,
                account_id=settings.account_id,
                region=settings.region,
                tls=tls_context(settings),
            )
        except OSError as error:
            raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
        server.start()
        print(f"dynaqueue listening on {server.scheme}://{host}:{server.port}", file=out, flush=True)
        print(describe_data(settings), file=out, flush=True)
        stop_requested.wait()
        if server.in_flight:
            print(f"stopping: waiting for {server.in_flight} requests in flight", file=out, flush=True)
        unfinished = server.stop(SHUTDOWN_GRACE_SECONDS)
        if unfinished:
            print(
                f"{unfinished} requests abandoned; any messages they claimed reappear after their visibility timeout",
                file=out,
                flush=True,
            )
    print("dynaqueue stopped", file=out, flush=True)
    return 0
