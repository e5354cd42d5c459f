"""The XmlReader rules WCF's security readers rely on, applied to the one lxml tree.

WCF reads the security header with an XmlDictionaryReader, pulling elements in the order each reader
expects (ReadStartElement, IsStartElement, ReadEndElement). Three reader facts decide what it accepts:
- MoveToContent skips comments, processing instructions and white space, but stops at any other text, so
  non-white text between expected elements ends the element early and ReadEndElement fails (XmlException);
- ReadElementString / ReadContentAsString concatenate the text around comments and processing
  instructions, and fail on a child element;
- XML white space for these readers is space, tab, CR and LF only (XmlConverter.IsWhitespace).
`ReadError` stands for the XmlException; callers turn it into their step's rejection.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes
from mockwcf.faults import Rejection

XML_WHITE = " \t\r\n"
# The proxy class lxml gives every element of a tree parsed without a custom element class lookup (all of
# mockwcf's parsers). `type(node) is ELEMENT` answers "is this an element?" without building the node's
# Clark-name tag string, which `isinstance(node.tag, str)` does on every call (about 0.15 µs per node);
# callers fall back to that test for any other proxy class, so a custom lookup would still be read right.
ELEMENT = etree._Element


class ReadError(Exception):
    """What WCF's reader raises as an XmlException at this point of the element."""


class reading:  # noqa: N801 - used as `with xmlread.reading(...)`, like the function it replaced
    """Turn a ReadError into the rejection WCF's XmlException becomes inside the security header.

    A class, not a @contextmanager generator: it is entered several times per request (Timestamp,
    Signature, KeyInfo...), and a generator-based manager costs about 3 µs each against a few hundred ns."""

    __slots__ = ("step", "what", "element")

    def __init__(self, step: str, what: str, element: etree._Element | None = None) -> None:
        self.step, self.what, self.element = step, what, element

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, ReadError):
            raise _rejection(self.step, self.what, self.element, exc) from None


def _rejection(step: str, what: str, element: etree._Element | None, exc: ReadError) -> Rejection:
    return Rejection(codes.MessageSecurityVerificationFailed, f"{what}: {exc}", step=step, element=element)


def is_white(text: str | None) -> bool:
    return not text or not text.strip(XML_WHITE)


def children(parent: etree._Element) -> list[etree._Element]:
    """The element children as the reader meets them; non-white text among them is an XmlException."""
    text = parent.text
    if text and text.strip(XML_WHITE):
        raise _text_error(parent, text)
    if not len(parent):  # a leaf (DigestMethod, SignatureMethod ...): no proxies to make
        return []
    out = []
    for child in parent:
        if type(child) is ELEMENT or isinstance(child.tag, str):
            out.append(child)
        tail = child.tail
        if tail and tail.strip(XML_WHITE):
            raise _text_error(parent, tail)
    return out


def _text_error(parent: etree._Element, text: str) -> ReadError:
    name = etree.QName(parent).localname
    return ReadError(f"{name} holds text {text.strip()[:40]!r} where the reader expects elements.")


def security_children(parent: etree._Element, step: str) -> list[etree._Element]:
    """`children` inside the security header (or an encrypted Body): WCF's XmlException there fails security
    processing (MessageSecurityVerificationFailed), as `reading` says."""
    try:  # `reading`, with the element's name looked up only when it fails (encryption reads call this often)
        return children(parent)
    except ReadError as exc:
        raise _rejection(step, etree.QName(parent).localname, parent, exc) from None


def content(element: etree._Element) -> str:
    """ReadElementString / ReadContentAsString: the text, comments and PIs skipped, no trimming."""
    if not len(element):  # the usual leaf (DigestValue, Created, wsa:Action): its text is the content
        return element.text or ""
    parts = [element.text or ""]
    for child in element:
        if type(child) is ELEMENT or isinstance(child.tag, str):
            raise ReadError(
                f"{etree.QName(element).localname} holds element {etree.QName(child).localname}; the reader "
                "expects text only."
            )
        parts.append(child.tail or "")
    return "".join(parts)


_WHITE_TABLE = str.maketrans("", "", XML_WHITE)


def strip_white(text: str) -> str:
    """XML white space removed everywhere (what the base64 readers skip); str.translate, not a per-character
    loop: base64 values (SignatureValue, certificates) are long and read on every request."""
    if " " in text or "\n" in text or "\r" in text or "\t" in text:  # four C scans beat one translate
        return text.translate(_WHITE_TABLE)
    return text


def trim(text: str) -> str:
    """XmlUtil.Trim: XML white space off both ends."""
    return text.strip(XML_WHITE)


def expect_end(element: etree._Element) -> None:
    """ReadEndElement right after ReadStartElement: no child element, no non-white text. For leaves
    (SignatureMethod, DigestMethod, a wsse:Reference) this is all a Sequence would check, without making one."""
    text = element.text
    if text and text.strip(XML_WHITE):
        raise _text_error(element, text)
    if len(element):
        Sequence(element).end()


class Sequence:
    """Children read in a fixed order: take(tag) is ReadStartElement, take_if(tag) IsStartElement, end() ReadEndElement.

    The common paths are written out (take_if and end call nothing, the length is kept): a signed request
    makes about 20 takes and 8 ends."""

    __slots__ = ("parent", "items", "pos", "n")

    def __init__(self, parent: etree._Element) -> None:
        self.parent = parent
        self.items = children(parent)
        self.pos = 0
        self.n = len(self.items)

    def peek(self) -> etree._Element | None:
        return self.items[self.pos] if self.pos < self.n else None

    def take_if(self, tag: str) -> etree._Element | None:
        pos = self.pos
        if pos < self.n:
            el = self.items[pos]
            if el.tag == tag:
                self.pos = pos + 1
                return el
        return None

    def take(self, tag: str) -> etree._Element:
        el = self.take_if(tag)
        if el is not None:
            return el
        got = self.peek()
        where = etree.QName(self.parent).localname
        found = f"element {etree.QName(got).localname}" if got is not None else f"the end of {where}"
        raise ReadError(f"{where}: expected {etree.QName(tag).localname}, found {found}.")

    def end(self) -> None:
        if self.pos < self.n:
            el = self.items[self.pos]
            raise ReadError(
                f"{etree.QName(self.parent).localname}: unexpected element {etree.QName(el).localname} where the "
                "reader expects its end."
            )
