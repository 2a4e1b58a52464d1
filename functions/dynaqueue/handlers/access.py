"""Who may do what, before and around the action: authenticate the caller, then give a principal of
another account the queue service as the queue policies let it see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dynaqueue.domain.addressing import queue_url
from dynaqueue.domain.authorization import AuthorizedQueueService
from dynaqueue.domain.errors import InternalError, QueueServiceError
from dynaqueue.observability import logger
from dynaqueue.protocol import dispatch
from dynaqueue.protocol.authentication import Authenticator, Caller
from dynaqueue.protocol.errors import INTERNAL_ERROR_MESSAGE
from dynaqueue.protocol.exchange import HttpRequest, Outcome

if TYPE_CHECKING:
    from dynaqueue.domain.service import QueueService


def serve(
    request: HttpRequest,
    authenticator_factory: Callable[[], Authenticator],
    service_factory: Callable[[], QueueService],
) -> tuple[Outcome, Caller | None]:
    """The request answered, and who sent it (None when that could not be established); never raises."""
    try:
        authenticator = authenticator_factory()
        caller = authenticator.authenticate(request)
    except QueueServiceError as error:
        return dispatch.refuse(request, error), None
    # A key store that cannot be read is our fault, not the caller's: a 500 they may retry.
    except Exception:
        logger.exception("authentication failed")
        return dispatch.refuse(request, InternalError(INTERNAL_ERROR_MESSAGE)), None
    if authenticator.is_owner(caller):
        return dispatch.handle(request, service_factory), caller

    def restricted() -> QueueService:
        service = service_factory()

        def resource(name: str) -> str:
            return queue_url(request.base_url, service.account_id, name)

        return AuthorizedQueueService(service, caller.principal, resource)  # type: ignore[return-value]

    return dispatch.handle(request, restricted), caller
