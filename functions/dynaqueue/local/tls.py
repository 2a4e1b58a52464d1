"""HTTPS for `dynaqueue serve`: a server-side TLS context from a PEM certificate chain and key."""

from __future__ import annotations

import ssl

from dynaqueue.config import ENV_TLS_CERT, ConfigurationError, Settings


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The context to serve HTTPS with, or None for plain HTTP; TLS 1.2 at least."""
    if not settings.tls_cert and not settings.tls_key:
        return None
    if not (settings.tls_cert and settings.tls_key):
        raise ConfigurationError("a TLS certificate and its private key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as error:
        raise ConfigurationError(f"{ENV_TLS_CERT}: cannot load the certificate and key: {error}") from None
    return context
