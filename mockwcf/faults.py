"""Rejections and the one place that turns them into bytes on the wire.

Pipeline steps raise `Rejection(code, message)`; they never build XML. This module renders the fault
as WCF writes it (RS SM/Channels/MessageFault.cs, SM/Security/SecurityUtils.cs; reference section 3):
HTTP 500, unsecured, Sender + WS-Security subcode, the generic reason with xml:lang, SOAP 1.1 putting
the subcode QName in faultcode, the addressing fault Action and RelatesTo when the request had a
MessageID. With diagnostics on, the same fault also carries `X-MockWcf-Resource-Code` and an
`ExceptionDetail` detail (exceptiondetail.py); with it off the bytes are WCF's alone.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from mockwcf import catalog, exceptiondetail, ns

LANG = "en-US"  # WCF writes the server culture; en-US is what users paste into bug reports.


@dataclass(frozen=True)
class WireFault:
    """How one kind of failure looks on the wire."""

    name: str
    code: str  # Sender | Receiver | MustUnderstand | (HTTP for status-only answers)
    subcode_ns: str | None = None
    subcode: str | None = None
    reason: str = ""
    addressing_action: bool = False  # ActionNotSupported uses the WS-Addressing fault action
    problem_header: str | None = None  # WSAddressing10ProblemHeaderQNameFault: the header it names
    action: str | None = None  # the fault message's own action, when WCF gives it one

    def describe(self) -> dict[str, str | None]:
        return {
            "kind": self.name,
            "code": self.code,
            "subcode": f"{{{self.subcode_ns}}}{self.subcode}" if self.subcode else None,
            "reason": self.reason or None,
        }


_VERIFY = "An error occurred when verifying security for the message."
WIRE_FAULTS: dict[str, WireFault] = {
    w.name: w
    for w in (
        WireFault("InvalidSecurity", "Sender", ns.WSSE, "InvalidSecurity", _VERIFY),
        WireFault(  # MessageSecurityProtocolFactory.ExtractMessageParts: the exception carries this fault
            "InvalidSecurityAction",
            "Sender",
            ns.WSSE,
            "InvalidSecurity",
            "The message could not be processed because the action '{action}' is invalid or unrecognized.",
        ),
        WireFault(
            "FailedAuthentication",
            "Sender",
            ns.WSSE,
            "FailedAuthentication",
            "At least one security token in the message could not be validated.",
        ),
        WireFault(
            "InvalidSecurityToken",
            "Sender",
            ns.WSSE,
            "InvalidSecurityToken",
            "An error occurred when processing the security tokens in the message.",
        ),
        WireFault(
            "BadContextToken",
            "Sender",
            ns.WSC,
            "BadContextToken",
            "The security context token is expired or is not valid. The message was not processed.",
        ),
        WireFault(
            "BadContextTokenOrAction",
            "Sender",
            ns.WSC,
            "BadContextToken",
            "The message could not be processed. This is most likely because the action '{action}' is "
            "incorrect or because the message contains an invalid or expired security context token or "
            "because there is a mismatch between bindings. The security context token would be invalid if "
            "the service aborted the channel due to inactivity. To prevent the service from aborting idle "
            "sessions prematurely increase the Receive timeout on the service endpoint's binding.",
        ),
        WireFault(
            "ServerTooBusy",
            "Receiver",
            ns.DNSE,
            "ServerTooBusy",
            "There are too many pending secure conversations on the server. Please retry later.",
        ),
        WireFault(
            "ServerTooBusyNegotiation",
            "Receiver",
            ns.DNSE,
            "ServerTooBusy",
            "There are too many active security negotiations or secure conversations at the service. "
            "Please retry later.",
        ),
        WireFault(
            "EndpointUnavailable",
            "Receiver",
            ns.WSA10,
            "EndpointUnavailable",
            "The server is not accepting new secure conversations currently because it is closing. "
            "Please retry later.",
        ),
        WireFault(
            "InvalidRequest",
            "Sender",
            ns.WST,
            "InvalidRequest",
            "The request for security token has invalid or malformed elements.",
        ),
        WireFault(
            "NegotiationFailedAuthentication",
            "Sender",
            ns.WST,
            "FailedAuthentication",
            "The request for security token could not be satisfied because authentication failed.",
        ),
        WireFault(
            "RenewNeeded",
            "Sender",
            ns.WSC,
            "RenewNeeded",
            "The SecurityContextSecurityToken's key needs to be renewed.",
            action=ns.SECURITY_SESSION_FAULT_ACTION,  # ServerSecuritySessionChannel.SendRenewFault
        ),
        WireFault(
            "SecuritySessionAborted",
            "Sender",
            ns.DNSE,
            "SecuritySessionAborted",
            "The security session was terminated This may be because no messages were received on the "
            "session for too long.",
            # the client acts on it only with this action (SecuritySessionClientSettings: GetProtocolFault)
            action=ns.SECURITY_SESSION_FAULT_ACTION,
        ),
        WireFault(
            "MustUnderstand",
            "MustUnderstand",
            None,
            None,
            "The header '{header}' from the namespace '{header_ns}' was not understood by the recipient of "
            "this message, causing the message to not be processed.  This error typically indicates that "
            "the sender of this message has enabled a communication protocol that the receiver cannot "
            "process.  Please ensure that the configuration of the client's binding is consistent with "
            "the service's binding.",
        ),
        WireFault(
            "ActionNotSupported",
            "Sender",
            ns.WSA10,  # SOAP 1.1 without addressing swaps in ns.WSA_NONE, as WCF does
            "ActionNotSupported",
            "The message with Action '{action}' cannot be processed at the receiver, due to a "
            "ContractFilter mismatch at the EndpointDispatcher. This may be because of either a contract "
            "mismatch (mismatched Actions between sender and receiver) or a binding/security mismatch "
            "between the sender and the receiver.  Check that sender and receiver have the same contract "
            "and the same binding (including security requirements, e.g. Message, Transport, None).",
            addressing_action=True,
        ),
        WireFault(
            "ActionMismatch",  # ActionMismatchAddressingException.ProvideFault
            "Sender",
            ns.WSA10,
            "ActionMismatch",
            "{message}",
            addressing_action=True,
            problem_header="Action",
        ),
        WireFault(
            "InternalServiceFault",
            "Receiver",
            "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher",
            "InternalServiceFault",
            "The server was unable to process the request due to an internal error.  For more information "
            "about the error, either turn on IncludeExceptionDetailInFaults (either from ServiceBehaviorAttribute "
            "or from the <serviceDebug> configuration behavior) on the server in order to send the exception "
            "information back to the client, or turn on tracing as per the Microsoft .NET Framework SDK "
            "documentation and inspect the server trace logs.",
        ),
        WireFault(
            "DeserializationFailed",
            "Sender",
            "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher",
            "DeserializationFailed",
            "{message}",
        ),
        WireFault("HttpStatus", "HTTP"),
    )
}


class Rejection(Exception):
    """A request real WCF refuses: the catalog code plus the specifics of this request.

    `http_status` is set only for refusals WCF makes before SOAP processing (400, 413, 415).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        step: str = "",
        hint: str | None = None,
        http_status: int | None = None,
        header: tuple[str, str] | None = None,
        element: Any = None,
        subcode_ns: str | None = None,
    ) -> None:
        super().__init__(message)
        self.entry = catalog.get(code)
        self.code = code
        self.message = message
        self.step = step
        self.hint = hint or self.entry.hint
        self.http_status = http_status
        self.header = header  # (namespace, local name) of the header a MustUnderstand fault names
        self.element = element  # the request element that caused it (the journal page highlights it)
        # the binding's namespace where WCF takes it from the binding (secure conversation 1.3 faults)
        self.subcode_ns = subcode_ns
        self.session_reply: Any = None  # a session fault WCF secures (RenewNeeded): security/sessionfault.py

    def at(self, element: Any) -> Rejection:
        """Blame `element` unless a more precise one was named where the rejection was raised."""
        if self.element is None:
            self.element = element
        return self

    @property
    def wire(self) -> WireFault:
        return WIRE_FAULTS[self.entry.fault]

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Reply:
    """An HTTP answer: what a Twisted resource writes, and what the journal keeps."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering (scenario rules)
    drop: bool = False  # close the connection without answering


@dataclass(frozen=True)
class FaultSettings:
    """What the fault's shape depends on besides the failure itself."""

    soap12: bool
    addressing: bool
    diagnostics: bool
    relates_to: str | None = None
    request_action: str = ""


def content_type(soap12: bool) -> str:
    return ns.CONTENT_TYPE_12 if soap12 else ns.CONTENT_TYPE_11


def render(rejection: Rejection, fs: FaultSettings) -> Reply:
    """The wire answer for a rejection (the only place faults become bytes)."""
    wire = rejection.wire
    headers: list[tuple[str, str]] = []
    if fs.diagnostics:
        headers.append(("X-MockWcf-Resource-Code", rejection.code))
    if wire.code == "HTTP":
        body = b""
        if fs.diagnostics:
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
            body = f"{rejection.code}: {rejection.message}\nHint: {rejection.hint}\n".encode()
        return Reply(rejection.http_status or 400, body, headers)
    reason = wire.reason.format(
        message=rejection.message,
        action=fs.request_action,
        header=rejection.header[1] if rejection.header else "",
        header_ns=rejection.header[0] if rejection.header else "",
    )
    detail = _diagnostics_detail(rejection) if fs.diagnostics else None
    subcode_ns = rejection.subcode_ns or wire.subcode_ns
    if wire.name == "ActionNotSupported" and not fs.addressing:
        subcode_ns = ns.WSA_NONE
    body = soap_fault(
        fs,
        code=wire.code,
        subcode=(subcode_ns, wire.subcode) if wire.subcode and subcode_ns else None,
        reason=reason,
        detail=detail,
        fault_action=wire.action
        or (ns.WSA10 + "/fault" if wire.addressing_action else ns.FAULT_ACTION_WSA10),
        not_understood=rejection.header if wire.code == "MustUnderstand" else None,
        problem_header=wire.problem_header,
    )
    headers.append(("Content-Type", content_type(fs.soap12)))
    return Reply(500, body, headers)


def _diagnostics_detail(rejection: Rejection) -> str:
    """WCF's ExceptionDetail data contract, the one detail every WCF-family client reads (exceptiondetail.py)."""
    return exceptiondetail.render(
        rejection.code, rejection.message, rejection.step, rejection.hint, rejection.entry.fault
    )


def soap_fault(
    fs: FaultSettings,
    *,
    code: str,
    subcode: tuple[str, str] | None,
    reason: str,
    detail: str | None = None,
    fault_action: str = ns.FAULT_ACTION_WSA10,
    not_understood: tuple[str, str] | None = None,
    problem_header: str | None = None,
) -> bytes:
    """Build the envelope the way WCF's MessageFault.WriteTo11/WriteTo12 writes it.

    `detail` is already-serialized XML (our diagnostics, or a rule's custom detail).
    """
    header = ""
    problem = f"<a:ProblemHeaderQName>a:{problem_header}</a:ProblemHeaderQName>" if problem_header else ""
    if fs.soap12:
        env = ns.SOAP12
        value = f"s:{code}"
        sub = ""
        if subcode:
            sub = f"<s:Subcode><s:Value xmlns:a={quoteattr(subcode[0])}>a:{subcode[1]}</s:Value></s:Subcode>"
        fault = f"<s:Fault><s:Code><s:Value>{value}</s:Value>{sub}</s:Code>"
        fault += f'<s:Reason><s:Text xml:lang="{LANG}">{escape(reason)}</s:Text></s:Reason>'
        if detail or problem:  # WSAddressing10ProblemHeaderQNameFault.OnWriteDetail: SOAP 1.2 only
            fault += f"<s:Detail>{problem}{detail or ''}</s:Detail>"
        fault += "</s:Fault>"
        if not_understood:
            header += (
                f'<s:NotUnderstood xmlns:h={quoteattr(not_understood[0])} qname="h:{not_understood[1]}"/>'
            )
    else:
        env = ns.SOAP11
        if subcode:
            faultcode = f"<faultcode xmlns:a={quoteattr(subcode[0])}>a:{subcode[1]}</faultcode>"
        else:
            value = {"Sender": "Client", "Receiver": "Server"}.get(code, code)
            faultcode = f"<faultcode>s:{value}</faultcode>"
        fault = f'<s:Fault>{faultcode}<faultstring xml:lang="{LANG}">{escape(reason)}</faultstring>'
        if detail:
            fault += f"<detail>{detail}</detail>"
        fault += "</s:Fault>"
    if fs.addressing:
        header += f'<a:Action s:mustUnderstand="1">{escape(fault_action)}</a:Action>'
        if fs.relates_to:
            header += f"<a:RelatesTo>{escape(fs.relates_to)}</a:RelatesTo>"
        if problem and not fs.soap12:  # AddHeaders: "Soap11 wants the detail in the header"
            header += f"<a:FaultDetail>{problem}</a:FaultDetail>"
    xmlns = f'xmlns:s="{env}"' + (f' xmlns:a="{ns.WSA10}"' if fs.addressing else "")
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return f"<s:Envelope {xmlns}>{head}<s:Body>{fault}</s:Body></s:Envelope>".encode()


def b64_or_reject(text: str | None, code: str, message: str, *, step: str) -> bytes:
    """Base64 element content (white space ignored, as XmlReader.ReadContentAsBase64 does), or the Rejection
    WCF raises when it is not base64. Text that is strict base64 as it stands (no white space: every CipherValue
    and Nonce a client library writes) decodes to the same bytes the general path gives, without its copy and
    regex scan; anything else takes the general path, which decides."""
    if text:
        try:
            return binascii.a2b_base64(text, strict_mode=True)
        except (binascii.Error, ValueError):
            pass
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise Rejection(code, message, step=step) from None
