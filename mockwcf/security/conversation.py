"""Secure conversation on one node: issuing SCTs, finding the session of a message, checking the SCT's
endorsing signature, Cancel.

The flow is WCF's for a TransportSecurityBindingElement whose endorsing supporting token is a
SecureConversationSecurityTokenParameters (SecurityBindingElement.CreateSecureConversationBindingElement
over a transport bootstrap: RequireDerivedKeys=false, IncludeTimestamp=true, DetectReplays=false):

- RST/SCT (and nothing else) goes to the issuer when it carries a security header (SessionActionFilter);
  the bootstrap binding (UserNameOverTransport / CertificateOverTransport) authenticates it *before*
  this module is called, and its identity is passed in;
- session mode: every other message must name, in a wsc:SecurityContextToken directly in its security
  header, a session this node holds (SecuritySessionFilter); otherwise demux fails with
  BadContextTokenOrAction. The SCT is then read (SecurityContextNotRegistered, SecurityContextExpired),
  the endorsing signature verified with the SCT's key, the key's age checked (CheckIncomingToken ->
  RenewNeeded), and RST/SCT/Cancel closes the session (ProcessCloseRequest);
- cookie mode: there is no session; the SCT's dnse:Cookie is decoded with this node's state encoder.

The Timestamp's freshness is the receive pipeline's job, as for any other message; this module checks
that the endorsing signature covers it (and wsa:To).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from mockwcf import codes, ns
from mockwcf.envelope import WSU_ID, Envelope, elements
from mockwcf.faults import Rejection
from mockwcf.security import cookies, sctsignature, trust
from mockwcf.security.sctstore import CookieCache, SecurityContext, SessionSettings, SessionStore

STEP = "secureConversation"
_FAR_FUTURE = datetime.max.replace(tzinfo=None)


@dataclass(frozen=True)
class ConversationSettings:
    version: trust.ScVersion = trust.FEB2005
    suite: str = "Basic256"
    require_cancellation: bool = True  # true: session SCTs; false: cookie SCTs
    session: SessionSettings = field(default_factory=SessionSettings)


@dataclass
class NodeState:
    """What one node keeps for secure conversation; `restart` loses all of it, like a recycle."""

    node: int
    settings: ConversationSettings
    opened: datetime
    encoder: cookies.StateEncoder | None = None  # None: a node-local key (DPAPI's behaviour)
    store: SessionStore = field(init=False)
    cookie_cache: CookieCache = field(init=False)

    def __post_init__(self) -> None:
        self._shared_encoder = self.encoder is not None
        self.restart(self.opened)

    def restart(self, now: datetime) -> None:
        self.store = SessionStore(self.settings.session, opened=now)
        self.cookie_cache = CookieCache(self.settings.session.max_cached_cookies)
        if not self._shared_encoder:
            self.encoder = cookies.node_key(self.node)

    def sessions(self) -> list[SecurityContext]:
        return self.store.sessions() if self.settings.require_cancellation else self.cookie_cache.sessions()


@dataclass
class Outcome:
    """What the caller does next: `reply` is Body content to send with `action`; for `application` the
    request goes on to the contract."""

    kind: str  # issue | renew | cancel | application
    sct: SecurityContext
    reply: str | None = None
    action: str | None = None
    # Message security: the key token that secures the reply (the bootstrap's EncryptedKey for the RSTR,
    # the SCT for Cancel and application replies); None over transport
    request_key: Any = None
    # the bootstrap's SignatureConfirmation values when it requires them (MutualCertificate), else None
    signature_values: list[bytes] | None = None
    # an asymmetric bootstrap (WSS 1.0 MutualCertificate): the client certificate the RSTR is encrypted for
    reply_cert: Any = None
    # the reply's ProtectionLevel when it is not the contract's (the issuer's RSTR: sessionstep.issuer_protection)
    reply_protection: Any = None


def _generate_id() -> str:
    """SecurityUtils.GenerateId's shape: uuid-<guid>-<n>."""
    return f"uuid-{uuid.uuid4()}-1"


def issue(state: NodeState, env: Envelope, identity: str, now: datetime) -> Outcome:
    """ProcessIssueRequest (session mode) / AcceleratedTokenAuthenticator.ProcessRequestSecurityToken
    (cookie mode): read the RST, check RequestType and TokenType, make the key, register the token."""
    s = state.settings
    v = s.version
    rst = trust.parse_rst(env.body, v)
    if rst.request_type is not None and rst.request_type != v.request_types["Issue"]:
        raise Rejection(
            codes.InvalidRstRequestType,
            f"The RequestSecurityToken has an invalid or unspecified RequestType '{rst.request_type}' "
            f"(this action issues: {v.request_types['Issue']}).",
            step=trust.STEP,
        )
    if rst.token_type is not None and rst.token_type != v.sct_type:
        raise Rejection(
            codes.CannotIssueRstTokenType,
            f"Cannot issue the token type '{rst.token_type}'; this endpoint issues {v.sct_type}.",
            step=trust.STEP,
        )
    key = trust.issue_key(rst, s.suite)
    settings = s.session
    if s.require_cancellation:  # session token lifetime is TimeSpan.MaxValue; the key renews every 15 h
        valid_to = _FAR_FUTURE.replace(tzinfo=now.tzinfo)
        key_expires = now + settings.session_key_renewal_interval
    else:
        valid_to = key_expires = now + settings.issued_cookie_lifetime
    sct = _token(f"urn:uuid:{uuid.uuid4()}", None, key, (now, valid_to), now, key_expires, identity, now)
    if s.require_cancellation:
        state.store.add_pending(sct, now)
    else:
        assert state.encoder is not None
        sct.cookie = cookies.create(state.encoder, sct)
    return Outcome("issue", sct, _rstr(v, rst, sct, key), v.action("RSTR/SCT"))


def _token(
    context_id: str,
    generation: str | None,
    key: trust.IssuedKey,
    valid: tuple[datetime, datetime],
    key_effective: datetime,
    key_expires: datetime,
    identity: str,
    created: datetime | None,
) -> SecurityContext:
    """new SecurityContextSecurityToken(contextId, GenerateId(), key, ...) for issue and renew."""
    return SecurityContext(
        context_id,
        _generate_id(),
        key.key,
        generation,
        valid[0],
        valid[1],
        key_effective,
        key_expires,
        identity,
        created=created,
    )


def _rstr(v: trust.ScVersion, rst: trust.Rst, sct: SecurityContext, key: trust.IssuedKey) -> str:
    return trust.issue_rstr(
        v,
        context=rst.context,
        sct=trust.sct_xml(v, sct.token_id, sct.context_id, sct.generation, sct.cookie),
        references=trust.sct_references(v, sct.token_id, sct.context_id, sct.generation),
        issued=key,
        entropy_id=_generate_id(),
        valid_from=sct.key_effective,  # session mode: SetLifetime(keyEffective, keyExpiration)
        valid_to=sct.key_expires,
        applies_to=rst.applies_to,
    )


def renew(
    state: NodeState, env: Envelope, identity: str, now: datetime, endorsing: SecurityContext | None = None
) -> Outcome:
    """ProcessRenewRequest (session mode, canRenewSession): the bootstrap credentials authenticate the
    message, the current SCT endorses it; the reply is a new key generation of the same context.
    `endorsing` is the SCT whose endorsing signature the bootstrap pass over Message security already
    verified (sctrenew.py); over transport this function reads and verifies it."""
    s = state.settings
    v = s.version
    scts = _header_scts(env, v)
    if endorsing is None and not scts:
        raise missing_renew_token()
    if endorsing is None:
        old = read_token(state, scts[0], now)
        sctsignature.verify(env, scts[0], old, s.suite, v)
    else:
        old = endorsing
    rst = trust.parse_rst(env.body, v)
    if rst.request_type != v.request_types["Renew"]:
        raise Rejection(
            codes.InvalidRstRequestType,
            f"The RequestSecurityToken has an invalid or unspecified RequestType '{rst.request_type}' "
            f"(a renew takes {v.request_types['Renew']}).",
            step=trust.STEP,
        )
    target = rst.renew_target
    if target is None:
        raise Rejection(
            codes.NoRenewTargetSpecified,
            "The RequestSecurityToken must specify a RenewTarget.",
            step=trust.STEP,
        )
    if not target.is_context_id or target.uri != old.context_id or target.generation != old.generation:
        raise Rejection(
            codes.BadRenewTarget,
            f"There is no endorsing session token that matches the specified RenewTarget '{target}'.",
            step=trust.STEP,
        )
    if identity != old.identity:
        raise Rejection(
            codes.WrongIdentityRenewingToken,
            f"The identity of the security session renew message ({identity}) does not match the identity of "
            f"the session token ({old.identity}).",
            step=trust.STEP,
        )
    key = trust.issue_key(rst, s.suite)
    key_expires = min(now + s.session.session_key_renewal_interval, old.valid_to)  # GetKeyExpirationTime
    valid = (old.valid_from, old.valid_to)
    new = _token(
        old.context_id, f"urn:uuid:{uuid.uuid4()}", key, valid, now, key_expires, identity, old.created
    )
    state.store.add_renewed(old, new, now)
    return Outcome("renew", new, _rstr(v, rst, new, key), v.action("RSTR/SCT/Renew"))


def missing_renew_token() -> Rejection:
    """ProcessRenewRequest: no endorsing supporting token at all (RenewSessionMissingSupportingToken)."""
    return Rejection(
        codes.SupportingTokenNotProvided,
        "The renew security session message does not have the session token as a supporting token "
        "(RenewSessionMissingSupportingToken).",
        step=STEP,
    )


def _header_scts(env: Envelope, version: trust.ScVersion) -> list[etree._Element]:
    """TryGetSecurityContextIds: only direct children of the security header count."""
    if env.security is None:
        return []
    tag = ns.q(version.sc_ns, "SecurityContextToken")
    return [e for e in elements(env.security) if e.tag == tag]


def _identifier(sct_el: etree._Element, version: trust.ScVersion) -> tuple[str, str | None]:
    ident = sct_el.find(ns.q(version.sc_ns, "Identifier"))
    if ident is None or not (ident.text or "").strip():
        raise Rejection(
            codes.SecurityContextNotRegistered,
            "The SecurityContextSecurityToken does not have a context-id.",
            step=STEP,
        )
    inst = sct_el.find(ns.q(version.sc_ns, "Instance"))
    return ident.text.strip(), (inst.text or "").strip() if inst is not None else None


# an SCT directly in the security header with its context id and key generation (TryGetSecurityContextIds)
ScRef = tuple[etree._Element, str, str | None]


def demux(state: NodeState, env: Envelope, now: datetime) -> list[ScRef]:
    """SecuritySessionFilter (session mode): the message must name a session this node holds. Returns the
    header's SCTs with their identifiers, so reading the token (read_token) does not work them out again."""
    v = state.settings.version
    refs = [(e, *_identifier(e, v)) for e in _header_scts(env, v)]
    ids = [r[1] for r in refs]
    if any(state.store.find(cid, now) is not None for cid in ids):
        return refs
    named = ", ".join(ids) or "no wsc:SecurityContextToken in the header"
    raise Rejection(
        codes.CannotFindSecuritySession,
        f"No security session on node {state.node} matches the message ({named}). The session was "
        "never issued here, was cancelled, timed out, or lives on another node / before a restart.",
        step=STEP,
        subcode_ns=v.sc_ns,  # CreateSecurityContextNotFoundFault: the binding's SC namespace
    )


def receive(
    state: NodeState, env: Envelope, action: str, now: datetime, demuxed: list[ScRef] | None = None
) -> Outcome:
    """Everything but RST/SCT: demux (session mode; `demuxed` is its answer when the caller already ran it),
    read the SCT, verify its endorsing signature, check the key's age, then Cancel or hand the message on."""
    s = state.settings
    v = s.version
    if s.require_cancellation and demuxed is None:
        demuxed = demux(state, env, now)
    if demuxed is not None:
        scts = [r[0] for r in demuxed]
        ident = demuxed[0][1:] if demuxed else None
    else:  # cookie mode: only the first SCT's identifier is read (ReadTokenCore)
        scts, ident = _header_scts(env, v), None
    if not scts:
        raise Rejection(
            codes.SupportingTokenNotProvided,
            f"The message carries no wsc:SecurityContextToken ({v.sc_ns}) in its security header; this endpoint "
            "requires the SCT as an endorsing supporting token (obtain one with RST/SCT first).",
            step=STEP,
        )
    sct = read_token(state, scts[0], now, ident)
    sctsignature.verify(env, scts[0], sct, s.suite, v)
    return proceed(state, env, sct, action, now)


def proceed(state: NodeState, env: Envelope, sct: SecurityContext, action: str, now: datetime) -> Outcome:
    """After the security header: the key's age (CheckIncomingToken), Cancel (ProcessCloseRequest) or the
    session's activation (SessionInitiationMessageHandler)."""
    s = state.settings
    v = s.version
    is_cancel = action == v.action("RST/SCT/Cancel")
    if sct.key_expires < now and not is_cancel:
        if s.session.can_renew_session and s.require_cancellation:
            raise Rejection(
                codes.SecurityRenewFaultReason,
                f"The key of context {sct.context_id} expired at {sct.key_expires.isoformat()} "
                f"(sessionKeyRenewalInterval {s.session.session_key_renewal_interval}); send RST/SCT/Renew.",
                step=STEP,
                subcode_ns=v.sc_ns,  # InitializeFaultCodesIfRequired: scDriver.RenewNeededFaultCode
            )
        raise Rejection(
            codes.SecurityContextKeyExpired,
            f"The SecurityContextSecurityToken with Context-id={sct.context_id} "
            f"(generation-id={sct.generation_text}) has expired.",
            step=STEP,
        )
    if is_cancel and s.require_cancellation:
        reply = _cancel(state, env, sct)
        return Outcome("cancel", sct, reply, v.action("RSTR/SCT/Cancel"))
    session = state.store.activate(sct.context_id, now) if s.require_cancellation else None
    counted = session or sct
    counted.calls += 1
    counted.last_seen = now
    return Outcome("application", sct)


def read_token(
    state: NodeState, sct_el: etree._Element, now: datetime, ident: tuple[str, str | None] | None = None
) -> SecurityContext:
    """SecurityContextTokenEntry.ReadTokenCore, then SecurityContextSecurityTokenAuthenticator.IsTimeValid.
    `ident`: the element's (context id, generation) when demux already read them."""
    v = state.settings.version
    context_id, generation = ident if ident is not None else _identifier(sct_el, v)
    cookie_el = sct_el.find(ns.q(ns.DNSE, "Cookie"))
    sct: SecurityContext | None
    if cookie_el is not None:
        sct = state.cookie_cache.get(context_id, generation)
        if sct is None:
            try:
                blob = base64.b64decode("".join((cookie_el.text or "").split()), validate=True)
            except ValueError:
                blob = b""
            assert state.encoder is not None
            sct = cookies.read(state.encoder, blob, context_id, generation, sct_el.get(WSU_ID))
            state.cookie_cache.add(sct)
    else:
        sct = state.store.token(context_id, generation, now)
    if sct is None:
        raise Rejection(
            codes.SecurityContextNotRegistered,
            f"The SecurityContextSecurityToken with context-id={context_id} (key generation-id="
            f"{generation or ''}) is not registered.",
            step=STEP,
        )
    if not (sct.valid_from <= now <= sct.valid_to and sct.key_effective <= now):
        raise Rejection(
            codes.SecurityContextExpired,
            f"The SecurityContextSecurityToken with context-id={context_id} (key generation-id="
            f"{sct.generation_text}) has expired (valid {sct.valid_from.isoformat()} to {sct.valid_to.isoformat()}).",
            step=STEP,
        )
    return sct


def _cancel(state: NodeState, env: Envelope, sct: SecurityContext) -> str:
    """ProcessCloseRequest: RequestType Cancel (if given), a CancelTarget naming the signing SCT."""
    v = state.settings.version
    rst = trust.parse_rst(env.body, v)
    if rst.request_type is not None and rst.request_type != v.request_types["Cancel"]:
        raise Rejection(  # a MessageSecurityException in the session channel -> wsse:InvalidSecurity
            codes.MessageSecurityVerificationFailed,
            f"The RequestSecurityToken has an invalid or unspecified RequestType '{rst.request_type}' "
            f"(InvalidRstRequestType; a Cancel takes {v.request_types['Cancel']}).",
            step=STEP,
        )
    target = rst.cancel_target
    if target is None:
        raise Rejection(
            codes.NoCloseTargetSpecified, "The RequestSecurityToken must specify a CloseTarget.", step=STEP
        )
    if not target.is_context_id or target.uri != sct.context_id or target.generation != sct.generation:
        raise Rejection(
            codes.BadCloseTarget,
            f"The CloseTarget specified '{target}' does not identify the security token that signed the message "
            f"({sct.context_id}).",
            step=STEP,
        )
    state.store.remove(sct.context_id)
    return trust.cancel_rstr(v, rst.context)
