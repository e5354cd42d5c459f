"""WCF's XmlDictionaryReaderQuotas, checked on the tree of the one parse.

Where WCF's reader meets each quota (RS System.Runtime.Serialization/System/Xml/XmlExceptionHelper.cs,
XmlBaseReader.cs, XmlUTF8TextReader.cs):
- MaxDepth: XmlBaseReader.EnterScope, when an element opens one level deeper than the quota (the
  Envelope is level 1) -> ThrowMaxDepthExceeded.
- MaxStringContentLength: reading an element's text or an attribute value as a string (comments do
  not split it: ReadContentAsString concatenates) -> ThrowMaxStringContentLengthExceeded.
- MaxBytesPerRead: XmlUTF8TextReader.ReadAttributes on a buffered reader, when the attributes of one
  start tag span more bytes than the quota -> ThrowMaxBytesPerReadExceeded.
- MaxNameTableCharCount: the reader's name table, when the distinct names it holds pass the quota ->
  ThrowMaxNameTableCharCountExceeded.
Each is an XmlException. Met in the envelope or a header, it is thrown while the encoder reads the message
(HTTP 400, no body); met in the Body, it is thrown when the operation formatter reads the parameters
(the DeserializationFailed fault, after security). `Violation.in_body` says which.

Cost: the depth check is one compiled XPath (libxml2 walks the levels in C). The other three can only
fire on a text, attribute run or set of names longer than a quota, and no text or start tag can contain
a raw '<'; so unless a stretch between two '<' is longer than the smallest quota (or the message has
CDATA or comments, which may hold '<' or split a text), the walk is skipped. A signed 4 KB request never
walks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lxml import etree

from mockwcf import codes
from mockwcf.limits import ReaderQuotas

_ADVICE = (
    "This quota may be increased by changing the {0} property on the XmlDictionaryReaderQuotas object used "
    "when creating the XML reader."
)
MESSAGES = {  # System.Runtime.Serialization resource strings, by name
    codes.XmlMaxDepthExceeded: "The maximum read depth ({0}) has been exceeded because XML data being read has "
    "more levels of nesting than is allowed by the quota. " + _ADVICE.format("MaxDepth"),
    codes.XmlMaxStringContentLengthExceeded: "The maximum string content length quota ({0}) has been exceeded "
    "while reading XML data. " + _ADVICE.format("MaxStringContentLength"),
    codes.XmlMaxBytesPerReadExceeded: "The 'maximum bytes per Read operation' quota ({0}) has been exceeded "
    "while reading XML data. Long element start tags (consisting of the element name, attribute names and "
    "attribute values) may trigger this quota. " + _ADVICE.format("MaxBytesPerRead"),
    codes.XmlMaxNameTableCharCountExceeded: "The maximum nametable character count quota ({0}) has been "
    "exceeded while reading XML data. The nametable is a data structure used to store strings encountered "
    "during XML processing - long XML documents with non-repeating element names, attribute names and "
    "attribute values may trigger this quota. " + _ADVICE.format("MaxNameTableCharCount"),
}


@dataclass(frozen=True)
class Violation:
    code: str  # the resource name, also the catalog code
    message: str
    in_body: bool


@cache
def _too_deep(max_depth: int, exists: bool = False) -> etree.XPath:
    path = "/" + "/".join(["*"] * (max_depth + 1))
    return etree.XPath(f"boolean({path})" if exists else path)


@cache
def _long_stretch(run: int) -> re.Pattern[bytes]:
    """A '<' followed by more than `run` bytes without another '<' (tried at each '<' only: linear)."""
    return re.compile(rb"<[^<]{%d}" % run)


def check(
    data: bytes, root: etree._Element, body: etree._Element, q: ReaderQuotas, markup: bool = True
) -> Violation | None:
    """The first quota this message breaks, in document order, or None. `markup`: the message has `<!`
    (a comment or CDATA), known to the caller from its own scan."""
    # each level opens with a '<': fewer cannot be too deep. boolean() spares lxml a node list, so the
    # usual answer (no) costs about 2.5 µs against 6; only a yes asks for the element, to name it. The count
    # (about 1.5 µs on 4 KB) only pays on small messages: past 32 bytes a level (a signed request) it is not made.
    size = len(data)
    if (size > 32 * q.max_depth or data.count(b"<") > q.max_depth) and _too_deep(q.max_depth, True)(root):
        deep = _too_deep(q.max_depth)(root)
        return _violation(codes.XmlMaxDepthExceeded, q.max_depth, deep[0], body)
    if size <= q.smallest_text_quota and size <= q.max_name_table_char_count:
        return None
    if size > q.max_name_table_char_count or markup or _long_stretch_in(data, q.smallest_text_quota):
        return _walk(root, body, q)
    return None


def _long_stretch_in(data: bytes, run: int) -> bool:
    """`_long_stretch(run).search(data)`, found with memchr instead of a regex step per byte (about 7 µs on an
    8 KB symmetric request, 1.5 on a 4 KB signed one). Any `run` bytes in a row hold exactly one multiple of
    `run`, so the stretch, if there is one, covers one of the positions run, 2 run, ...: at each, look for the
    '<' before and after it. Exact, not a pre-check; the regex stays for a quota so small the positions are many."""
    size = len(data)
    if run < 1 or size // run > 64:
        return _long_stretch(run).search(data) is not None
    for pos in range(run, size, run):
        if data[pos] == 0x3C:  # '<' itself
            continue
        before = data.rfind(b"<", 0, pos)
        if before < 0:
            continue  # text before the first '<' is not after a '<'
        after = data.find(b"<", pos)
        if (size if after < 0 else after) - before - 1 >= run:
            return True
    return False


def _walk(root: etree._Element, body: etree._Element, q: ReaderQuotas) -> Violation | None:
    names: set[str] = set()
    name_chars = 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        span = 0
        for key, value in el.attrib.items():
            span += len(key) + len(value) + 4
            if len(value) > q.max_string_content_length:
                return _violation(
                    codes.XmlMaxStringContentLengthExceeded, q.max_string_content_length, el, body
                )
        parent = el.getparent()
        inherited = parent.nsmap if parent is not None else {}
        for prefix, uri in el.nsmap.items():
            if inherited.get(prefix) != uri:
                span += len(prefix or "") + len(uri) + 10
        if span > q.max_bytes_per_read:
            return _violation(codes.XmlMaxBytesPerReadExceeded, q.max_bytes_per_read, el, body)
        text = len(el.text or "") + sum(len(c.tail or "") for c in el if not isinstance(c.tag, str))
        if text > q.max_string_content_length:
            return _violation(codes.XmlMaxStringContentLengthExceeded, q.max_string_content_length, el, body)
        for name in (el.tag, *el.attrib.keys()):
            if name not in names:
                names.add(name)
                name_chars += len(name)
        if name_chars > q.max_name_table_char_count:
            return _violation(codes.XmlMaxNameTableCharCountExceeded, q.max_name_table_char_count, el, body)
    return None


def _violation(code: str, quota: int, el: etree._Element, body: etree._Element) -> Violation:
    in_body = el is body or any(a is body for a in el.iterancestors())
    line = el.sourceline
    where = f" Line {line}." if line else ""
    return Violation(code, MESSAGES[code].format(quota) + where, in_body)
