"""The request body's encoding, checked as WCF's text reader checks it before parsing.

RS System.Runtime.Serialization/System/Xml/EncodingStreamWrapper.cs ProcessBuffer (XmlUTF8TextReader.SetInput):
- the expected encoding comes from the Content-Type charset (MessageEncoder.GetEncodingFromContentType):
  utf-8, utf-16LE or utf-16BE; "utf-16" or no charset means "detect";
- the document's own encoding is read from its first bytes (ReadBOMEncoding): a UTF-16 byte-order mark, the
  `<` / `<\\0` / `\\0<` patterns, else UTF-8; an expected encoding that differs is an XmlException;
- a UTF-16 document without a mark needs `<?` at the start when nothing was expected (XmlDeclMissing);
- an XML declaration's encoding must name the document's encoding: "utf-8" for UTF-8 ("utf-16" is refused
  there), "utf-16", "utf-16le" or "utf-16be" as matching for UTF-16, compared case-insensitively; any other
  name (iso-8859-1, us-ascii, windows-1252) is a mismatch (CheckUTF8DeclarationEncoding);
- a UTF-16 document with nothing expected must carry a declaration (XmlDeclarationRequired);
- bytes that do not decode are XmlInvalidBytes.
Every failure is an XmlException while the message is read: HTTP 400, like any malformed body.
lxml would read Latin-1 or a mislabelled UTF-16 body without complaint, hence this check.
"""

from __future__ import annotations

import re

from mockwcf.faults import Rejection
from mockwcf.soapheaders import malformed

_EXPECTED = {"utf-8": "utf-8", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be"}
_DECL = re.compile(rb"<\?xml[^>]*?\sencoding\s*=\s*(['\"])(?P<enc>[^'\"]*)\1[^>]*\?>")


def _refuse(why: str) -> Rejection:
    return malformed(
        f"The request body cannot be read: {why} (WCF's EncodingStreamWrapper fails with an XmlException)."
    )


def _detect(head: bytes) -> tuple[str, int]:
    """ReadBOMEncoding: (Python codec, bytes of mark to skip)."""
    if head[0] == 0x3C and head[1] != 0:  # '<' then not NUL: UTF-8 without mark, the usual case
        return "utf-8", 0
    if head[:2] == b"\xff\xfe":
        return "utf-16-le", 2
    if head[:2] == b"\xfe\xff":
        return "utf-16-be", 2
    if head[:2] == b"\x00<":
        return "utf-16-be", 0
    if head[:1] == b"<" and head[1:2] == b"\x00":
        return "utf-16-le", 0
    if head[:3] == b"\xef\xbb\xbf":
        return "utf-8", 3
    return "utf-8", 0


def check(body: bytes, charset: str | None) -> bytes:
    """The body as UTF-8 bytes lxml reads the same way WCF's reader does; raises the 400 WCF answers."""
    if len(body) < 4:
        return body  # too short for any envelope: the parser reports it
    expected = _EXPECTED.get((charset or "").lower())  # None: utf-16 or no charset, detect
    found, mark = _detect(body[:4])
    if expected is not None and expected != found:
        raise _refuse(f"the charset says {charset} but the document is {found.upper()}")
    if found != "utf-8" and mark == 0 and expected is None:
        quest = "?".encode(found)
        if body[2:4] != quest:
            raise _refuse("a UTF-16 document without byte-order mark must start with an XML declaration")
    if found == "utf-8":  # the hot path: no decoding, lxml reads UTF-8 (and reports bad bytes) itself
        if body.startswith(b"<?xml", mark):
            _check_declaration(body[mark : mark + 1024], found, expected)
        return body[mark:] if mark else body
    try:
        text = body[mark:].decode(found)
    except UnicodeDecodeError:
        raise _refuse(f"the bytes are not valid {found.upper()}") from None
    decl = _check_declaration(text[:1024].encode("utf-8"), found, expected)
    if decl is not None:
        text = text[len(decl.decode("utf-8")) :]  # lxml would take a UTF-16 declaration literally
    return text.encode("utf-8")


_ALLOWED = {"utf-8": ("utf-8",), "utf-16-le": ("utf-16", "utf-16le"), "utf-16-be": ("utf-16", "utf-16be")}


def _check_declaration(head: bytes, found: str, expected: str | None) -> bytes | None:
    """CheckUTF8DeclarationEncoding on the document's first bytes (as UTF-8); returns the declaration."""
    decl = _DECL.match(head) if head.startswith(b"<?xml") else None
    if decl is not None:
        declared = decl.group("enc").decode("ascii", "replace").lower()
        if declared not in _ALLOWED[found]:
            raise _refuse(
                f"the XML declaration says encoding '{declared}' but the document is {found.upper()}"
            )
        return decl.group(0)
    if found != "utf-8" and expected is None:
        raise _refuse("a UTF-16 document needs an XML declaration when the Content-Type names no charset")
    return None
