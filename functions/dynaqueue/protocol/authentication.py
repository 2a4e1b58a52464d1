"""Who sent a request: its SigV4 signature checked against the access key it names, or, with
authentication off, the owner (any signature, or none, accepted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dynaqueue.domain.access_keys import AccessKeyStore, Principal
from dynaqueue.domain.clock import Clock
from dynaqueue.protocol import sigv4
from dynaqueue.protocol.auth_errors import InvalidClientTokenId, MissingAuthenticationToken
from dynaqueue.protocol.exchange import HttpRequest


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal behind a request and the access key it signed with (None when unsigned)."""

    principal: Principal
    access_key_id: str | None


class Authenticator:
    """Verifies requests against the keys in `keys`; with `keys` None, every request is the owner's."""

    def __init__(self, keys: AccessKeyStore | None, *, owner_account_id: str, clock: Clock) -> None:
        self._keys = keys
        self._owner = Principal(owner_account_id)
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return self._keys is not None

    def is_owner(self, caller: Caller) -> bool:
        """Whether the caller is of the deployment's own account, which may do everything."""
        return caller.principal.account_id == self._owner.account_id

    def authenticate(self, request: HttpRequest) -> Caller:
        """The verified caller; raises an AuthenticationError (or a store's error) otherwise."""
        if self._keys is None:
            return Caller(self._owner, sigv4.claimed_access_key_id(request))
        signature = sigv4.read_signature(request)
        if signature is None:
            raise MissingAuthenticationToken()
        sigv4.check_time(signature, datetime.fromtimestamp(self._clock.now_ms() / 1000, UTC))
        key = self._keys.get(signature.credential.access_key_id)
        if key is None or not key.enabled:
            raise InvalidClientTokenId()
        sigv4.verify(request, signature, key.secret_access_key)
        return Caller(key.principal, key.access_key_id)
