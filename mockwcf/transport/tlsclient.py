"""TLS client certificates for transport security (clientCredentialType Certificate, requireClientCertificate).

HTTP.sys asks for a client certificate in the handshake and hands whatever the client sent to WCF, which
validates it in HttpsChannelListener.ValidateAuthentication: no certificate, or one its X509 validator
(certificateValidationMode: chain, dates, peer trust) refuses, answers HTTP 403 Forbidden
(CertificateErrorStatusCode). So the TLS handshake itself accepts any certificate (or none) here and the
scenario's validation runs on the request, with the scenario's clock, as WCF's does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography import x509

from mockwcf.faults import Rejection
from mockwcf.security import x509 as x509_check


def context_options(private_key: Any, certificate: Any) -> Any:
    """Twisted TLS options that request (never require at the TLS level) a client certificate."""
    from OpenSSL import SSL
    from twisted.internet import ssl

    class _AskForClientCertificate(ssl.CertificateOptions):  # type: ignore[misc]
        _asked = False

        def getContext(self) -> Any:
            ctx = super().getContext()  # cached by Twisted: set it up once, before its first connection
            if not self._asked:
                ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_CLIENT_ONCE, lambda *_: True)
                ctx.set_session_id(b"mockwcf")
                self._asked = True
            return ctx

    return _AskForClientCertificate(privateKey=private_key, certificate=certificate)


def peer_certificate(transport: Any) -> x509.Certificate | None:
    get = getattr(transport, "getPeerCertificate", None)
    if get is None:
        return None
    try:
        cert = get()
    except Exception:  # noqa: BLE001 - a plain-TCP transport or a closed TLS session
        return None
    return cert.to_cryptography() if cert is not None else None


def check(transport: Any, trust: x509_check.TrustSettings, now: datetime) -> tuple[str, str] | None:
    """None when the certificate passes; else (cause, message) for the 403."""
    cert = peer_certificate(transport)
    if cert is None:
        return "NoClientCertificate", "the client sent no TLS client certificate"
    try:
        x509_check.validate(cert, trust, now)
    except Rejection as rej:
        return rej.code, f"client certificate {x509_check.describe(cert)}: {rej.message}"
    return None
