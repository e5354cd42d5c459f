"""Tokens and key identifiers read the way WCF's serializer entries read them (issue 14).

Each test names the .NET member whose rule it checks (RS = microsoft/referencesource):
SM/Security/WSSecurityJan2004.cs UserNamePasswordTokenEntry and BinaryTokenEntry, SM/Security/
WSSecurityTokenSerializer.cs TokenEntry.CanReadTokenCore, IM/Tokens/WSSecurityJan2004.cs
SecurityTokenReferenceJan2004ClauseEntry, LocalReferenceStrEntry, KeyIdentifierStrEntry, X509IssuerSerialStrEntry,
IM/Tokens/XmlDsigSep2000.cs KeyInfoEntry.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from lxml import etree

from mockwcf import ns
from mockwcf.security import x509 as x509mod
from tests import wss
from tests.conftest import CERTS, SCENARIOS

HTTP_USERNAME = SCENARIOS / "username-over-http.yaml"
CERT_TWMC = SCENARIOS / "certificate-expired.yaml"  # TransportWithMessageCredential, Certificate, ChainTrust
SEED001 = SCENARIOS / "seed001-mutual-certificate.yaml"
KEY, CERT = CERTS / "client.key", CERTS / "client.pem"
WSSE = f'xmlns:wsse="{ns.WSSE}"'


def _ut(inner: str, attrs: str = "") -> str:
    return (
        f'<wsse:UsernameToken wsu:Id="UT-1" xmlns:wsu="{ns.WSU}" {WSSE}{attrs}>{inner}</wsse:UsernameToken>'
    )


def _user(name: str = "alice") -> str:
    return f"<wsse:Username>{name}</wsse:Username>"


def _pw(value: str = "p@ssw0rd", ptype: str | None = ns.PASSWORD_TEXT) -> str:
    t = f' Type="{ptype}"' if ptype is not None else ""
    return f"<wsse:Password{t}>{value}</wsse:Password>"


def _post_ut(server, token: str):
    return wss.post(server.url, wss.envelope(wss.security(wss.timestamp(), token)))


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "inner",
    [
        _pw() + _user(),  # any order
        _user("bob") + _pw() + _user("alice"),  # a later Username replaces the earlier one
        _user() + _pw("wrong") + _pw(),  # and a later Password
        _user() + _pw(ptype=""),  # an empty Type is PasswordText
        _user() + _pw(ptype=None),
        f'{_user()}<wsse:Nonce EncodingType="x">not even base64</wsse:Nonce>{_pw()}',  # Nonce skipped unread
        f"<wsse:Username>al<!-- c -->ice</wsse:Username>{_pw()}",  # ReadElementString skips comments
        f"\n  {_user()}\n  <!-- c -->\n  {_pw()}\n",
    ],
)
def test_usernamepasswordtokenentry_parsetoken_accepts(mockwcf_server, inner):
    """UserNamePasswordTokenEntry.ParseToken: children in any order, each read as it comes; the last wins."""
    wss.expect(mockwcf_server, _post_ut(mockwcf_server, _ut(inner)), None)


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "inner",
    [
        _pw(),  # OnRequiredElementMissing(Username)
        _user()
        + _pw()
        + f'<wsse11:Salt xmlns:wsse11="{ns.WSSE11}">AA==</wsse11:Salt>',  # OnUnexpectedChildNodeError
        _user() + _pw() + f'<wsse:Nonce xmlns:wsse="{ns.WSU}">x</wsse:Nonce>',  # Nonce in the wrong namespace
        _user() + "stray" + _pw(),  # text where IsStartElement expects an element
        f"<wsse:Username><b>alice</b></wsse:Username>{_pw()}",  # ReadElementString: no child elements
    ],
)
def test_usernamepasswordtokenentry_parsetoken_refuses(mockwcf_server, inner):
    """UserNamePasswordTokenEntry.ParseToken: an XmlException, reported as InvalidSecurity."""
    resp = _post_ut(mockwcf_server, _ut(inner))
    wss.expect(mockwcf_server, resp, "MessageSecurityVerificationFailed", wire=b"InvalidSecurity")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "inner",
    [_user(" alice ") + _pw(), _user() + _pw(" p@ssw0rd"), _user("\nalice\n") + _pw(), _user(" ") + _pw()],
)
def test_usernamepasswordtokenentry_strings_reach_the_validator_untrimmed(mockwcf_server, inner):
    """ParseToken uses ReadElementString (no trimming): ' alice ' is not 'alice', '   ' is not empty."""
    resp = _post_ut(mockwcf_server, _ut(inner))
    wss.expect(mockwcf_server, resp, "UserNameAuthenticationFailed", wire=b"FailedAuthentication")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_usernamepasswordtokenentry_password_type_is_checked_as_the_password_is_read(mockwcf_server):
    """ParsePassword throws UnsupportedPasswordType before the loop ends, even with Username missing."""
    _post_ut(mockwcf_server, _ut(_pw(ptype=ns.PASSWORD_TEXT.replace("Text", "Digest"))))
    mockwcf_server.assert_fault("UnsupportedPasswordType")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_tokenentry_canreadtokencore_usernametoken_with_a_valuetype_is_unreadable(mockwcf_server):
    """TokenEntry.CanReadTokenCore compares the ValueType attribute with the entry's (null for UsernameToken)."""
    _post_ut(mockwcf_server, _ut(_user() + _pw(), attrs=f' ValueType="{ns.PASSWORD_TEXT}"'))
    mockwcf_server.assert_fault("CannotReadToken")


# -- BinarySecurityToken ------------------------------------------------------------------------------


def _bst_request(**bst_kwargs) -> str:
    doc = wss.envelope(wss.security(wss.timestamp(), wss.bst(CERT, **bst_kwargs)))
    return wss.sign(doc, KEY, CERT, ["TS-1"], keyinfo="bst")


def _wrapped(text: str, width: int, sep: str) -> str:
    return sep.join(text[i : i + width] for i in range(0, len(text), width))


DER = wss.cert_der(CERT)


@pytest.mark.mockwcf_scenario(CERT_TWMC)
@pytest.mark.parametrize(
    "kwargs,code",
    [
        (
            {"encoding": "EMPTY"},
            "UnknownEncodingInBinarySecurityToken",
        ),  # "" is neither null nor Base64Binary
        (
            {"encoding": ns.BASE64_ENCODING.upper()},
            "UnknownEncodingInBinarySecurityToken",
        ),  # compared exactly
        ({"text": _wrapped(base64.b64encode(DER).decode(), 64, "\r\n\t ")}, None),  # XML white space skipped
        ({"text": base64.b64encode(DER).decode()[1:]}, "MessageSecurityVerificationFailed"),  # length % 4
        ({"text": base64.b64encode(DER).decode() + "!"}, "MessageSecurityVerificationFailed"),
        ({"encoding": ns.HEX_ENCODING, "text": DER.hex().upper()}, None),  # SoapHexBinary: either case
        ({"encoding": ns.HEX_ENCODING, "text": _wrapped(DER.hex(), 64, "\r\n ")}, None),  # FilterBin64
        (
            {"encoding": ns.HEX_ENCODING, "text": _wrapped(DER.hex(), 64, "\t")},
            "MessageSecurityVerificationFailed",
        ),
        ({"encoding": ns.HEX_ENCODING, "text": DER.hex()[:-1]}, "MessageSecurityVerificationFailed"),
        ({"value_type": None}, "CannotReadToken"),  # CanReadTokenCore: ValueType must equal #X509v3
        ({"value_type": ns.X509V3.lower()}, "CannotReadToken"),
    ],
)
def test_binarytokenentry_readtokencore_encodings(mockwcf_server, kwargs, code):
    """BinaryTokenEntry.ReadTokenCore: EncodingType null/Base64Binary/HexBinary, else UnknownEncoding..."""
    if kwargs.get("value_type", "") is None:
        body = _bst_request().replace(f'ValueType="{ns.X509V3}"', "", 1)
    elif kwargs.get("encoding") == "EMPTY":
        body = _bst_request().replace(f'EncodingType="{ns.BASE64_ENCODING}"', 'EncodingType=""', 1)
    else:
        body = _bst_request(**kwargs)
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, body), code)


# -- KeyInfo and SecurityTokenReference -------------------------------------------------------------


def _signed_with_keyinfo(keyinfo: str) -> str:
    """Seed 001's accepted request with its KeyInfo replaced (KeyInfo is outside SignedInfo)."""
    items = [wss.timestamp(), wss.bst(CERT), wss.username_token()]
    doc = wss.sign(wss.envelope(wss.security(*items)), KEY, CERT, ["TS-1", "Body-1", "UT-1"], keyinfo="none")
    root = etree.fromstring(doc.encode())
    sig = root.find(f".//{{{ns.DS}}}Signature")
    sig.append(etree.fromstring(f'<ds:KeyInfo xmlns:ds="{ns.DS}" {WSSE}>{keyinfo}</ds:KeyInfo>'))
    return etree.tostring(root).decode()


_cert = x509mod.certificate_from_der(DER)
SKI = x509mod.subject_key_identifier(_cert) or b""
REF = f'<wsse:Reference URI="#X509-1" ValueType="{ns.X509V3}"/>'


def _keyid(value: str, encoding: str | None = ns.BASE64_ENCODING, vt: str = ns.SKI_VALUE_TYPE) -> str:
    enc = f' EncodingType="{encoding}"' if encoding is not None else ""
    return f'<wsse:KeyIdentifier ValueType="{vt}"{enc}>{value}</wsse:KeyIdentifier>'


def _str(inner: str) -> str:
    return f"<wsse:SecurityTokenReference>{inner}</wsse:SecurityTokenReference>"


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize(
    "keyinfo,code",
    [
        (_str(REF), None),
        (_str('<wsse:Reference URI="#X509-1"/>'), None),  # ValueType optional
        (_str(_keyid(base64.b64encode(SKI).decode(), encoding=None)), None),  # no EncodingType: Base64Binary
        (_str(_keyid(SKI.hex(), encoding=ns.HEX_ENCODING)), None),
        (_str(_keyid("abc", encoding=ns.TEXT_ENCODING)), "UnableToResolveKeyInfoForVerifyingSignature"),
        (_str(_keyid("AAAA", encoding="urn:other")), "UnknownEncodingInKeyIdentifier"),
        (_str(_keyid("AAAA", encoding="")), "UnknownEncodingInKeyIdentifier"),
        (_str(_keyid("AAAA", vt=ns.SKI_VALUE_TYPE + "x")), "CannotReadKeyIdentifierClause"),
        # no '#': not LocalReferenceStrEntry's; SctStrEntry reads it as a security context id, which names nothing
        (_str('<wsse:Reference URI="X509-1"/>'), "UnableToResolveKeyInfoForVerifyingSignature"),
        (_str(f'<wsse:Reference URI="X509-1" ValueType="{ns.X509V3}"/>'), "CannotReadKeyIdentifierClause"),
        (_str("<wsse:Reference/>"), "CannotReadKeyIdentifierClause"),
        (_str(""), "CannotReadKeyIdentifierClause"),
        (_str(REF + REF), "MessageSecurityVerificationFailed"),  # one clause, then ReadEndElement
        (_str('<wsse:Reference URI="#X509-1"><x/></wsse:Reference>'), "MessageSecurityVerificationFailed"),
        ("", "MessageSecurityVerificationFailed"),  # KeyInfoEntry: no clause -> ErrorDeserializing...
        (
            f'<ds:KeyName xmlns:ds="{ns.DS}">client</ds:KeyName>',
            "UnableToResolveKeyInfoForVerifyingSignature",
        ),
        ('<foo:Bar xmlns:foo="urn:foo"/>', "CannotReadKeyIdentifierClause"),
        (f'<ds:X509Data xmlns:ds="{ns.DS}"><ds:Other/></ds:X509Data>', "MessageSecurityVerificationFailed"),
        (f'<ds:X509Data xmlns:ds="{ns.DS}"><ds:Other/></ds:X509Data>{_str(REF)}', None),  # X509Data skipped
    ],
)
def test_keyinfo_and_str_entries(mockwcf_server, keyinfo, code):
    """KeyInfoEntry, SecurityTokenReferenceJan2004ClauseEntry and its StrEntries decide what KeyInfo reads."""
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, _signed_with_keyinfo(keyinfo)), code)


def test_thumbprint_is_sha1_of_the_der(pki):
    """Guards the fixture the KeyInfo tests rely on: the test certificate has an SKI and a DER form."""
    assert SKI and hashlib.sha1(DER).digest() == x509mod.thumbprint(_cert)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", b""),
        ("QQ==", b"A"),
        ("QUI=", b"AB"),
        (" Q\tQ\r\n= = ", b"A"),  # XML white space anywhere is skipped
        ("QQ=", None),  # padding short
        ("QQ", None),  # padding missing
        ("Q===", None),  # three pads
        ("=QQ=", None),  # padding first
        ("QQ==QQ==", None),  # data after padding
        ("QQ==\u00a0", None),  # NBSP is not XML white space
        ("QQ-_", None),  # the URL-safe alphabet is not base64
    ],
)
def test_base64_content_is_strict(text: str, expected: bytes | None) -> None:
    """ReadContentAsBase64 (XmlDictionaryReader, Base64Encoding.GetBytes): XML white space skipped, then
    strict base64; a value it refuses is a ValueError here, whatever the decoder underneath."""
    if expected is None:
        with pytest.raises(ValueError):
            x509mod.decode_base64(text)
    else:
        assert x509mod.decode_base64(text) == expected
