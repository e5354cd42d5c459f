"""Secure conversation over Message security: the SCT as the symmetric binding's protection token.

SecurityBindingElement.CreateSecureConversationBindingElement over a symmetric bootstrap (UserNameForCertificate,
MutualCertificate, AnonymousForCertificate) makes a SymmetricSecurityBindingElement whose protection token is a
SecureConversationSecurityTokenParameters (RequireDerivedKeys true, RequireSignatureConfirmation false). On the
steady state a WCF client sends (SymmetricSecurityProtocol.SecureOutgoingMessageCore, SendSecurityHeader order)::

    <o:Security s:mustUnderstand="1">
      <u:Timestamp u:Id="_0">...</u:Timestamp>
      <c:SecurityContextToken u:Id="uuid-...-1"><c:Identifier>urn:uuid:...</c:Identifier></c:SecurityContextToken>
      <c:DerivedKeyToken u:Id="_s"> STR: Reference URI="#uuid-...-1" ValueType=".../sc/sct"; Length 24 </c:...>
      <c:DerivedKeyToken u:Id="_e"> the same reference, the encryption key </c:DerivedKeyToken>
      <e:ReferenceList> the Body and the signature </e:ReferenceList>
      <e:EncryptedData> the primary ds:Signature, HMAC with the key of _s </e:EncryptedData>
    </o:Security>

The receive pipeline (pipeline.py) reads the SCT where ReceiveSecurityHeader meets it: `read` resolves it from
this node's session store or its cookie (conversation.read_token: SecurityContextNotRegistered, expiry) and puts
it where the symmetric state keeps its key tokens, so the DerivedKeyTokens, the primary signature and the
EncryptedData resolve to it as they resolve to an EncryptedKey under the one-shot binding. The reply is secured
with keys derived from the SCT, referenced by its context id (SecurityContextKeyIdentifierClause, the
parameters' External reference style: the SCT is AlwaysToRecipient, so it is not sent back).

sessionstep.steady_state runs that pipeline and then what the session channel does after the security header
(conversation.proceed: key age, Cancel, the session's activation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from mockwcf import codes, ns
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection
from mockwcf.security import conversation, encryption, keyinfo, keywrap
from mockwcf.security.context import ReceiveContext
from mockwcf.security.sctstore import SecurityContext

STEP = "secureConversation"
SCT_TAGS = {ns.q(ns.WSC, "SecurityContextToken"), ns.q(ns.WSC13, "SecurityContextToken")}


@dataclass(eq=False)
class SctKey:
    """A SecurityContextSecurityToken read from the header, as a key token (encrypteddata.KeyToken)."""

    sct: SecurityContext
    element_id: str | None
    sc_ns: str
    source_key_bits: int | None = field(default=None, init=False)  # the SCT's own key, not derived

    @property
    def key(self) -> bytes:
        return self.sct.key

    def label(self) -> str:
        return f"SecurityContextToken {self.sct.context_id} (id {self.element_id or '-'})"

    def matches(self, clause: keyinfo.Clause) -> bool:
        """LocalIdKeyIdentifierClause to its wsu:Id (ValueType absent or the SCT type), or a
        SecurityContextKeyIdentifierClause naming its context id."""
        if clause.kind == "local":
            return clause.value == self.element_id and clause.value_type in (None, f"{self.sc_ns}/sct")
        return clause.kind == "sct" and clause.value == self.sct.context_id

    def reference_xml(self) -> str:
        """The reply's reference: SecurityContextKeyIdentifierClause (context id, key generation as Instance)."""
        gen = f' c:Instance="{self.sct.generation}" xmlns:c="{self.sc_ns}"' if self.sct.generation else ""
        return (
            f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference URI="{self.sct.context_id}"{gen} '
            f'ValueType="{self.sc_ns}/sct"/></o:SecurityTokenReference>'
        )


@dataclass
class RenewingContext(ReceiveContext):
    """The bootstrap pass of RST/SCT/Renew over Message security. WCF's issuer listener adds, for the Renew
    action only, an endorsing SecurityContextSecurityTokenParameters to the bootstrap protocol
    (SecuritySessionSecurityTokenAuthenticator.BuildResponderChannelListener: OperationSupportingTokenParameters
    [RenewAction], resolved by SessionRenewSecurityTokenManager from the issued-token cache): the SCT is read as
    a supporting token of the bootstrap binding, and what it endorsed is collected here (sctrenew.py)."""

    conversation: conversation.NodeState | None = None
    require_derived_keys: bool = True
    sct_keys: list[SctKey] = field(default_factory=list)
    endorsed: list[tuple[SctKey, bool]] = field(default_factory=list)  # (token, signed with a derived key)


def reads_sct(ctx: ReceiveContext) -> bool:
    """Does ReadToken meet a wsc:SecurityContextToken as a token it reads? Under a symmetric binding (the SCT
    protection token, or its absence named by `read`) and in any renew message's bootstrap pass."""
    return encryption.hmac_signed(ctx) or isinstance(ctx, RenewingContext)


def sct_protected(ctx: ReceiveContext) -> bool:
    """Is this the SCT's steady state (the binding's protection token is the security context token)?"""
    protected = getattr(ctx.binding.security, "protection_token", None)
    return protected is not None and protected.kind.value == "SecureConversation"


def refuse_encrypted_key(ctx: ReceiveContext, element: etree._Element) -> None:
    """An xenc:EncryptedKey at the SCT's steady state (a bootstrap-secured message sent to the session, e.g.
    RST/SCT/Renew to a cookie-mode endpoint, whose issuer takes RST/SCT only). SymmetricSecurityProtocol
    .VerifyIncomingMessageCore configures the header with the SCT's RecipientSymmetricTokenAuthenticator, so the
    SecurityHeaderTokenResolver has no ExpectedWrapper, and WrappedKeyTokenEntry.ReadTokenCore
    (WSSecurityJan2004.cs) fails: MissingKeyInfoInEncryptedKey, else UnableToResolveKeyInfoForUnwrappingToken."""
    st = encryption.state(ctx)
    keywrap.unwrap(element, None, st.suite, wss11=ctx.binding.security.wss11)


def read(ctx: ReceiveContext, element: etree._Element) -> None:
    """ReadToken for a wsc:SecurityContextToken under a symmetric binding protected by an SCT (or as the
    renew message's endorsing supporting token)."""
    state = ctx.conversation if isinstance(ctx, RenewingContext) else ctx.node.conversation
    if state is None or not (sct_protected(ctx) or isinstance(ctx, RenewingContext)):
        raise Rejection(
            codes.CannotReadToken,
            "A wsc:SecurityContextToken is not read by this binding: its protection token is not a security "
            "context token.",
            step=STEP,
        )
    v = state.settings.version
    if element.tag != ns.q(v.sc_ns, "SecurityContextToken"):
        raise Rejection(
            codes.CannotReadToken,
            f"The SecurityContextToken is in namespace '{etree.QName(element).namespace}'; this binding reads "
            f"'{v.sc_ns}'.",
            step=STEP,
        )
    ident = next((r[1:] for r in ctx.sct_refs or () if r[0] is element), None)  # demux read them
    sct = conversation.read_token(state, element, ctx.now, ident)
    token = SctKey(sct, element.get(WSU_ID), v.sc_ns)
    if isinstance(ctx, RenewingContext):  # a supporting token: derived keys may use it, the primary may not
        ctx.sct_keys.append(token)
    encryption.state(ctx).wrapped.append(token)  # type: ignore[arg-type]
    ctx.record(STEP, "ok", f"{token.label()} read ({sct.identity})")
