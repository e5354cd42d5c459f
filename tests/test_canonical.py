"""canonical.c14n_text and c14n_attr against the escaping exclusive c14n defines (and lxml writes)."""

from __future__ import annotations

import itertools
from xml.sax.saxutils import escape

from lxml import etree

from mockwcf import canonical

# every character c14n escapes in text or attributes, and some it does not
_ALPHABET = "a&<>\r\n\t\"' é\x85"


def _strings():
    for n in range(4):
        yield from ("".join(p) for p in itertools.product(_ALPHABET, repeat=n))


def test_c14n_text_escapes_exactly_what_escape_does():
    """The shortcut (no '&', '<', '>' or CR: the value as it is) gives escape()'s text for every string."""
    for s in _strings():
        assert canonical.c14n_text(s) == escape(s, {"\r": "&#xD;"}), repr(s)


def test_c14n_text_and_attr_are_what_lxml_canonicalizes():
    for s in ("a&b", "<>", "x\ry", "\t\n", '"q"', "plain", "", "é&\r>"):
        el = etree.Element("e", a=s)
        el.text = s
        c14n = etree.tostring(el, method="c14n", exclusive=True).decode()
        assert c14n == f'<e a="{canonical.c14n_attr(s)}">{canonical.c14n_text(s)}</e>', repr(s)
