"""Reading ds:KeyInfo into key identifier clauses, with the element rules of WCF's serializers.

RS IM/Tokens/XmlDsigSep2000.cs KeyInfoEntry.ReadKeyIdentifierCore: each child of KeyInfo is read by the first
clause entry that can (an element none can read is an XmlException, CannotReadKeyIdentifierClause); a clause
entry may return nothing (an X509Data with nothing it knows is skipped); no clause at all, an empty KeyInfo
included, is an XmlException (ErrorDeserializingKeyIdentifierClause).
RS IM/Tokens/WSSecurityJan2004.cs SecurityTokenReferenceJan2004ClauseEntry: a SecurityTokenReference holds
exactly one clause, then its end. LocalReferenceStrEntry reads a wsse:Reference whose URI starts with '#';
WsKeyInfoSerializer.SctStrEntry one whose URI does not, if its ValueType is absent or the SCT's (a security
context id); any other Reference is unreadable. KeyIdentifierStrEntry picks the entry by exact ValueType and decodes by EncodingType: none means
Base64Binary, HexBinary and Text are read, anything else is UnknownEncodingInKeyIdentifier.
X509IssuerSerialStrEntry reads X509Data/X509IssuerSerial/(X509IssuerName, X509SerialNumber) strictly in order.
XmlDsigSep2000.X509CertificateClauseEntry (X509Data directly under KeyInfo) takes the first X509Certificate,
X509SKI or X509IssuerSerial and skips the rest.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes, ns, xmlread
from mockwcf.faults import Rejection
from mockwcf.security import x509 as x509mod
from mockwcf.security.keyinfo import Clause

STEP = "keyinfo"
_STR = ns.q(ns.WSSE, "SecurityTokenReference")
_REF = ns.q(ns.WSSE, "Reference")
_KEYID = ns.q(ns.WSSE, "KeyIdentifier")
_X509DATA = ns.q(ns.DS, "X509Data")
_ISSUER_SERIAL = ns.q(ns.DS, "X509IssuerSerial")
_ISSUER_NAME = ns.q(ns.DS, "X509IssuerName")
_SERIAL = ns.q(ns.DS, "X509SerialNumber")
_X509CERT = ns.q(ns.DS, "X509Certificate")
_X509SKI = ns.q(ns.DS, "X509SKI")
_DSIG_READABLE = {ns.q(ns.DS, "KeyName"), ns.q(ns.DS, "KeyValue")}  # KeyNameClauseEntry, KeyValueClauseEntry


def read(keyinfo: etree._Element | None, wss11: bool) -> list[Clause]:
    """Parse KeyInfo while the Signature is read (errors here beat every later check). No KeyInfo: []."""
    if keyinfo is None:
        return []
    with xmlread.reading(STEP, "ds:KeyInfo cannot be read", keyinfo):
        only = only_child(keyinfo)
        if (
            only is not None and only.tag == _STR
        ):  # the usual KeyInfo: one STR, read without a children() list
            return [_read_str(only, wss11)]
        clauses: list[Clause] = []
        for child in xmlread.children(keyinfo):
            if child.tag == _STR:
                clauses.append(_read_str(child, wss11))
            elif child.tag == _X509DATA:
                clauses.extend(_read_x509data(child))
            elif child.tag in _DSIG_READABLE:
                clauses.append(
                    Clause("other", None, shape=f"ds:{etree.QName(child).localname} under ds:KeyInfo")
                )
            else:
                qn = etree.QName(child)
                raise Rejection(
                    codes.CannotReadKeyIdentifierClause,
                    f"Cannot read KeyIdentifierClause from element '{qn.localname}' with namespace "
                    f"'{qn.namespace}': no clause entry of this binding's serializer reads it.",
                    step=STEP,
                )
        if not clauses:
            raise xmlread.ReadError(
                "ds:KeyInfo yields no key identifier clause (ErrorDeserializingKeyIdentifierClause)"
            )
    return clauses


def read_str(str_el: etree._Element, wss11: bool) -> Clause:
    """One wsse:SecurityTokenReference on its own (a DerivedKeyToken's)."""
    with xmlread.reading(STEP, "wsse:SecurityTokenReference cannot be read", str_el):
        return _read_str(str_el, wss11)


def only_child(parent: etree._Element) -> etree._Element | None:
    """The one child element when `parent` holds exactly that and white space (the usual STR and KeyInfo): what
    the reader's children() would list, without making the list. None for any other content, which the
    general path reads (and refuses where the reader does)."""
    if len(parent) != 1 or not xmlread.is_white(parent.text):
        return None
    child = parent[0]
    if type(child) is not xmlread.ELEMENT and not isinstance(child.tag, str):
        return None
    return child if xmlread.is_white(child.tail) else None


def _read_str(str_el: etree._Element, wss11: bool) -> Clause:
    """SecurityTokenReferenceJan2004ClauseEntry: exactly one clause, then the end of the STR."""
    child = only_child(str_el)
    seq = None
    if child is None:  # anything but one element child: read as the reader does, then refuse what follows
        seq = xmlread.Sequence(str_el)
        child = seq.peek()
    if child is not None and child.tag == _REF and (child.get("URI") or "").startswith("#"):
        clause = _read_reference(child)
    elif child is not None and child.tag == _REF and _sct_reference(child):
        uri, vt = child.get("URI", ""), child.get("ValueType")
        clause = Clause("sct", uri, vt, shape=f"wsse:Reference URI='{uri}' (SCT context id)")
    elif child is not None and child.tag == _KEYID:
        clause = _read_key_identifier(child, wss11)
    elif child is not None and child.tag == _X509DATA:
        clause = _read_str_issuer_serial(child)
    else:
        what = "nothing" if child is None else etree.QName(child).localname
        if child is not None and child.tag == _REF:
            what = f"wsse:Reference URI={child.get('URI')!r} (only a URI starting with '#' is read)"
        raise Rejection(
            codes.CannotReadKeyIdentifierClause,
            f"wsse:SecurityTokenReference holds {what}, which no STR entry of WCF's serializer reads.",
            step=STEP,
            hint='Reference the BinarySecurityToken with <wsse:Reference URI="#its-wsu-Id"/>.',
        )
    if seq is not None:
        seq.pos += 1
        seq.end()  # SecurityTokenReferenceJan2004ClauseEntry: ReadEndElement right after the one clause
    return clause


def _sct_reference(ref: etree._Element) -> bool:
    """WsKeyInfoSerializer.SctStrEntry.CanReadClause: a URI that does not start with '#' and no ValueType or
    the SCT reference ValueType (RS SM/Security/WsKeyInfoSerializer.cs): a security context id."""
    uri, vt = ref.get("URI"), ref.get("ValueType")
    return bool(uri) and not uri.startswith("#") and (vt is None or vt.endswith("/sct"))


def _read_reference(ref: etree._Element) -> Clause:
    """LocalReferenceStrEntry.ReadClause: the id after '#', an optional ValueType, no content."""
    xmlread.expect_end(ref)
    uri = ref.get("URI", "")
    return Clause("local", uri[1:], ref.get("ValueType"), shape=f"wsse:Reference URI='{uri}'")


def _read_key_identifier(child: etree._Element, wss11: bool) -> Clause:
    vt = child.get("ValueType")
    if vt == ns.THUMBPRINT_VALUE_TYPE and not wss11:
        raise Rejection(
            codes.CannotReadKeyIdentifierClause,
            "KeyIdentifier ValueType ThumbprintSHA1 is a WS-Security 1.1 clause; this WSS 1.0 binding cannot read it.",
            step=STEP,
            hint="On a WSS 1.0 binding reference the certificate's BinarySecurityToken with "
            'wsse:Reference URI="#id" (or use an X509SubjectKeyIdentifier).',
        )
    if vt == ns.ENCRYPTED_KEY_SHA1 and wss11:  # RS IM/Tokens/WSSecurityXXX2005.cs EncryptedKeyHashStrEntry
        raw = _decode(xmlread.content(child), child.get("EncodingType"))
        return Clause("encrypted_key_sha1", raw, vt, shape=f"KeyIdentifier EncryptedKeySHA1 {raw.hex()}")
    if vt not in (ns.SKI_VALUE_TYPE, ns.THUMBPRINT_VALUE_TYPE):
        raise Rejection(
            codes.CannotReadKeyIdentifierClause,
            f"KeyIdentifier ValueType {vt!r} is not one WCF reads (the entry is chosen by exact ValueType).",
            step=STEP,
        )
    raw = _decode(xmlread.content(child), child.get("EncodingType"))
    if vt == ns.SKI_VALUE_TYPE:
        return Clause("ski", raw, vt, shape=f"KeyIdentifier X509SubjectKeyIdentifier {raw.hex()}")
    return Clause("thumbprint", raw, vt, shape=f"KeyIdentifier ThumbprintSHA1 {raw.hex()}")


def _decode(text: str, encoding: str | None) -> bytes:
    """KeyIdentifierStrEntry.ReadClause: EncodingType picks the decoder; none means Base64Binary."""
    try:
        if encoding is None or encoding == ns.BASE64_ENCODING:
            return x509mod.decode_base64(text)
        if encoding == ns.HEX_ENCODING:
            return x509mod.decode_hex(text)
    except ValueError as exc:
        raise xmlread.ReadError(
            f"KeyIdentifier value {text.strip()[:40]!r} does not decode ({exc})"
        ) from None
    if encoding == ns.TEXT_ENCODING:
        return text.encode("utf-8")
    raise Rejection(
        codes.UnknownEncodingInKeyIdentifier,
        f"KeyIdentifier EncodingType {encoding!r} is not Base64Binary, HexBinary or Text.",
        step=STEP,
    )


def _read_str_issuer_serial(x509data: etree._Element) -> Clause:
    """X509IssuerSerialStrEntry.ReadClause: ReadStartElement for each level, ReadEndElement right after."""
    outer = xmlread.Sequence(x509data)
    first = outer.peek()
    if first is None or first.tag != _ISSUER_SERIAL:
        raise Rejection(
            codes.CannotReadKeyIdentifierClause,
            "Inside wsse:SecurityTokenReference, ds:X509Data must hold ds:X509IssuerSerial.",
            step=STEP,
        )
    outer.pos += 1
    if outer.peek() is not None:
        extra = ", ".join(etree.QName(k).localname for k in outer.items[1:])
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The STR's ds:X509Data holds X509IssuerSerial followed by {extra}; WCF's reader expects "
            "</X509Data> right after X509IssuerSerial and fails with an XmlException (this is the shape "
            "zeep's Signature plugin sends). Even without the extra element an IssuerSerial reference "
            "resolves only to a certificate sent in a BinarySecurityToken.",
            step=STEP,
            hint="Send the certificate in a wsse:BinarySecurityToken before the Signature and reference it "
            'with wsse:Reference URI="#id" (zeep: BinarySignature).',
        )
    return _issuer_serial(first)


def _issuer_serial(element: etree._Element) -> Clause:
    seq = xmlread.Sequence(element)
    issuer = xmlread.content(seq.take(_ISSUER_NAME))
    number = xmlread.content(seq.take(_SERIAL))
    seq.end()
    return Clause(
        "issuer_serial", (issuer, number), shape=f"X509IssuerSerial(Issuer = '{issuer}', Serial = '{number}')"
    )


def _read_x509data(x509data: etree._Element) -> list[Clause]:
    """X509CertificateClauseEntry: the first X509Certificate, X509SKI or X509IssuerSerial; the rest skipped."""
    for k in xmlread.children(x509data):
        if k.tag == _X509CERT:
            try:
                cert = x509mod.certificate_from_der(x509mod.decode_base64(xmlread.content(k)))
            except ValueError:
                raise Rejection(
                    codes.InvalidX509RawData, "ds:X509Certificate is not a certificate.", step=STEP
                ) from None
            return [Clause("raw", cert, shape="ds:X509Certificate (raw certificate data)")]
        if k.tag == _X509SKI:
            try:
                raw = x509mod.decode_base64(xmlread.content(k))
            except ValueError as exc:
                raise xmlread.ReadError(f"ds:X509SKI does not decode ({exc})") from None
            return [Clause("ski", raw, shape=f"ds:X509SKI {raw.hex()}")]
        if k.tag == _ISSUER_SERIAL:
            return [_issuer_serial(k)]
    return []
