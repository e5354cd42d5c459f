"""What WCF's HttpInput does with a request before any SOAP processing: content type, size, the one parse.

HttpInput.ParseIncomingMessage (System.ServiceModel/System/ServiceModel/Channels/HttpChannelHelpers.cs):
ValidateContentType (415; only for requests with content) comes first, then the body against
maxReceivedMessageSize (413), then the encoder reads the envelope, whose version must be the binding's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockwcf import bodyencoding, codes, contenttype
from mockwcf import envelope as envmod
from mockwcf.faults import Rejection, content_type

if TYPE_CHECKING:
    from mockwcf.scenario import Scenario


def parse_incoming(headers: dict[str, str], size: int, body: bytes, scenario: Scenario) -> envmod.Envelope:
    ctype = headers.get("content-type", "")
    if size > 0:
        contenttype.require_supported(ctype, scenario.soap12, content_type(scenario.soap12))
    limit = scenario.max_received_message_size
    if size > limit:
        raise Rejection(
            codes.MaxReceivedMessageSizeExceeded,
            f"The maximum message size quota for incoming messages ({limit}) has been exceeded ({size} bytes).",
            step="http",
            http_status=413,
        )
    env = envmod.parse(bodyencoding.check(body, contenttype.charset(ctype)), scenario.reader_quotas)
    if env.soap12 != scenario.soap12:
        got, want = ("Soap12", "Soap11") if env.soap12 else ("Soap11", "Soap12")
        raise Rejection(
            codes.EncoderEnvelopeVersionMismatch,
            f"The envelope version of the incoming message ({got}) does not match that of the encoder "
            f"({want}). Make sure the binding is configured with the same version as the expected messages.",
            step="envelope",
            http_status=400,
        )
    return env


def request_action(headers: dict[str, str], env: envmod.Envelope, scenario: Scenario) -> str | None:
    """wsa:Action with addressing; otherwise SOAPAction (SOAP 1.1) or the Content-Type action (SOAP 1.2)."""
    if scenario.addressing:
        return env.action
    return contenttype.action(headers.get("content-type"), headers.get("soapaction"), scenario.soap12)
