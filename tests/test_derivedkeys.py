"""wsc:DerivedKeyToken, P_SHA1 and HMAC signatures (issue 12, part 2 item 3). P_SHA1 is checked against
OpenSSL's TLS1-PRF with SHA-1 (a second implementation); HMAC signatures are made by python-xmlsec; the
symmetric flow (EncryptedKey, two derived keys, encrypted Body, HMAC signature) is built by libxmlsec1 and
OpenSSL and opened by mockwcf. Every failure is a crafted DerivedKeyToken with WCF's code."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
import xmlsec
from lxml import etree

from mockwcf import ns
from mockwcf.canonical import c14n
from mockwcf.faults import Rejection
from mockwcf.security import derivedkeys as dk
from mockwcf.security import encrypteddata as xed
from mockwcf.security import keywrap, suites
from tests import xenc
from tests.test_encryption import SERVICE, SERVICE_PEM, parts, request, wire

B256 = suites.get("Basic256")
NONCE = bytes(range(16))
TS_BODY = ["TS-1", "Body-1"]


def dkt(
    *children: str,
    sc: str = ns.WSC,
    ref: str = '<wsse:Reference URI="#EK-1"/>',
    id: str = "DK-1",
    algorithm: str | None = None,
) -> etree._Element:
    alg = f' Algorithm="{algorithm}"' if algorithm else ""
    return etree.fromstring(
        f'<c:DerivedKeyToken xmlns:c="{sc}" xmlns:wsu="{ns.WSU}" xmlns:wsse="{ns.WSSE}" wsu:Id="{id}"{alg}>'
        + (f"<wsse:SecurityTokenReference>{ref}</wsse:SecurityTokenReference>" if ref is not None else "")
        + "".join(children)
        + "</c:DerivedKeyToken>"
    )


def fixed(n: int, tag: int) -> bytes:
    """Deterministic test bytes (parameter ids must be equal on every xdist worker)."""
    return (hashlib.sha256(bytes([tag])).digest() * (n // 32 + 1))[:n]


def nonce(value: bytes = NONCE) -> str:
    return f"<c:Nonce>{base64.b64encode(value).decode()}</c:Nonce>"


def code_of(fn, *args, **kw) -> str:
    with pytest.raises(Rejection) as info:
        fn(*args, **kw)
    return info.value.code


@pytest.mark.parametrize(
    "secret,label,seed,length,offset",
    [
        (bytes(32), dk.DEFAULT_LABEL, NONCE, 32, 0),
        (fixed(32, 1), dk.DEFAULT_LABEL, fixed(16, 2), 24, 0),
        (fixed(16, 3), b"custom label", fixed(32, 4), 16, 16),
        (fixed(32, 5), b"", fixed(16, 6), 64, 40),  # spans four HMAC blocks
        (fixed(24, 7), dk.DEFAULT_LABEL, b"", 20, 1),
    ],
)
def test_p_sha1_agrees_with_openssl_tls1_prf_sha1(secret, label, seed, length, offset):
    expected = xenc.openssl_p_sha1(secret, label + seed, offset + length)[offset:]
    assert dk.p_sha1(secret, label, seed, length, offset) == expected


def test_p_sha1_agrees_with_apache_wss4j_vectors():
    """tests/data/psha1_wss4j.json: outputs of WSS4J 1.6's P_SHA1 (a Java implementation) for RST and DKT seeds."""
    import json
    from pathlib import Path

    vectors = json.loads((Path(__file__).parent / "data" / "psha1_wss4j.json").read_text())
    assert vectors
    for v in vectors:
        secret, seed = bytes.fromhex(v["secret"]), bytes.fromhex(v["seed"])
        assert dk.p_sha1(secret, b"", seed, v["length"], v["offset"]).hex() == v["key"], v["name"]


def test_wcf_request_shape_derives_with_the_default_label_at_offset_zero():
    """What a WCF client sends for the signature key: Offset 0, Length 24, no Label, a 16-byte Nonce."""
    token = dk.read(dkt("<c:Offset>0</c:Offset>", "<c:Length>24</c:Length>", nonce()), ns.WSC)
    assert (token.offset, token.generation, token.length, token.label, token.nonce) == (
        0,
        -1,
        24,
        None,
        NONCE,
    )
    assert token.clause.kind == "local" and token.clause.value == "EK-1"
    secret = os.urandom(32)
    key = dk.DerivationBudget(B256).derive(token, secret, "EncryptedKey")
    assert dk.DEFAULT_LABEL == b"WS-SecureConversation" * 2
    assert key == xenc.openssl_p_sha1(secret, b"WS-SecureConversationWS-SecureConversation" + NONCE, 24)


def test_ws_sx_13_generation_label_and_defaults():
    token = dk.read(
        dkt(
            "<c:Generation>1</c:Generation>",
            "<c:Length>16</c:Length>",
            "<c:Label>L</c:Label>",
            nonce(),
            sc=ns.WSC13,
        ),
        ns.WSC13,
    )
    assert token.algorithm == ns.PSHA1_13 and token.position == 16
    secret = os.urandom(32)
    key = dk.DerivationBudget(B256).derive(token, secret, "EncryptedKey")
    assert key == xenc.openssl_p_sha1(secret, b"L" + NONCE, 32)[16:]
    bare = dk.read(dkt(nonce()), ns.WSC)
    assert (bare.offset, bare.length, bare.algorithm) == (0, 32, ns.PSHA1_2005)  # neither given: offset 0


@pytest.mark.parametrize(
    "children,code",
    [
        (("<c:Generation>-1</c:Generation>", nonce()), "DerivedKeyInvalidGenerationSpecified"),
        (("<c:Offset>-2</c:Offset>", nonce()), "DerivedKeyInvalidOffsetSpecified"),
        (("<c:Offset>65</c:Offset>", nonce()), "DerivedKeyTokenOffsetTooHigh"),
        (
            ("<c:Generation>3</c:Generation>", "<c:Length>32</c:Length>", nonce()),
            "DerivedKeyTokenGenerationAndLengthTooHigh",
        ),
        # 2^30 x 4 wraps to 0 in C#'s unchecked int: WCF's overflow guard catches it
        (
            ("<c:Generation>1073741824</c:Generation>", "<c:Length>4</c:Length>", nonce()),
            "DerivedKeyTokenGenerationAndLengthTooHigh",
        ),
        (("<c:Label>" + "x" * 129 + "</c:Label>", nonce()), "DerivedKeyTokenLabelTooLong"),
        ((nonce(fixed(129, 8)),), "DerivedKeyTokenNonceTooLong"),
        (("<c:Length>24</c:Length>",), "MessageSecurityVerificationFailed"),  # WCF requires the Nonce
        (("<c:Properties/>", nonce()), "MessageSecurityVerificationFailed"),
        (("<c:Length>24</c:Length>", "<c:Offset>0</c:Offset>", nonce()), "MessageSecurityVerificationFailed"),
        (("<c:Length>twenty</c:Length>", nonce()), "MessageSecurityVerificationFailed"),
        (("<c:Length>4294967296</c:Length>", nonce()), "MessageSecurityVerificationFailed"),
        ((nonce(), "<c:Label>late</c:Label>"), "MessageSecurityVerificationFailed"),
        (("<c:Nonce>not base64!</c:Nonce>",), "MessageSecurityVerificationFailed"),
    ],
)
def test_reader_failures(children, code):
    assert code_of(dk.read, dkt(*children), ns.WSC) == code


def test_the_label_limit_counts_utf16_units_and_boundaries_pass():
    dk.read(
        dkt("<c:Offset>64</c:Offset>", "<c:Label>" + "x" * 128 + "</c:Label>", nonce(os.urandom(128))), ns.WSC
    )
    dk.read(dkt("<c:Generation>2</c:Generation>", "<c:Length>32</c:Length>", nonce()), ns.WSC)
    assert code_of(dk.read, dkt("<c:Label>" + "\U0001f600" * 65 + "</c:Label>", nonce()), ns.WSC) == (
        "DerivedKeyTokenLabelTooLong"  # 65 characters, 130 UTF-16 units
    )


def test_structure_and_namespace():
    assert code_of(dk.read, dkt(nonce(), ref=None), ns.WSC) == "DerivedKeyTokenRequiresTokenReference"
    assert code_of(dk.read, dkt(nonce(), sc=ns.WSC13), ns.WSC) == "CannotReadToken"
    token = dk.read(
        dkt(
            nonce(), ref=f'<wsse:KeyIdentifier ValueType="{ns.ENCRYPTED_KEY_SHA1}">AAAA</wsse:KeyIdentifier>'
        ),
        ns.WSC,
    )
    assert token.clause.kind == "encrypted_key_sha1"


def test_derivation_failures_in_wcf_order():
    budget = dk.DerivationBudget(B256)
    both = dk.read(dkt("<c:Generation>0</c:Generation>", "<c:Offset>0</c:Offset>", nonce()), ns.WSC)
    assert code_of(budget.derive, both, os.urandom(32), "ek") == "DerivedKeyPosAndGenBothSpecified"
    plain = dk.read(dkt(nonce()), ns.WSC)
    assert code_of(budget.derive, plain, None, "an X.509 token") == "DerivedKeyCannotDeriveFromSecret"
    other = dk.read(dkt(nonce(), algorithm="urn:other-kdf"), ns.WSC)
    assert code_of(budget.derive, other, os.urandom(32), "ek") == "DerivedKeyCannotDeriveFromSecret"
    zero = dk.read(dkt("<c:Length>0</c:Length>", nonce()), ns.WSC)
    assert code_of(budget.derive, zero, os.urandom(32), "ek") == "DerivedKeyCannotDeriveFromSecret"
    too_long = dk.read(dkt("<c:Length>48</c:Length>", nonce()), ns.WSC)
    assert code_of(budget.derive, too_long, os.urandom(32), "ek") == "DerivedKeyLengthTooLong"
    b128 = dk.DerivationBudget(suites.get("Basic128"))
    assert b128.max_length == 16
    assert code_of(
        b128.derive, dk.read(dkt("<c:Length>24</c:Length>", nonce()), ns.WSC), os.urandom(16), "ek"
    ) == ("DerivedKeyLengthTooLong")
    limited = dk.DerivationBudget(B256)
    assert limited.max_keys == 4 and dk.DerivationBudget(B256, endorsing_requiring_derivation=1).max_keys == 6
    for _ in range(4):
        limited.derive(plain, os.urandom(32), "ek")
    assert code_of(limited.derive, plain, os.urandom(32), "ek") == "DerivedKeyLimitExceeded"
    rejection = dk.unresolved(plain)
    assert rejection.code == "UnableToResolveKeyInfoClauseInDerivedKeyToken" and "#EK-1" in rejection.message


def _signed_info(root: etree._Element) -> tuple[bytes, bytes, str]:
    sig = root.find(f".//{{{ns.DS}}}Signature")
    si = sig.find(f"{{{ns.DS}}}SignedInfo")
    method = si.find(f"{{{ns.DS}}}SignatureMethod").get("Algorithm")
    value = base64.b64decode(sig.find(f"{{{ns.DS}}}SignatureValue").text)
    return c14n(si), value, method


def test_hmac_signatures_by_xmlsec_verify_and_the_suite_checks():
    key = os.urandom(24)
    root = request()
    xenc.hmac_sign(root, key, TS_BODY)
    si, value, method = _signed_info(wire(root))
    assert method == ns.HMAC_SHA1
    dk.verify_hmac(B256, method, key, si, value, "derived key", source_key_bits=256)
    assert code_of(dk.verify_hmac, B256, method, key, si, value[:-1] + bytes([value[-1] ^ 1]), "dk", 256) == (
        "SignatureVerificationFailed"
    )
    # a 128-bit derived signature key is below Basic256's 192; a 128-bit base key is not a Basic256 key
    assert (
        code_of(dk.verify_hmac, B256, method, key[:16], si, value, "dk", 256)
        == "TokenDoesNotMeetKeySizeRequirements"
    )
    assert (
        code_of(dk.verify_hmac, B256, method, key, si, value, "dk", 128)
        == "TokenDoesNotMeetKeySizeRequirements"
    )
    with pytest.raises(Rejection) as info:
        dk.verify_hmac(suites.get("Basic256Sha256"), method, key, si, value, "dk", 256)
    assert info.value.code == "SuiteDoesNotAcceptAlgorithm" and "'SymmetricSignature'" in info.value.message
    root = request()
    xenc.hmac_sign(root, key, TS_BODY, None, xmlsec.Transform.HMAC_SHA256, xmlsec.Transform.SHA256)
    si, value, method = _signed_info(wire(root))
    dk.verify_hmac(suites.get("Basic256Sha256"), method, key, si, value, "dk", 256)
    assert dk.hmac_signature(key, si, method) == value


def test_base_key_signature_where_derivation_is_required():
    dk.ensure_derived(True, True, "X509SecurityTokenParameters, RequireDerivedKeys=True")
    dk.ensure_derived(None, None, "x")
    assert code_of(dk.ensure_derived, False, True, "x") == "PrimarySignatureWasNotSignedByDerivedWrappedKey"
    assert code_of(dk.ensure_derived, True, False, "x") == "MessageWasNotEncryptedByDerivedWrappedKey"


def test_symmetric_username_flow_built_by_xmlsec_and_openssl():
    """wsHttpBinding Message UserName as a WCF client sends it: EncryptedKey for the service certificate,
    two DerivedKeyTokens (signature 24 bytes, encryption 32 bytes), the Body encrypted with the second and
    signed (HMAC-SHA1) with the first. libxmlsec1 wraps, encrypts and signs; OpenSSL derives."""
    ek_key = os.urandom(32)
    n_sig, n_enc = os.urandom(16), os.urandom(16)
    k_sig = xenc.openssl_p_sha1(ek_key, dk.DEFAULT_LABEL + n_sig, 24)
    k_enc = xenc.openssl_p_sha1(ek_key, dk.DEFAULT_LABEL + n_enc, 32)
    root = request()
    sec, body = parts(root)
    xenc.hmac_sign(root, k_sig, TS_BODY)
    _, ek = xenc.encrypt(parts(request())[1], ek_key, wrap_cert=SERVICE_PEM)  # libxmlsec1 wraps ek_key
    xenc.place_encrypted_key(sec, ek, SERVICE_PEM)
    sec.insert(1, dkt("<c:Offset>0</c:Offset>", "<c:Length>24</c:Length>", nonce(n_sig), id="DK-S"))
    sec.insert(2, dkt(nonce(n_enc), id="DK-E"))
    ed, _ = xenc.encrypt(body, k_enc, ed_id="ED-B")
    xenc.add_key_info(ed, xenc.str_reference("#DK-E"))
    sec.insert(3, xenc.reference_list("ED-B"))
    root = wire(root)
    sec, body = parts(root)
    # mockwcf, in header order
    wk = keywrap.unwrap(sec[0], SERVICE, B256, wss11=True)
    assert wk.key == ek_key
    budget = dk.DerivationBudget(B256)
    derived = []
    for el in sec[1:3]:
        token = dk.read(el, ns.WSC)
        assert wk.matches(token.clause)
        derived.append(budget.derived_key(token, wk.key, wk.label()))
    refs = xed.read_reference_list(sec[3])
    element = xed.body_encrypted_data(body)
    assert refs.take(element.get("Id"))
    ed, plain, token = xed.open_item(element, [wk, *derived], None, B256, wss11=True)
    assert token is derived[1]
    xed.replace_content(ed, plain)
    refs.ensure_complete()
    si, value, method = _signed_info(root)
    dk.verify_hmac(B256, method, derived[0].key, si, value, derived[0].label(), derived[0].source_key_bits)
    assert body.find("{http://tempuri.org/}Echo/{http://tempuri.org/}text").text == "hi & bye"
    # sign-then-encrypt: the Body restored in place digests to what libxmlsec1 signed before encrypting
    ref = root.find(f'.//{{{ns.DS}}}Reference[@URI="#Body-1"]')
    digest = base64.b64decode(ref.find(f"{{{ns.DS}}}DigestValue").text)
    assert hashlib.sha1(c14n(body)).digest() == digest
