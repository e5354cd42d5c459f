"""The diagnostics fault detail, in the shape of WCF's own `ExceptionDetail` data contract.

Why this shape: WCF-family clients read a fault's detail as data contracts, and the one every client knows
is `System.ServiceModel.ExceptionDetail` (RS System.ServiceModel/System/ServiceModel/ExceptionDetail.cs: a
[DataContract] with the [DataMember]s HelpLink, InnerException, Message, StackTrace, Type; Type is
`exception.GetType().ToString()`, the full name without assembly). WCF itself sends it with
includeExceptionDetailInFaults (RS Dispatcher/ErrorBehavior.cs, ProvideFaultOfLastResort). Mono's client
(ClientRuntimeChannel.Request) deserializes *any* fault detail as ExceptionDetail unless a fault contract
matches, so a detail of another shape becomes a SerializationException there. .NET's client
(Dispatcher/FaultFormatter.cs, CreateFaultException) reads it only when the fault's action is null or the
dispatcher fault action, and then throws FormatException ExtraContentIsPresentInFaultDetail if anything
follows it; hence the detail holds this one element and nothing beside it (docs/design.md, "Fault detail").

What it carries (docs/clients.md shows how each client reads it):
- Type: the exception WCF would have thrown on the server for that wire fault (SecurityUtils.cs,
  CreateSecurityMessageFault maps SecurityTokenValidationException to FailedAuthentication,
  SecurityTokenException to InvalidSecurityToken, MessageSecurityException to InvalidSecurity);
- Message: "<ResourceCode>: <specifics>" then a "Hint: ..." line (the code is everything before the first colon);
- InnerException: the underlying cause, with WCF's own resource string as its Message;
- StackTrace: the receive-path frames of WCF where the step that refused the request lives;
- HelpLink: the code's row in docs/troubleshooting.md (codes only a rule produces have none).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from mockwcf import catalog

NS = "http://schemas.datacontract.org/2004/07/System.ServiceModel"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TROUBLESHOOTING = "docs/troubleshooting.md#"

_MSE = "System.ServiceModel.Security.MessageSecurityException"
# wire fault kind (faults.WIRE_FAULTS) -> (outer type, inner "cause" type)
TYPES: dict[str, tuple[str, str]] = {
    "InvalidSecurity": (_MSE, _MSE),
    "InvalidSecurityAction": (_MSE, _MSE),  # ExtractMessageParts' MessageSecurityException with its own fault
    "FailedAuthentication": (_MSE, "System.IdentityModel.Tokens.SecurityTokenValidationException"),
    "InvalidSecurityToken": (_MSE, "System.IdentityModel.Tokens.SecurityTokenException"),
    "BadContextToken": (_MSE, "System.ServiceModel.Security.SecurityContextTokenValidationException"),
    "BadContextTokenOrAction": (_MSE, "System.ServiceModel.Security.SecurityContextTokenValidationException"),
    "RenewNeeded": (_MSE, "System.ServiceModel.Security.SecurityContextTokenValidationException"),
    "SecuritySessionAborted": (_MSE, "System.ServiceModel.CommunicationException"),
    "ServerTooBusy": (
        "System.ServiceModel.ServerTooBusyException",
        "System.ServiceModel.QuotaExceededException",
    ),
    "ServerTooBusyNegotiation": (
        "System.ServiceModel.ServerTooBusyException",
        "System.ServiceModel.QuotaExceededException",
    ),
    "EndpointUnavailable": (
        "System.ServiceModel.EndpointNotFoundException",
        "System.ServiceModel.CommunicationException",
    ),
    "InvalidRequest": ("System.ServiceModel.Security.SecurityNegotiationException", _MSE),
    "NegotiationFailedAuthentication": (
        "System.ServiceModel.Security.SecurityNegotiationException",
        "System.IdentityModel.Tokens.SecurityTokenValidationException",
    ),
    "MustUnderstand": ("System.ServiceModel.ProtocolException", "System.ServiceModel.ProtocolException"),
    "ActionNotSupported": (
        "System.ServiceModel.ActionNotSupportedException",
        "System.ServiceModel.ActionNotSupportedException",
    ),
    "InternalServiceFault": ("System.ServiceModel.FaultException", "System.Exception"),
    "DeserializationFailed": (
        "System.ServiceModel.CommunicationException",
        "System.Runtime.Serialization.SerializationException",
    ),
}

_S = "System.ServiceModel.Security."
_RSH = _S + "ReceiveSecurityHeader."
_FULL_PASS = _RSH + "ExecuteFullPass(XmlDictionaryReader reader)"
_READ_TOKEN = (
    _RSH + "ReadToken(XmlReader reader, SecurityTokenResolver tokenResolver, "
    "IList`1 allowedTokenAuthenticators, SecurityTokenAuthenticator& usedTokenAuthenticator)"
)
_VERIFY = (
    _S
    + "WSSecurityOneDotZeroReceiveSecurityHeader.VerifySignature(SignedXml signedXml, Boolean isPrimarySignature, "
    "SecurityHeaderTokenResolver resolver, Object signatureTarget, String id)"
)
_PRIMARY = _RSH + "ProcessPrimarySignature(SignedXml signedXml, Boolean isFromDecryptedSource)"
_VALIDATE = "System.IdentityModel.Selectors.SecurityTokenAuthenticator.ValidateToken(SecurityToken token)"
# Where in WCF's receive path each pipeline step's checks live (innermost first; the method names are the
# reference source's, in ReceiveSecurityHeader.cs, WSSecurityOneDotZeroReceiveSecurityHeader.cs,
# SecurityTimestamp.cs, SecurityVerifiedMessage.cs, TransportSecurityProtocol.cs and System.IdentityModel's
# Selectors; the argument lists follow seed 001's trace).
FRAMES: dict[str, tuple[str, ...]] = {
    "header": (
        _RSH
        + "Process(TimeSpan timeout, ChannelBinding channelBinding, ExtendedProtectionPolicy extendedProtectionPolicy)",
    ),
    "timestamp": (
        _S + "SecurityTimestamp.ValidateRangeAndFreshness(TimeSpan timeToLive, TimeSpan allowedClockSkew)",
        _RSH + "ReadTimestamp(XmlDictionaryReader reader)",
        _FULL_PASS,
    ),
    "username": (
        "System.IdentityModel.Selectors.CustomUserNameSecurityTokenAuthenticator.ValidateUserNamePasswordCore(String userName, String password)",
        "System.IdentityModel.Selectors.UserNameSecurityTokenAuthenticator.ValidateTokenCore(SecurityToken token)",
        _VALIDATE,
        _READ_TOKEN,
        _FULL_PASS,
    ),
    "tokens": (_READ_TOKEN, _FULL_PASS),
    "x509": (
        "System.IdentityModel.Selectors.X509CertificateValidator.ChainTrustValidator.Validate(X509Certificate2 certificate)",
        "System.IdentityModel.Selectors.X509SecurityTokenAuthenticator.ValidateTokenCore(SecurityToken token)",
        _VALIDATE,
        _READ_TOKEN,
        _FULL_PASS,
    ),
    "keyinfo": (
        _S
        + "WSSecurityOneDotZeroReceiveSecurityHeader.ResolveSignatureToken(SecurityKeyIdentifier keyIdentifier, "
        "SecurityTokenResolver resolver, Boolean isPrimarySignature)",
        _VERIFY,
        _PRIMARY,
        _FULL_PASS,
    ),
    "signature": (_VERIFY, _PRIMARY, _FULL_PASS),
    "replay": (_RSH + "CheckNonce(NonceCache cache, Byte[] nonce)", _PRIMARY, _FULL_PASS),
    "encryption": (_RSH + "ExecuteFullPass(XmlDictionaryReader reader)",),
    "parts": (_S + "SecurityVerifiedMessage.OnUnsignedPart(String name, String ns)",),
    "envelope": (
        "System.ServiceModel.Channels.TextMessageEncoderFactory.TextMessageEncoder.ReadMessage(ArraySegment`1 buffer, BufferManager bufferManager, String contentType)",
    ),
    "dispatch": (
        "System.ServiceModel.Dispatcher.ChannelHandler.HandleRequest(RequestContext request, OperationContext currentOperationContext)",
    ),
}
# Every security step ends in the security channel's verification, as in seed 001's trace.
_TAIL = (
    _RSH
    + "Process(TimeSpan timeout, ChannelBinding channelBinding, ExtendedProtectionPolicy extendedProtectionPolicy)",
    _S
    + "MessageSecurityProtocol.VerifyIncomingMessage(Message& message, TimeSpan timeout, SecurityProtocolCorrelationState[] correlationStates)",
    "System.ServiceModel.Channels.SecurityChannelListener`1.ServerSecurityChannel`1.VerifyIncomingMessage(Message& message, TimeSpan timeout, SecurityProtocolCorrelationState[] correlationState)",
)
# security/actionparts.py: the action's parts are looked up before ReceiveSecurityHeader.Process runs
FRAMES["actionparts"] = (
    _S + "MessageSecurityProtocolFactory.ExtractMessageParts(String action, "
    "ScopedMessagePartSpecification scopedParts, Boolean isForSignature)",
    _S + "MessageSecurityProtocolFactory.GetIncomingSignatureParts(String action)",
    _S + "MessageSecurityProtocol.ConfigureReceiveSecurityHeader(Message message, String actor, "
    "SecurityProtocolCorrelationState[] correlationStates, SecurityStandardsManager standardsManager, "
    "IList`1& supportingAuthenticators)",
    *_TAIL[1:],
)
_NOT_SECURITY = {"envelope", "dispatch", "header", "actionparts"}


def stack_trace(step: str) -> str | None:
    """WCF-style frames for a pipeline step; a rule's or an unknown step's trace names itself instead."""
    frames = FRAMES.get(step)
    if frames is None:
        return (
            f"   at mockwcf {step} (a scenario rule answered; WCF raises this code elsewhere)"
            if step
            else None
        )
    if step not in _NOT_SECURITY:
        frames = frames + tuple(f for f in _TAIL if f not in frames)
    elif step == "header":
        frames = frames + _TAIL[1:]
    return "\n".join(f"   at {f}" for f in frames)


def _member(name: str, value: str | None) -> str:
    if value is None:
        return f'<{name} i:nil="true"/>'
    return f"<{name}>{escape(value)}</{name}>"


def _detail(help_link: str | None, inner: str | None, message: str, trace: str | None, type_: str) -> str:
    # DataContractSerializer writes members in data-contract order (alphabetical here) and null as i:nil
    inner_xml = (
        '<InnerException i:nil="true"/>' if inner is None else f"<InnerException>{inner}</InnerException>"
    )
    return (
        _member("HelpLink", help_link)
        + inner_xml
        + _member("Message", message)
        + _member("StackTrace", trace)
        + _member("Type", type_)
    )


def render(code: str, specifics: str, step: str, hint: str, wire_fault: str) -> str:
    """The `<ExceptionDetail>` element a fault's detail carries when diagnostics are on."""
    entry = catalog.get(code)
    outer_type, cause_type = TYPES.get(wire_fault, (_MSE, _MSE))
    inner = _detail(None, None, entry.string, None, cause_type)
    message = f"{code}: {specifics or entry.string}\nHint: {hint}"
    help_link = TROUBLESHOOTING + code if entry.receive_path else None
    body = _detail(help_link, inner, message, stack_trace(step), outer_type)
    return f'<ExceptionDetail xmlns="{NS}" xmlns:i="{XSI}">{body}</ExceptionDetail>'


@dataclass(frozen=True)
class Diagnosis:
    """What a client finds in the detail, read back (for tests and for zeep users' own assertions)."""

    code: str
    specifics: str
    hint: str
    type: str
    cause: str  # the inner exception's Message: WCF's resource string
    help_link: str | None
    stack_trace: str | None


def parse(detail: etree._Element) -> Diagnosis | None:
    """Read the ExceptionDetail out of a fault's detail element (zeep's `Fault.detail`); None if absent."""
    ed = detail if detail.tag == f"{{{NS}}}ExceptionDetail" else detail.find(f"{{{NS}}}ExceptionDetail")
    if ed is None:
        return None

    def text(el: etree._Element | None, name: str) -> str | None:
        child = None if el is None else el.find(f"{{{NS}}}{name}")
        return None if child is None or child.get(f"{{{XSI}}}nil") == "true" else (child.text or "")

    first, _, hint = (text(ed, "Message") or "").rpartition("\nHint: ")
    code, _, specifics = first.partition(": ")
    return Diagnosis(
        code=code,
        specifics=specifics,
        hint=hint,
        type=text(ed, "Type") or "",
        cause=text(ed.find(f"{{{NS}}}InnerException"), "Message") or "",
        help_link=text(ed, "HelpLink"),
        stack_trace=text(ed, "StackTrace"),
    )
