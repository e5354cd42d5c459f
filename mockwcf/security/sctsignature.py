"""The endorsing signature of a security context token over transport: an HMAC keyed by the SCT's key.

CreateSecureConversationBindingElement over a transport bootstrap makes the SCT an endorsing supporting token
without derived keys (RequireDerivedKeys=false), so the client signs the Timestamp, and wsa:To when it is
present (every transport-secured endorsing signature must: "unsigned 'To' header"), with HMAC-SHA1 (Basic256;
HMAC-SHA256 for the Sha256 suites) keyed by the computed key of the RSTR. The ds:KeyInfo names the SCT by its
wsu:Id (what WCF's client writes) or by its context id (SctStrEntry). Digests reuse signature.check_digest.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes, ns
from mockwcf.envelope import WSU_ID, Envelope, elements
from mockwcf.faults import Rejection
from mockwcf.security import derivedkeys, signature, suites, trust
from mockwcf.security.sctstore import SecurityContext

STEP = "secureConversation"
_SIGNATURE, _TIMESTAMP, _TO = ns.q(ns.DS, "Signature"), ns.q(ns.WSU, "Timestamp"), ns.q(ns.WSA10, "To")


def _signs_with(sig: signature.ParsedSignature, sct_el: etree._Element, sct: SecurityContext) -> bool:
    for clause in sig.clauses:
        if clause.kind == "local" and clause.value == sct_el.get(WSU_ID):
            return True
        if clause.kind == "sct" and clause.value == sct.context_id:
            return True
    return False


def verify(
    env: Envelope, sct_el: etree._Element, sct: SecurityContext, suite: str, v: trust.ScVersion
) -> None:
    """The SCT endorses: an HMAC signature keyed by the SCT's key over the Timestamp (and wsa:To)."""
    assert env.security is not None
    children = elements(env.security)
    sigs = [signature.parse(e, wss11=True) for e in children if e.tag == _SIGNATURE]
    mine = [sig for sig in sigs if _signs_with(sig, sct_el, sct)]
    if not mine:
        raise Rejection(
            codes.SupportingTokenIsNotEndorsing,
            f"The SecurityContextToken {sct.context_id} is not used to sign anything: the endorsing ds:Signature "
            'must reference it in ds:KeyInfo (wsse:Reference URI="#<its wsu:Id>").',
            step=STEP,
        )
    algorithms = suites.get(suite)  # SecurityAlgorithmSuite: the one table of what each suite accepts
    targets = {e.get(WSU_ID): e for e in children if e.get(WSU_ID)}
    if env.header is not None:
        targets.update({e.get(WSU_ID): e for e in elements(env.header) if e.get(WSU_ID)})
    signed: set[str] = set()
    for sig in mine:
        signed_info = signature.c14n(sig.signed_info, ns.EXC_C14N, sig.c14n_prefixes)
        # the SCT's own key (RequireDerivedKeys=false over transport): P_SHA1(client entropy, server entropy)
        derivedkeys.verify_hmac(
            algorithms, sig.method, sct.key, signed_info, sig.value, f"context {sct.context_id}"
        )
        for ref in sig.references:
            try:
                algorithms.ensure_digest(ref.digest_method)
            except Rejection as rej:
                raise rej.at(ref.element) from None
            target = targets.get(ref.target_id or "")
            if target is None:
                raise Rejection(
                    codes.UnableToResolveReferenceUriForSignature,
                    f"Cannot resolve the reference {ref.uri!r} of the endorsing signature to a security header "
                    "child or a SOAP header.",
                    step=STEP,
                )
            signature.check_digest(sig, ref, target)
            signed.add(target.tag)
    if _TIMESTAMP not in signed:
        raise Rejection(
            codes.SigningWithoutPrimarySignatureRequiresTimestamp,
            "Signing without primary signature requires timestamp: the SCT's endorsing signature must cover "
            "wsu:Timestamp.",
            step=STEP,
        )
    to = env.header.find(_TO) if env.header is not None else None
    if to is not None and _TO not in signed:
        raise Rejection(
            codes.UnsignedToHeaderInTransportSecuredMessage,
            "The message received over Transport security has unsigned 'To' header.",
            step=STEP,
        )
