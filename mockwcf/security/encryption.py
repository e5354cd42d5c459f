"""Encryption and the symmetric binding on receive: EncryptedKey, DerivedKeyTokens, ReferenceList, encrypted
header items, the HMAC primary signature, and the checks that follow the protection pass. Asymmetric bindings
use the same reading and decryption at every protection level (expects_encryption); their primary signature
stays RSA (signature.py).

A WCF client on wsHttpBinding Message security (UserNameForCertificate, derived keys on,
SignBeforeEncryptAndEncryptSignature) sends, in this order (RS SM/Security/SendSecurityHeader.cs)::

    <o:Security s:mustUnderstand="1">
      <u:Timestamp u:Id="_0">...</u:Timestamp>                       signed
      <e:EncryptedKey Id="EK">... wrapped for the service certificate (ThumbprintSHA1) ...</e:EncryptedKey>
      <c:DerivedKeyToken u:Id="DK-S"> ref #EK, Offset 0, Length 24 </c:DerivedKeyToken>   signature key
      <c:DerivedKeyToken u:Id="DK-E"> ref #EK, Nonce </c:DerivedKeyToken>                 encryption key
      <e:ReferenceList> #ED-UT #ED-Body #ED-Sig </e:ReferenceList>
      <e:EncryptedData Id="ED-UT"> the UsernameToken (signed, then encrypted) </e:EncryptedData>
      <e:EncryptedData Id="ED-Sig"> the primary ds:Signature, HMAC with DK-S </e:EncryptedData>
    </o:Security>
    <s:Body u:Id="_1"><e:EncryptedData Id="ED-Body"> the Body content </e:EncryptedData></s:Body>

Each element is handled where ReceiveSecurityHeader.ExecuteFullPass meets it (ReadEncryptedKey, ReadToken for
the DKT, ReadReferenceList, ProcessEncryptedData); the Body and encrypted SOAP headers are decrypted in the
message protection pass (WSSecurityOneDotZeroReceiveSecurityHeader.ExecuteMessageProtectionPass) before their
digests are checked (under EncryptBeforeSign after them: protectionorder.py); then Process
checks, in order, that every DataReference was decrypted, derived-key use, supporting tokens (a SignedEncrypted
UsernameToken must have been encrypted) and, under SignBeforeEncryptAndEncryptSignature, that the signature
was encrypted when a signed part was (VerifySignatureEncryption).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from mockwcf import codes, ns
from mockwcf.binding.model import MessageProtectionOrder, ProtectionLevel, SymmetricSecurityBindingElement
from mockwcf.canonical import c14n
from mockwcf.envelope import WSU_ID, elements
from mockwcf.faults import Rejection
from mockwcf.security import derivedkeys, keywrap, protectionorder, suites
from mockwcf.security import encrypteddata as xed
from mockwcf.security import signature as sigmod
from mockwcf.security import x509 as x509mod
from mockwcf.security.context import ReceiveContext

STEP = "encryption"
ENCRYPTED_KEY = ns.q(ns.XENC, "EncryptedKey")
REFERENCE_LIST = ns.q(ns.XENC, "ReferenceList")
DERIVED_KEY_TOKENS = {ns.q(ns.WSC, "DerivedKeyToken"), ns.q(ns.WSC13, "DerivedKeyToken")}


@dataclass
class SymmetricState:
    """What ReceiveSecurityHeader tracks for a symmetric binding while it reads the header."""

    suite: suites.Suite
    budget: derivedkeys.DerivationBudget
    wrapped: list[keywrap.WrappedKey] = field(default_factory=list)
    derived: list[derivedkeys.DerivedKey] = field(default_factory=list)
    reference_list: xed.ReferenceList | None = None
    pending_token: keywrap.WrappedKey | None = None  # an EncryptedKey with its own ReferenceList
    signature_token: xed.KeyToken | None = None
    signature_encrypted: bool = False
    encryption_tokens: list[xed.KeyToken] = field(default_factory=list)
    encrypted_elements: list[etree._Element] = field(default_factory=list)  # decrypted header items
    body_encrypted: bool = False

    @property
    def key_tokens(self) -> list[xed.KeyToken]:
        return [*self.wrapped, *self.derived]


def applies(ctx: ReceiveContext) -> bool:
    """Does this module read the header's keys and encrypted items? On every binding that protects the message:
    the symmetric binding's EncryptedKey is its signing token too, and an asymmetric binding expects encryption
    at every level (expects_encryption; the key is wrapped for the service certificate, the signature stays
    RSA). Over transport only the ReferenceList and EncryptedData are read (pipeline.py)."""
    return ctx.binding.protects_message and expects_encryption(ctx)


def has_work(ctx: ReceiveContext) -> bool:
    """After the header pass: do the decryption and the checks after the protection pass have anything to do?
    Always on a symmetric binding; on an asymmetric one when the header held something encrypted (the state
    exists) or the action's Body must be encrypted. A Sign-level asymmetric request with no encryption (seed
    001's) skips them, as every one of their checks would pass, and costs what it did before it was read."""
    if not applies(ctx):
        return False
    return (
        hmac_signed(ctx)
        or ctx.crypto is not None
        or ctx.binding.request_protection(ctx.action) is ProtectionLevel.EncryptAndSign
    )


def hmac_signed(ctx: ReceiveContext) -> bool:
    """The primary signature is an HMAC by the wrapped key (or a key derived from it): symmetric bindings."""
    return isinstance(ctx.binding.security, SymmetricSecurityBindingElement)


def state(ctx: ReceiveContext) -> SymmetricState:
    if ctx.crypto is None:
        suite = suites.get(ctx.binding.security.default_algorithm_suite)
        endorsing_dk = sum(
            1
            for a, p in ctx.binding.security.endpoint_supporting.all()
            if a.endswith("ndorsing") and p.require_derived_keys and p.kind.value != "X509"
        )
        ctx.crypto = SymmetricState(suite, derivedkeys.DerivationBudget(suite, endorsing_dk))
    return ctx.crypto


def expects_encryption(ctx: ReceiveContext) -> bool:
    """ReceiveSecurityHeader.ExpectEncryption = RequireConfidentiality || ExpectBasicTokens
    (MessageSecurityProtocol.ConfigureReceiveSecurityHeader), whatever the ProtectionLevel, on every binding that
    protects the message: SymmetricSecurityBindingElement.CreateSecurityProtocolFactory sets RequireConfidentiality
    = true outright, and AsymmetricSecurityBindingElement sets it to HasProtectionRequirements(IncomingEncryption
    Parts), which is true because the binding's own requirements (SecurityBindingElement.GetProtectionRequirements
    at its SupportedRequestProtectionLevel, EncryptAndSign) encrypt the Body of the fault actions, the
    NetDispatcher one always (only the peer channel's certificate-signature binding differs). Which parts must be
    encrypted stays per action (RequiredEncryptionParts, binding/protection.py). A SignedEncrypted supporting
    token (ExpectBasicTokens) is therefore always welcome encrypted, and a WCF client encrypts it even at Sign
    (SymmetricSecurityProtocol.SetUpDelayedSecurityExecution: `HasEncryptedTokens`, EncryptionParts = NoParts).
    Over transport TransportSecurityProtocol leaves ExpectEncryption at its default, true, as well: a service
    never answers EncryptionNotExpected to a ReferenceList (only a WCF client reading a reply can)."""
    return ctx.binding.message_security


@functools.cache
def _service(cert: Path, key: Path) -> keywrap.ServiceCredential:
    return keywrap.ServiceCredential(
        x509mod.load_pem_certificate(cert), keywrap.private_key_from_pem(key.read_bytes())
    )


def read_encrypted_key(ctx: ReceiveContext, element: etree._Element) -> None:
    """ReadEncryptedKey: unwrap with the expected wrapper (the service certificate) and add the key to the
    primary resolver; an inner ReferenceList becomes the pending decryption list."""
    st = state(ctx)
    sc = ctx.scenario
    service = _service(sc.service_certificate, sc.service_key) if sc.service_key else None
    wk = keywrap.unwrap(
        element,
        service,
        st.suite,
        wss11=ctx.binding.security.wss11,
        expect_encryption=expects_encryption(ctx),
    )
    st.wrapped.append(wk)
    if wk.reference_list is not None:
        st.pending_token = wk
        st.reference_list = wk.reference_list
    ctx.record(
        STEP, "ok", f"{wk.label()} unwrapped with the service certificate ({wk.algorithm.rpartition('#')[2]})"
    )


def read_derived_key(ctx: ReceiveContext, element: etree._Element) -> None:
    """ReadToken for a DerivedKeyToken: its source must be a token read before it (Strict)."""
    st = state(ctx)
    sc_ns = ns.WSC13 if ctx.binding.security.message_security_version.trust13 else ns.WSC
    token = derivedkeys.read(element, sc_ns, ctx.binding.security.wss11)
    base = next((w for w in st.wrapped if w.matches(token.clause)), None)
    if base is None:
        header_tokens = [t for t in ctx.tokens if token.clause.kind == "local" and t.id == token.clause.value]
        if header_tokens:  # an X.509 or UserName token: no symmetric key to derive from
            st.budget.derive(token, None, header_tokens[0].label())
        raise derivedkeys.unresolved(token)
    st.derived.append(st.budget.derived_key(token, base.key, base.label()))
    ctx.record(STEP, "ok", f"DerivedKeyToken {token.id} ({token.length} bytes) derived from {base.label()}")


def read_reference_list(ctx: ReceiveContext, element: etree._Element) -> None:
    """ReadReferenceList: a service always expects encryption (expects_encryption), so it is read."""
    refs = xed.read_reference_list(element)
    st = state(ctx)
    if st.reference_list is None:
        st.reference_list = refs
    else:
        st.reference_list.ids.extend(refs.ids)


def transport_decryption_complete(ctx: ReceiveContext) -> None:
    """EnsureDecryptionComplete over transport: Process runs it although RequireMessageProtection is false, and
    nothing there decrypts the Body or a header, so a ReferenceList naming anything is refused
    (UnableToResolveDataReference), after every header element was read and before the supporting tokens."""
    if ctx.crypto is not None and ctx.crypto.reference_list is not None:
        ctx.crypto.reference_list.ensure_complete()


def decrypt_header_item(ctx: ReceiveContext, element: etree._Element) -> etree._Element:
    """ProcessEncryptedData for a security-header item: decrypt in place and return the restored element
    (a ds:Signature or a token), which the caller then processes as if it had been sent in clear."""
    st = state(ctx)
    ed, plain, token = xed.open_item(
        element, st.key_tokens, st.pending_token, st.suite, ctx.binding.security.wss11
    )
    if st.reference_list is None or not st.reference_list.take(ed.id):
        protectionorder.early(ctx, ed.id)  # checked by EnsureDecryptionComplete (after_protection_pass)
    restored = xed.replace_element(ed, plain, "security header item")
    st.encryption_tokens.append(token)
    st.encrypted_elements.append(restored)
    return restored


def record_primary_encryption(ctx: ReceiveContext, encrypted: bool) -> None:
    """Asymmetric bindings verify the primary signature by RSA (signature.py); whether it arrived encrypted
    still counts for VerifySignatureEncryption. A clear one leaves no state behind when nothing else made any
    (has_work; the state's default is "not encrypted")."""
    if encrypted or ctx.crypto is not None:
        state(ctx).signature_encrypted = encrypted


def process_primary(ctx: ReceiveContext, sig: sigmod.ParsedSignature, encrypted: bool) -> None:
    """ProcessPrimarySignature with a symmetric key: the primary resolver holds the EncryptedKey and the keys
    derived from it; the key is size-checked, the SignatureMethod checked against the suite, the HMAC compared."""
    st = state(ctx)
    ctx.primary_signature_value = sig.value
    if ctx.binding.settings.detect_replays:
        ctx.node.replay.check(sig.value, ctx.now)
    if not sig.clauses:
        raise Rejection(
            codes.NoKeyInfoInSignatureToFindVerificationToken,
            "The signature has no ds:KeyInfo naming the derived key (or EncryptedKey) it was made with.",
            step=sigmod.STEP,
        )
    token = next((t for c in sig.clauses for t in st.key_tokens if t.matches(c)), None)
    if token is None:
        shown = "; ".join(str(c) for c in sig.clauses)
        available = ", ".join(t.label() for t in st.key_tokens) or "none"
        raise Rejection(
            codes.UnableToResolveKeyInfoForVerifyingSignature,
            f"Cannot resolve KeyInfo for verifying signature: KeyInfo '{shown}', available tokens "
            f"'primary resolver: {available}'.",
            step=sigmod.STEP,
        )
    signed_info = c14n(sig.signed_info, sig.c14n_method, sig.c14n_prefixes)
    derivedkeys.verify_hmac(
        st.suite, sig.method, token.key, signed_info, sig.value, token.label(), token.source_key_bits
    )
    sigmod.verify_header_references(ctx, sig)
    ctx.primary_signature = sig
    ctx.signature_values.append(sig.value)
    st.signature_token = token
    st.signature_encrypted = encrypted
    ctx.record(
        sigmod.STEP,
        "ok",
        f"primary signature (HMAC) verified with {token.label()}, {len(sig.references)} reference(s)",
    )


def decrypt_message(ctx: ReceiveContext) -> None:
    """The decrypting half of ExecuteMessageProtectionPass: encrypted SOAP headers (wsse11:EncryptedHeader) and
    the Body are decrypted before their digests are checked (sign-then-encrypt orders), after them under
    EncryptBeforeSign (pipeline.receive calls it after the protection pass then)."""
    st = state(ctx)
    env = ctx.env
    wss11 = ctx.binding.security.wss11
    if env.header is not None:
        for h in elements(env.header):
            if h.tag != xed.ENCRYPTED_HEADER:
                continue
            inner = next((c for c in elements(h) if c.tag == xed.ENCRYPTED_DATA), None)
            refs = st.reference_list
            # the EncryptedHeader's own wsu:Id (what WCF lists) or its EncryptedData's Id
            if inner is None or refs is None or not (refs.take(h.get(WSU_ID)) or refs.take(inner.get("Id"))):
                continue
            sec = env.security
            env_ns = env.env_ns
            actor = sec.get(ns.q(env_ns, "role" if env.soap12 else "actor"), "") if sec is not None else ""
            must = sec is not None and sec.get(ns.q(env_ns, "mustUnderstand"), "0") in ("1", "true")
            xed.check_encrypted_header(h, env_ns, must, actor, False, wss11)
            ed, plain, token = xed.open_item(inner, st.key_tokens, st.pending_token, st.suite, wss11)
            protectionorder.header_decrypted(ctx, h, xed.replace_element(ed, plain, "SOAP header"))
            st.encryption_tokens.append(token)
    element = xed.body_encrypted_data(env.body)
    if element is not None and st.reference_list is not None and st.reference_list.take(element.get("Id")):
        ed, plain, token = xed.open_item(element, st.key_tokens, st.pending_token, st.suite, wss11)
        xed.replace_content(ed, plain)
        st.encryption_tokens.append(token)
        st.body_encrypted = True
        env.payload = next(iter(elements(env.body)), None)
        ctx.record(STEP, "ok", f"Body decrypted with {token.label()}")


def after_protection_pass(ctx: ReceiveContext) -> None:
    """ReceiveSecurityHeader.Process after the protection pass, in its order."""
    st = state(ctx)
    sbe = ctx.binding.security
    if ctx.binding.request_protection(ctx.action) is ProtectionLevel.EncryptAndSign and not st.body_encrypted:
        raise Rejection(
            codes.RequiredMessagePartNotEncryptedNs,
            f"The 'Body', '{ctx.env.env_ns}' required message part was not encrypted.",
            step=STEP,
            hint="This binding's protectionLevel is EncryptAndSign: encrypt the Body content (xenc:EncryptedData "
            "Type Content) with the derived encryption key and list it in the ReferenceList.",
        )
    protectionorder.ensure_early_listed(
        ctx, st.reference_list.take if st.reference_list is not None else None
    )
    if st.reference_list is not None:
        st.reference_list.ensure_complete()
    if hmac_signed(ctx) and sbe.protection_token.require_derived_keys:
        signed = (
            None if st.signature_token is None else isinstance(st.signature_token, derivedkeys.DerivedKey)
        )
        encrypted = (
            None
            if not st.encryption_tokens
            else all(isinstance(t, derivedkeys.DerivedKey) for t in st.encryption_tokens)
        )
        if signed is False or encrypted is False:  # the parameters are described only for the rejection
            derivedkeys.ensure_derived(
                signed,
                encrypted,
                sbe.protection_token.describe(),
                wrapped=sbe.protection_token.kind.value == "X509",
            )
    order = protectionorder.effective_order(ctx)  # downgraded when the action's Body is not encrypted
    if (
        order is MessageProtectionOrder.SignBeforeEncryptAndEncryptSignature
        and st.body_encrypted
        and ctx.primary_signature is not None
        and not st.signature_encrypted
    ):
        raise Rejection(
            codes.PrimarySignatureIsRequiredToBeEncrypted,
            "The Body is signed and encrypted, so under SignBeforeEncryptAndEncryptSignature the primary "
            "ds:Signature must travel encrypted too (an xenc:EncryptedData in the security header).",
            step=STEP,
        )


def check_supporting_encrypted(ctx: ReceiveContext) -> None:
    """VerifySupportingToken, SignedEncrypted: the token (a UsernameToken) must have arrived encrypted. WCF checks
    it whenever the header requires message protection (RequireMessageProtection: every symmetric and
    asymmetric binding), whatever the ProtectionLevel: a Sign-only contract still needs the token encrypted."""
    if not ctx.binding.protects_message:
        return
    st = state(ctx)
    for attachment, params in ctx.binding.security.endpoint_supporting.all():
        if attachment != "signedEncrypted":
            continue
        for token in ctx.tokens:
            if (
                token.kind == params.kind.value
                and token.role == "supporting"
                and token.element not in st.encrypted_elements
            ):
                raise Rejection(
                    codes.SupportingTokenIsNotEncrypted,
                    f"The supporting token {token.label()} was sent in clear; parameters '{params.describe()}' "
                    "with attachment mode SignedEncrypted require it encrypted.",
                    step=STEP,
                    hint="Encrypt the wsse:UsernameToken (xenc:EncryptedData Type Element in the security header, "
                    "listed in the ReferenceList) with the derived encryption key.",
                )
