"""The one session fault WCF secures: RenewNeeded.

ServerSecuritySessionChannel.SendRenewFault (SecuritySessionServerSettings.cs) builds the fault with the action
`http://schemas.microsoft.com/ws/2006/05/security/SecureConversationFault`, RelatesTo when the request had a
MessageID, and runs it through the session's `securityProtocol.SecureOutgoingMessage` with the request's
correlation state, so it leaves like an application reply of the session:

- over transport (SessionSymmetricTransportSecurityProtocolFactory, AddTimestamp = true) with a security header
  holding a Timestamp;
- over Message security (SessionSymmetricMessageSecurityProtocolFactory) signed with keys derived from the SCT;
  SecuritySessionServerSettings adds the Body to the OutgoingSignatureParts of SecuritySessionFaultAction and,
  when the factory's ApplyConfidentiality is set (some reply of the contract is encrypted), to its
  OutgoingEncryptionParts.

Every other session failure is sent in clear: a security-processing failure goes through
ServerSecuritySessionChannel.SendFaultIfRequired (an unsecured `CreateSecurityMessageFault` with the addressing
version's DefaultFaultAction: BadContextToken for a token that is not registered or expired), a demux failure
through SecuritySessionDemuxFailureHandler (CreateSecurityContextNotFoundFault), and the issuer's faults through
its SecurityChannelListener with SendUnsecuredFaults (BuildResponderChannelListener,
AcceleratedTokenAuthenticator.BuildNegotiationChannelListener). A scenario rule's fault has no session to secure it
and stays in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from mockwcf import ns
from mockwcf.binding import protection
from mockwcf.binding.model import Binding, ProtectionLevel
from mockwcf.faults import FaultSettings, Rejection, Reply


@dataclass(frozen=True)
class SessionReply:
    """How the session secures its reply: the SCT key token (Message security) or None (transport)."""

    request_key: Any
    level: ProtectionLevel | None


def mark(rej: Rejection, binding: Binding, request_key: Any) -> Rejection:
    """Attach the session's protection to a RenewNeeded rejection (no other code is secured)."""
    if rej.entry.fault == "RenewNeeded":
        level = _fault_level(binding) if binding.protects_message else None
        rej.session_reply = SessionReply(request_key, level)
    return rej


def _fault_level(binding: Binding) -> ProtectionLevel:
    """Body signed always; encrypted when the session factory's ApplyConfidentiality is set (some reply of the
    contract is EncryptAndSign)."""
    return (
        ProtectionLevel.EncryptAndSign
        if protection.applies_confidentiality(binding)
        else ProtectionLevel.Sign
    )


def secure(responder: Any, reply: Reply, rej: Rejection, fs: FaultSettings, now: datetime) -> Reply:
    """The rendered fault (faults.render) re-enveloped by the session's protocol (responder.envelope)."""
    session: SessionReply | None = getattr(rej, "session_reply", None)
    if session is None or not reply.body:
        return reply
    root = etree.fromstring(reply.body)
    fault = root.find(f"{{{etree.QName(root).namespace}}}Body")
    if fault is None or len(fault) != 1:
        return reply
    payload = etree.tostring(fault[0])  # s:Value keeps xmlns for its QName text (a:RenewNeeded)
    body = responder.envelope(
        payload,
        action=ns.SECURITY_SESSION_FAULT_ACTION,
        relates_to=fs.relates_to,
        now=now,
        signature_values=[],
        request_key=session.request_key,
        level=session.level,
        signed_payload=responder.canonical_payload(payload) if session.request_key is not None else None,
    )
    return Reply(reply.status, body, reply.headers, delay=reply.delay, drop=reply.drop)
