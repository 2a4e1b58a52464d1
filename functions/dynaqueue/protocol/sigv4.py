"""AWS Signature Version 4 for service `sqs`: read a request's signature, check its time, verify it.

Both forms are read: the `Authorization` header and presigned query parameters (`X-Amz-*`).
The canonical request is rebuilt from the raw path, the raw query string and the raw body, as
botocore builds it for non-S3 services (path normalised and encoded once more, query parameters
re-encoded and sorted, header values trimmed). Every input is bounded before any work is done
on it, and the signatures are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote_to_bytes

from dynaqueue.protocol.auth_errors import (
    AuthenticationError,
    IncompleteSignature,
    InvalidSecurity,
    RequestExpired,
    SignatureDoesNotMatch,
)
from dynaqueue.protocol.exchange import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "sqs"
TERMINATOR = "aws4_request"
# How far a header-signed request's time may be from the server's, either way (AWS: 5 minutes).
MAX_CLOCK_SKEW_SECONDS = 300
# The longest a presigned URL may be valid (AWS: 7 days).
MAX_PRESIGNED_EXPIRES_SECONDS = 604_800
MAX_AUTHORIZATION_CHARS = 4096
MAX_SIGNED_HEADERS = 64
# Longer than any query string a 10 MiB request can carry, so only nonsense is refused.
MAX_QUERY_PARAMETERS = 10_000

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_REGION = re.compile(r"[a-z0-9-]{1,32}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_HEADER_NAME = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]{1,128}")
_ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9]{1,128}")
_PRESIGNED = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_PRESIGNED_NAMES = frozenset(name.encode() for name in (*_PRESIGNED, "X-Amz-Expires"))
# SigV2 and older sign with these; SQS accepts only SigV4.
_LEGACY_SIGNATURE_NAMES = frozenset((b"Signature", b"SignatureVersion", b"AWSAccessKeyId"))


@dataclass(frozen=True, slots=True)
class Credential:
    """The `Credential=` scope: `<access key>/<yyyymmdd>/<region>/sqs/aws4_request`."""

    access_key_id: str
    date: str
    region: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{SERVICE}/{TERMINATOR}"


@dataclass(frozen=True, slots=True)
class Signature:
    """What a request claims about its signing; `expires_seconds` only for presigned requests."""

    credential: Credential
    amz_date: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    expires_seconds: int | None = None

    @property
    def signed_at(self) -> datetime:
        return datetime.strptime(self.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def read_signature(request: HttpRequest) -> Signature | None:
    """The request's SigV4 signature, None when it carries none; malformed signatures raise."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return _header_signature(request, authorization)
    parameters = _query_parameters(request.query_string)
    names = {name for name, _ in parameters}
    if names & _PRESIGNED_NAMES:
        return _presigned_signature(dict(parameters))
    if names & _LEGACY_SIGNATURE_NAMES:
        raise InvalidSecurity()
    return None


def claimed_access_key_id(request: HttpRequest) -> str | None:
    """The access key a request names, however it is signed; for the audit log when nothing is verified."""
    try:
        signature = read_signature(request)
    except AuthenticationError:
        return None
    return signature.credential.access_key_id if signature else None


def check_time(signature: Signature, now: datetime) -> None:
    """A header signature within the allowed skew; a presigned one within its validity."""
    signed_at = signature.signed_at
    skew = MAX_CLOCK_SKEW_SECONDS
    stamp = _stamp(now)
    if signature.presigned:
        if (now - signed_at).total_seconds() > (signature.expires_seconds or 0):
            raise RequestExpired()
        if (signed_at - now).total_seconds() > skew:
            raise RequestExpired("Request is not yet valid.")
        return
    if (now - signed_at).total_seconds() > skew:
        raise SignatureDoesNotMatch(
            f"Signature expired: {signature.amz_date} is now earlier than {_stamp_before(now, skew)} "
            f"({stamp} - {skew // 60} min.)"
        )
    if (signed_at - now).total_seconds() > skew:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {signature.amz_date} is still later than {_stamp_after(now, skew)} "
            f"({stamp} + {skew // 60} min.)"
        )


def verify(request: HttpRequest, signature: Signature, secret_access_key: str) -> None:
    """Raise SignatureDoesNotMatch unless `secret_access_key` signed exactly this request."""
    expected = sign(request, signature, secret_access_key)
    if not hmac.compare_digest(expected.encode(), signature.signature.encode()):
        raise SignatureDoesNotMatch()


def sign(request: HttpRequest, signature: Signature, secret_access_key: str) -> str:
    """The hex signature `secret_access_key` gives the request under the claimed scope, time and headers."""
    canonical = canonical_request(request, signature)
    string_to_sign = "\n".join(
        (ALGORITHM, signature.amz_date, signature.credential.scope, hashlib.sha256(_utf8(canonical)).hexdigest())
    )
    key = _signing_key(secret_access_key, signature.credential)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def canonical_request(request: HttpRequest, signature: Signature) -> str:
    headers = "".join(f"{name}:{_header_value(request, name)}\n" for name in signature.signed_headers)
    return "\n".join(
        (
            request.method.upper(),
            quote(_utf8(_remove_dot_segments(request.path) or "/"), safe="/~"),
            _canonical_query(request.query_string, presigned=signature.presigned),
            headers,
            ";".join(signature.signed_headers),
            hashlib.sha256(request.body).hexdigest(),
        )
    )


def _header_signature(request: HttpRequest, authorization: str) -> Signature:
    if len(authorization) > MAX_AUTHORIZATION_CHARS:
        raise IncompleteSignature("The Authorization header is too long.")
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise InvalidSecurity() if algorithm.startswith("AWS") else IncompleteSignature(_incomplete(authorization))
    parts: dict[str, str] = {}
    for part in rest.split(","):
        name, separator, value = part.strip().partition("=")
        if separator:
            parts[name] = value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not parts.get(name)
    ]
    amz_date = request.headers.get("x-amz-date")
    if amz_date is None and "date" in request.headers:
        amz_date = _from_http_date(request.headers["date"])
    if amz_date is None:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise IncompleteSignature(" ".join(missing) + f" Authorization={_shown(authorization)}")
    return _signature(
        credential=parts["Credential"],
        amz_date=amz_date or "",
        signed_headers=parts["SignedHeaders"],
        signature=parts["Signature"],
        presigned=False,
    )


def _presigned_signature(parameters: dict[bytes, bytes]) -> Signature:
    values = {name: parameters.get(name.encode(), b"").decode("utf-8", "replace") for name in _PRESIGNED}
    missing = [name for name, value in values.items() if not value]
    expires = parameters.get(b"X-Amz-Expires", b"").decode("utf-8", "replace")
    if not expires:
        missing.append("X-Amz-Expires")
    if missing:
        raise IncompleteSignature(
            f"AWS query-string parameters must include {', '.join(missing)}. Re-examine the query-string parameters."
        )
    if values["X-Amz-Algorithm"] != ALGORITHM:
        raise InvalidSecurity()
    if not expires.isdigit() or len(expires) > 7 or not 1 <= int(expires) <= MAX_PRESIGNED_EXPIRES_SECONDS:
        raise IncompleteSignature(
            f"X-Amz-Expires must be between 1 and {MAX_PRESIGNED_EXPIRES_SECONDS} seconds, not {_shown(expires)}."
        )
    return _signature(
        credential=values["X-Amz-Credential"],
        amz_date=values["X-Amz-Date"],
        signed_headers=values["X-Amz-SignedHeaders"],
        signature=values["X-Amz-Signature"],
        presigned=True,
        expires_seconds=int(expires),
    )


def _signature(
    *,
    credential: str,
    amz_date: str,
    signed_headers: str,
    signature: str,
    presigned: bool,
    expires_seconds: int | None = None,
) -> Signature:
    if not _AMZ_DATE.fullmatch(amz_date) or _parsed(amz_date) is None:
        raise IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{_shown(amz_date)}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    scope = _credential(credential, amz_date)
    names = signed_headers.split(";")
    if len(names) > MAX_SIGNED_HEADERS or not all(_HEADER_NAME.fullmatch(name) for name in names):
        raise IncompleteSignature(f"Invalid SignedHeaders: '{_shown(signed_headers)}'.")
    if "host" not in names:
        raise SignatureDoesNotMatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    if not _SIGNATURE.fullmatch(signature):
        raise SignatureDoesNotMatch()
    return Signature(
        credential=scope,
        amz_date=amz_date,
        signed_headers=tuple(sorted(set(names))),
        signature=signature,
        presigned=presigned,
        expires_seconds=expires_seconds,
    )


def _credential(credential: str, amz_date: str) -> Credential:
    parts = credential.split("/")
    if len(parts) != 5 or not _ACCESS_KEY_ID.fullmatch(parts[0]):
        raise IncompleteSignature(
            f"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{_shown(credential)}'"
        )
    access_key_id, date, region, service, terminator = parts
    if date != amz_date[:8]:
        raise SignatureDoesNotMatch(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{_shown(date)}' != '{amz_date[:8]}', from ISO-8601 string '{amz_date}'."
        )
    if not _REGION.fullmatch(region):
        raise SignatureDoesNotMatch(f"Credential should be scoped to a valid region, not '{_shown(region)}'.")
    if service != SERVICE:
        raise SignatureDoesNotMatch(f"Credential should be scoped to correct service: '{SERVICE}'.")
    if terminator != TERMINATOR:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{_shown(terminator)}'."
        )
    return Credential(access_key_id=access_key_id, date=date, region=region)


def _query_parameters(query_string: str) -> list[tuple[bytes, bytes]]:
    """Decoded name/value pairs, byte-exact ('+' stays '+', as SigV4 treats it)."""
    pairs = [pair for pair in query_string.split("&", MAX_QUERY_PARAMETERS) if pair]
    if len(pairs) > MAX_QUERY_PARAMETERS:
        raise IncompleteSignature("The query string has too many parameters.")
    decoded = []
    for pair in pairs:
        name, _, value = pair.partition("=")
        decoded.append((unquote_to_bytes(_utf8(name)), unquote_to_bytes(_utf8(value))))
    return decoded


def _canonical_query(query_string: str, *, presigned: bool) -> str:
    pairs = [
        (quote(name, safe="-_.~"), quote(value, safe="-_.~"))
        for name, value in _query_parameters(query_string)
        if not (presigned and name == b"X-Amz-Signature")
    ]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _header_value(request: HttpRequest, name: str) -> str:
    return " ".join(request.headers.get(name, "").split())


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal, also dropping empty segments, as botocore does before signing."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and kept else ""
    return leading + "/".join(kept) + trailing


def _utf8(text: str) -> bytes:
    """UTF-8, letting a lone surrogate through (it came off the wire; it can only fail to match)."""
    return text.encode("utf-8", "surrogatepass")


def _signing_key(secret_access_key: str, credential: Credential) -> bytes:
    key = f"AWS4{secret_access_key}".encode()
    for part in (credential.date, credential.region, SERVICE, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _parsed(amz_date: str) -> datetime | None:
    try:
        return datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        return None


def _from_http_date(value: str) -> str | None:
    """An RFC 1123 `Date` header in the basic ISO-8601 form SigV4 signs; None when unreadable."""
    try:
        parsed = datetime.strptime(value.strip()[:64], "%a, %d %b %Y %H:%M:%S GMT")
    except ValueError:
        return None
    return parsed.strftime("%Y%m%dT%H%M%SZ")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _stamp_before(moment: datetime, seconds: int) -> str:
    return _stamp(datetime.fromtimestamp(moment.timestamp() - seconds, UTC))


def _stamp_after(moment: datetime, seconds: int) -> str:
    return _stamp(datetime.fromtimestamp(moment.timestamp() + seconds, UTC))


def _incomplete(authorization: str) -> str:
    return f"Authorization header requires 'Credential' parameter. Authorization={_shown(authorization)}"


def _shown(text: str, limit: int = 128) -> str:
    """Client input echoed in a message, cut short so an error never grows with the request."""
    return text if len(text) <= limit else text[:limit] + "..."
