"""RST/SCT/Renew over a Message-security (symmetric) bootstrap: the renew message is secured by the bootstrap
binding and endorsed by the expiring SCT.

WCF's issuer listener (SecuritySessionSecurityTokenAuthenticator.BuildResponderChannelListener) secures Issue and
Renew with the bootstrap protocol (Body signed and encrypted both ways) and adds, for the Renew action only, an
endorsing SecurityContextSecurityTokenParameters whose RequireDerivedKeys is the issued token parameters' (true
for a Message bootstrap); SessionRenewSecurityTokenManager resolves the SCT from the issued-token cache. A WCF
client (SecuritySessionSecurityTokenProvider.DoOperation, Renew) therefore sends::

    <o:Security> Timestamp, EncryptedKey, DKT(EK) x2, ReferenceList, the encrypted UsernameToken (or the client
      certificate), the current SCT, a DKT naming the SCT, the encrypted primary signature (HMAC by DKT(EK)),
      the encrypted endorsing signature (HMAC by DKT(SCT)) over the primary signature </o:Security>

ProcessSupportingSignature verifies the endorsing signature; ReceiveSecurityHeader.VerifySupportingToken then
requires the SCT to have endorsed (SupportingTokenIsNotEndorsing) with a derived key (SupportingSignatureIs-
NotDerivedFrom); ProcessRenewRequest then matches the RenewTarget against the endorsing SCTs
(GetMatchingEndorsingSct: BadRenewTarget) and checks the identity (conversation.renew).
"""

from __future__ import annotations

from mockwcf import codes
from mockwcf.canonical import c14n
from mockwcf.faults import Rejection
from mockwcf.security import derivedkeys, encryption, signature
from mockwcf.security.context import ReceiveContext
from mockwcf.security.sctmessage import RenewingContext, SctKey
from mockwcf.security.sctstore import SecurityContext

STEP = "secureConversation"


def _sct_keys(ctx: RenewingContext) -> list[tuple[object, SctKey, bool]]:
    """The keys the SCT offers: itself, and every DerivedKeyToken whose reference names it."""
    st = encryption.state(ctx)
    found: list[tuple[object, SctKey, bool]] = [(sk, sk, False) for sk in ctx.sct_keys]
    for dk in st.derived:
        base = next((sk for sk in ctx.sct_keys if sk.matches(dk.token.clause)), None)
        if base is not None:
            found.append((dk, base, True))
    return found


def endorses(ctx: ReceiveContext, sig: signature.ParsedSignature) -> bool:
    """ProcessSupportingSignature for a signature keyed by the renew message's SCT (or a key derived from it):
    HMAC verification, then the digest of its only target, the primary signature. False: not such a
    signature, the caller goes on as for any other supporting signature."""
    if not isinstance(ctx, RenewingContext):
        return False
    match = next((m for c in sig.clauses for m in _sct_keys(ctx) if m[0].matches(c)), None)  # type: ignore[attr-defined]
    if match is None:
        if ctx.binding.endorsing_required:  # the bootstrap's own endorsing token (an X.509 certificate)
            return False
        _unresolved(
            sig
        )  # the renew action expects an endorsing signature: resolution fails, not its presence
    assert match is not None
    key_token, sct, derived = match
    primary = ctx.primary_signature
    if primary is None:
        raise Rejection(  # Strict puts the first signature first, Lax never makes an endorsing one primary
            codes.RequiredSignatureMissing,
            "An endorsing signature comes without the primary signature it must sign.",
            step=signature.STEP,
        )
    suite = encryption.state(ctx).suite
    signed_info = c14n(sig.signed_info, sig.c14n_method, sig.c14n_prefixes)
    label = key_token.label()  # type: ignore[attr-defined]
    derivedkeys.verify_hmac(
        suite,
        sig.method,
        key_token.key,  # type: ignore[attr-defined]
        signed_info,
        sig.value,
        label,
        key_token.source_key_bits,  # type: ignore[attr-defined]
    )
    signature.verify_target(ctx, sig, primary.element.get("Id"), primary.element)
    ctx.signature_values.append(sig.value)
    ctx.endorsed.append((sct, derived))
    ctx.record(signature.STEP, "ok", f"endorsing signature (HMAC) verified with {label}")
    return True


def _unresolved(sig: signature.ParsedSignature) -> None:
    """ProcessSupportingSignature's KeyInfo resolution against the universal resolver, for a signature that
    names none of the renew message's tokens with a key."""
    if not sig.clauses:
        raise Rejection(
            codes.NoKeyInfoInSignatureToFindVerificationToken,
            "The endorsing signature has no ds:KeyInfo naming the SCT (or the DerivedKeyToken from it) it was made "
            "with.",
            step=signature.STEP,
        )
    raise Rejection(
        codes.UnableToResolveKeyInfoForVerifyingSignature,
        f"Cannot resolve KeyInfo for verifying signature: KeyInfo '{'; '.join(str(c) for c in sig.clauses)}' "
        "names neither the renew message's wsc:SecurityContextToken nor a DerivedKeyToken from it.",
        step=signature.STEP,
    )


def verify_supporting(ctx: ReceiveContext) -> None:
    """Where ReceiveSecurityHeader.Process verifies supporting tokens (pipeline.py, after the binding's own): the
    primary signature was not made with the SCT (it is not in the primary resolver), and VerifySupportingToken
    for the renew action's endorsing SCT parameters. Nothing to do outside a renew message's bootstrap pass."""
    if not isinstance(ctx, RenewingContext):
        return
    st = encryption.state(ctx)
    if any(st.signature_token is m[0] for m in _sct_keys(ctx)):
        raise Rejection(
            codes.UnableToResolveKeyInfoForVerifyingSignature,
            f"Cannot resolve KeyInfo for verifying signature: the primary signature names "
            f"{st.signature_token.label()}, a supporting token; the primary resolver holds the bootstrap's "
            "EncryptedKey and its derived keys only.",
            step=signature.STEP,
        )
    if not ctx.sct_keys:
        raise Rejection(
            codes.SupportingTokenNotProvided,
            "A supporting token that satisfies parameters 'SecurityContextSecurityTokenParameters' and attachment "
            "mode 'Endorsing' was not provided: the renew message must carry the current wsc:SecurityContextToken "
            "(RenewSessionMissingSupportingToken).",
            step=STEP,
        )
    problem = None
    if not ctx.endorsed:
        problem = (
            codes.SupportingTokenIsNotEndorsing,
            f"The supporting token {ctx.sct_keys[0].label()} did not endorse the primary signature: the renew "
            "message's SCT must sign the primary signature with a key derived from it.",
        )
    elif ctx.require_derived_keys and not ctx.endorsed[0][1]:
        problem = (
            codes.SupportingSignatureIsNotDerivedFrom,
            "The supporting signature is not signed with a derived key. The binding's supporting token parameter "
            "'SecurityContextSecurityTokenParameters' requires key derivation.",
        )
    if problem is not None:
        raise Rejection(*problem, step=STEP)


def endorsing_token(ctx: RenewingContext) -> SecurityContext:
    """The SCT that endorsed the renew message (verify_supporting ran in the bootstrap pass)."""
    return ctx.endorsed[0][0].sct
