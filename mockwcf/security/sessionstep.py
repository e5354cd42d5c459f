"""The receive step of an endpoint whose binding ends in a SecureConversation token (over transport, or over
Message security as the symmetric binding's protection token).

WCF splits such an endpoint in two listeners (SecuritySessionSecurityTokenAuthenticator.SetupSessionListener):
RST/SCT and RST/SCT/Renew messages that carry a security header go to the issuer, secured by the *bootstrap*
binding element (UserNameOverTransport / CertificateOverTransport, the symmetric UserNameForCertificate /
MutualCertificate / AnonymousForCertificate, or the asymmetric WSS 1.0 MutualCertificate); everything else goes to
the session channels (session SCTs: demux by context id) or, for cookie SCTs, to the steady-state security
channel. This module makes that choice and runs mockwcf's receive pipeline with the bootstrap element where WCF
does; over Message security the steady state is the symmetric pipeline with the SCT as its primary token
(sctmessage.py), and a Renew's bootstrap pass reads the SCT as its endorsing token (sctrenew.py).

`receive` returns None when the binding has no secure conversation (the caller runs the ordinary pipeline), an
Outcome with a reply for issue, renew and cancel, or an Outcome of kind "application" for a message that goes
on to the contract.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from lxml import etree

from mockwcf import codes, envelope, ns
from mockwcf.binding import protection
from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    Binding,
    ProtectionLevel,
    SecurityTokenParameters,
)
from mockwcf.binding.secureconversation import secure_conversation_parameters
from mockwcf.config.model import Scenario
from mockwcf.faults import Rejection
from mockwcf.security import (
    cookies,
    encryption,
    header,
    pipeline,
    sctmessage,
    sctrenew,
    sessionfault,
    timestamp,
    tokens,
    trust,
)
from mockwcf.security.context import ReceiveContext
from mockwcf.security.conversation import (
    ConversationSettings,
    NodeState,
    Outcome,
    demux,
    issue,
    proceed,
    renew,
)
from mockwcf.security.conversation import receive as sc_receive
from mockwcf.security.sctstore import SecurityContext, SessionSettings

STEP = "secureConversation"
_TIMESTAMP = ns.q(ns.WSU, "Timestamp")
_SIGNATURE = ns.q(ns.DS, "Signature")


_PARAMETERS: dict[int, tuple[Binding, SecurityTokenParameters | None]] = {}  # by id(binding), binding kept


def token_parameters(binding: Binding) -> SecurityTokenParameters | None:
    """The SCT's parameters (binding/secureconversation.py). Asked on every request; the binding is frozen, so
    the answer is kept per binding (a handful: one per scenario loaded) instead of walking its supporting
    tokens each time (~3 µs)."""
    known = _PARAMETERS.get(id(binding))
    if known is not None and known[0] is binding:
        return known[1]
    if len(_PARAMETERS) >= 64:  # many scenario switches: start again rather than grow
        _PARAMETERS.clear()
    found = secure_conversation_parameters(binding)
    _PARAMETERS[id(binding)] = (binding, found)
    return found


def settings(binding: Binding, sct: SecurityTokenParameters) -> ConversationSettings:
    """The binding model read as the conversation module's settings."""
    lss = binding.settings
    sbe = binding.security
    assert sbe is not None
    return ConversationSettings(
        version=trust.WSSX13 if sbe.message_security_version.trust13 else trust.FEB2005,
        suite=sbe.default_algorithm_suite,
        require_cancellation=sct.require_cancellation,
        session=SessionSettings(
            max_pending_sessions=lss.max_pending_sessions,
            inactivity_timeout=lss.inactivity_timeout,
            session_key_renewal_interval=lss.session_key_renewal_interval,
            session_key_rollover_interval=lss.session_key_rollover_interval,
            issued_cookie_lifetime=lss.issued_cookie_lifetime,
            max_cached_cookies=lss.max_cached_cookies,
        ),
    )


@cache
def _process_key() -> bytes:
    """The key in-process nodes share when cookieProtection is `shared` without a key file."""
    return hashlib.sha256(b"mockwcf in-process farm " + Path(__file__).read_bytes()[:64]).digest()


def encoder(scenario: Scenario) -> cookies.StateEncoder | None:
    """farm.cookieProtection: perNode -> None (each node makes its own key), shared, certificate."""
    if scenario.cookie_protection == "shared":
        if scenario.cookie_key_file is not None:
            return cookies.shared_key_file(scenario.cookie_key_file)
        return cookies.shared_key(_process_key(), "the in-process farm's key")
    if scenario.cookie_protection == "certificate" and scenario.service_certificate and scenario.service_key:
        cert = x509.load_pem_x509_certificate(scenario.service_certificate.read_bytes())
        key = load_pem_private_key(scenario.service_key.read_bytes(), None)
        return cookies.CertificateEncoder(cert, key)  # type: ignore[arg-type]
    return None


def node_state(ctx: ReceiveContext, sct: SecurityTokenParameters) -> NodeState:
    """The node's conversation state, made on first use (a scenario switch builds new nodes)."""
    node = ctx.node
    if node.conversation is None:
        node.conversation = NodeState(node.index, settings(ctx.binding, sct), ctx.now, encoder(ctx.scenario))
    return node.conversation


def receive(ctx: ReceiveContext, action: str) -> Outcome | None:
    binding = ctx.binding
    sct = token_parameters(binding)
    if sct is None:
        return None
    state = node_state(ctx, sct)
    v = state.settings.version
    env = ctx.env
    to_issuer = action in (v.action("RST/SCT"), v.action("RST/SCT/Renew")) and env.security is not None
    if to_issuer and not (action.endswith("/Renew") and not state.settings.require_cancellation):
        renewing = action.endswith("/Renew")
        if renewing and binding.protects_message:  # the SCT endorses inside the bootstrap pass (sctrenew.py)
            boot, endorsing = _bootstrap_renew(ctx, sct, state)
            out = renew(state, env, boot.identity, ctx.now, endorsing)
        elif renewing:
            boot = _bootstrap(ctx, sct, strip_sct=True)
            out = renew(state, env, boot.identity, ctx.now)
        else:
            boot = _bootstrap(ctx, sct, strip_sct=False)
            out = issue(state, env, boot.identity, ctx.now)
        out.request_key, out.signature_values, out.reply_cert = (
            boot.request_key,
            boot.confirm,
            boot.reply_cert,
        )
        if binding.protects_message:  # the RSTR's Body is signed and encrypted (issuer_protection)
            out.reply_protection = ProtectionLevel.EncryptAndSign
        identity = boot.identity
        ctx.record(
            STEP, "ok", f"{out.kind}: context {out.sct.context_id} for {identity} on node {state.node}"
        )
        return out
    if state.settings.require_cancellation:  # session channels demux before any header processing
        ctx.sct_refs = demux(state, env, ctx.now)
    if binding.protects_message:
        out = steady_state(ctx, state, action)
        ctx.record(
            STEP, "ok", f"{out.kind}: context {out.sct.context_id} ({out.sct.identity}) on node {state.node}"
        )
        return out
    # ReceiveSecurityHeader.ExecuteFullPass over transport: the Timestamp is read, the SCT, its derived keys and
    # its endorsing signature are the session token's (sc_receive); any other element goes to ReadToken, which
    # finds no authenticator for it at the steady state (UnableToFindTokenAuthenticator) or cannot read it.
    sc_open = "{" + state.settings.version.sc_ns + "}"
    for el in header.locate(ctx):
        tag = el.tag
        if tag == _TIMESTAMP:
            timestamp.read(ctx, el)
        elif tag != _SIGNATURE and not tag.startswith(sc_open):  # the SCT and its DKTs: sc_receive's
            tokens.read(ctx, el)
    try:
        out = sc_receive(state, env, action, ctx.now, demuxed=ctx.sct_refs)
    except Rejection as rej:  # RenewNeeded leaves with the session's Timestamp (sessionfault.py)
        raise sessionfault.mark(rej, ctx.binding, None) from None
    ctx.record(
        STEP, "ok", f"{out.kind}: context {out.sct.context_id} ({out.sct.identity}) on node {state.node}"
    )
    return out


def steady_state(ctx: ReceiveContext, state: NodeState, action: str) -> Outcome:
    """Message security: the symmetric pipeline with the SCT as the primary token (sctmessage.read puts it
    among the key tokens when the header reaches it), then the session channel's checks."""
    cancel = state.settings.require_cancellation and action == state.settings.version.action("RST/SCT/Cancel")
    if cancel:
        ctx.binding = _cancel_protection(ctx)
    if action.startswith(state.settings.version.trust_ns + "/"):
        # Cancel, Renew, Close: their parts are the session protocol's own (SecuritySessionServerSettings adds
        # them), not the contract's, so actionparts.check does not look them up
        ctx.contract_actions = None
    pipeline.receive(ctx)
    token = next((t for t in encryption.state(ctx).wrapped if isinstance(t, sctmessage.SctKey)), None)
    if token is None:
        raise Rejection(
            codes.SupportingTokenNotProvided,
            f"The message carries no wsc:SecurityContextToken ({state.settings.version.sc_ns}) in its security "
            "header; this endpoint's protection token is the SCT (obtain one with RST/SCT first).",
            step=STEP,
        )
    try:
        out = proceed(state, ctx.env, token.sct, action, ctx.now)
    except Rejection as rej:  # RenewNeeded leaves secured by the session (sessionfault.py)
        raise sessionfault.mark(rej, ctx.binding, token) from None
    out.request_key = token
    if cancel:  # RSTR/SCT/Cancel: Body signed, not encrypted (_cancel_protection)
        out.reply_protection = ProtectionLevel.Sign
    return out


def _cancel_protection(ctx: ReceiveContext) -> Binding:
    """The session's protection of Cancel: SecuritySessionServerSettings (SessionSymmetricMessageSecurityProtocol-
    Factory) adds the Body to the signature parts of CloseAction and CloseResponseAction and NoParts to their
    encryption parts, so at any contract level the Cancel's Body is signed and need not be encrypted, and the
    RSTR/SCT/Cancel Body is signed and not encrypted; WCF's client sends Cancel so (SecuritySessionClientSettings:
    OutgoingEncryptionParts NoParts for CloseAction). Every other action keeps its level."""
    binding = ctx.binding
    v = ctx.node.conversation.settings.version  # type: ignore[union-attr]
    p = binding.protection or protection.create_from_contract(
        ((op.action, op.reply_action, None) for op in ctx.scenario.service.operations),
        binding.protection_level,
    )
    sign = ProtectionLevel.Sign
    p = dataclasses.replace(
        p,
        incoming={**p.incoming, v.action("RST/SCT/Cancel"): sign},
        outgoing={**p.outgoing, v.action("RSTR/SCT/Cancel"): sign},
    )
    return dataclasses.replace(binding, protection=p)


@dataclass
class Bootstrapped:
    """What the bootstrap pass hands the issuer: who authenticated, and how the RSTR is secured."""

    identity: str
    request_key: Any  # a symmetric bootstrap: the request's EncryptedKey secures the RSTR
    reply_cert: Any  # an asymmetric bootstrap: the client certificate the RSTR is encrypted for
    confirm: list[bytes] | None  # SignatureConfirmation values when the bootstrap requires them


def _bootstrap(ctx: ReceiveContext, sct: SecurityTokenParameters, strip_sct: bool) -> Bootstrapped:
    """Run the receive pipeline with the bootstrap element; the authenticated token names the identity.
    A Renew over transport also carries the SCT and its endorsing signature, which the bootstrap protocol's
    renew supporting-token requirement handles: they are left out of the bootstrap pass."""
    return _run(ctx, _bootstrap_context(ctx, sct, strip_sct, None))


def _run(ctx: ReceiveContext, inner: ReceiveContext) -> Bootstrapped:
    try:
        pipeline.receive(inner)
    finally:  # the journal shows the bootstrap's steps, failed ones included
        ctx.steps.extend(inner.steps)
    token = next((t for t in inner.tokens if t.username or t.cert is not None), None)
    identity = token.label().rsplit(" (id", 1)[0] if token is not None else "anonymous"
    boot = inner.binding.security
    # the issuer answers with the bootstrap's protocol: SignatureConfirmation when it requires it
    confirm = inner.signature_values if getattr(boot, "require_signature_confirmation", False) else None
    if isinstance(boot, AsymmetricSecurityBindingElement):
        # AsymmetricSecurityProtocol on the reply: signed with the service certificate (the recipient token),
        # encrypted for the initiator token, the client certificate that signed the RST
        signer = inner.primary_signature.token if inner.primary_signature is not None else None
        return Bootstrapped(identity, None, signer.cert if signer is not None else None, confirm)
    # a symmetric bootstrap's reply (the RSTR) is secured with the request's EncryptedKey
    wrapped = inner.crypto.wrapped if inner.crypto is not None else []
    wrapped = [w for w in wrapped if not isinstance(w, sctmessage.SctKey)]
    return Bootstrapped(identity, wrapped[0] if wrapped else None, None, confirm)


def _bootstrap_renew(
    ctx: ReceiveContext, sct: SecurityTokenParameters, state: NodeState
) -> tuple[Bootstrapped, SecurityContext]:
    """The renew message's bootstrap pass over Message security: it reads the SCT as the renew action's
    endorsing supporting token and verifies that it endorsed (sctrenew.py)."""
    inner = _bootstrap_context(ctx, sct, False, state)
    assert isinstance(inner, sctmessage.RenewingContext)
    return _run(ctx, inner), sctrenew.endorsing_token(inner)


def _bootstrap_context(
    ctx: ReceiveContext, sct: SecurityTokenParameters, strip_sct: bool, state: NodeState | None
) -> ReceiveContext:
    boot = sct.bootstrap
    assert boot is not None
    outer = ctx.binding.security
    assert outer is not None
    boot = dataclasses.replace(
        boot,
        default_algorithm_suite=outer.default_algorithm_suite,
        allow_insecure_transport=outer.allow_insecure_transport,
        local_service_settings=dataclasses.replace(
            outer.local_service_settings, detect_replays=boot.local_service_settings.detect_replays
        ),
    )
    env = ctx.env
    if strip_sct:
        env = _without_sct(env, ctx.node.conversation)
    binding = dataclasses.replace(ctx.binding, security=boot)
    if binding.protects_message:
        binding = issuer_protection(binding)
    if state is None:
        return ReceiveContext(ctx.scenario, binding, ctx.node, env, ctx.now, ctx.second_opinion)
    inner = sctmessage.RenewingContext(
        ctx.scenario,
        binding,
        ctx.node,
        env,
        ctx.now,
        ctx.second_opinion,
        conversation=state,
        require_derived_keys=sct.require_derived_keys,
    )
    st = encryption.state(inner)
    if sct.require_derived_keys:  # the renew action's endorsing SCT derives two more keys (DerivationBudget)
        st.budget.max_keys += 2
    return inner


def issuer_protection(binding: Binding) -> Binding:
    """The issuer's protection whatever the contract's ProtectionLevel: SecuritySessionSecurityTokenAuthenticator
    .BuildResponderChannelListener (session SCTs) and AcceleratedTokenAuthenticator.BuildNegotiationChannelListener
    (cookie SCTs) set ApplyConfidentiality = ApplyIntegrity = RequireConfidentiality = RequireIntegrity = true on
    the bootstrap's MessageSecurityProtocolFactory and add the Body to the signature and encryption parts of the
    Issue and Renew actions and of their responses. So at protectionLevel Sign the RST/SCT Body must still arrive
    encrypted and the RSTR Body leaves encrypted (a transport bootstrap is a TransportSecurityProtocolFactory:
    untouched)."""
    return dataclasses.replace(binding, protection=None, protection_level=ProtectionLevel.EncryptAndSign)


def _without_sct(env: envelope.Envelope, state: NodeState | None) -> envelope.Envelope:
    assert state is not None
    root = copy.deepcopy(env.root)  # the parsed request stays as it was; only the hardened parse below
    sec = root.find(f"{{{env.env_ns}}}Header/{{{ns.WSSE}}}Security")
    assert sec is not None
    sct_tag = ns.q(state.settings.version.sc_ns, "SecurityContextToken")
    ids = {e.get(envelope.WSU_ID) for e in sec if e.tag == sct_tag}
    for el in list(sec):
        refs = el.findall(f"{{{ns.DS}}}KeyInfo/{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference")
        if el.tag == sct_tag or any((r.get("URI") or "")[1:] in ids for r in refs):
            sec.remove(el)
    return envelope.parse(etree.tostring(root))
