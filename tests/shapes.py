"""Generated element shapes for the differential tests of the readers' fast paths.

Several readers take the usual shape by a short path beside the general, element-by-element one
(keyinfo_read.only_child, encrypteddata.cipher_value, signature_read._read_regular). The general path is the
oracle: a fast path must give what it gives on every shape, or stand aside. `commented` forces the general
path without changing what WCF's reader sees (a comment where MoveToContent skips it), so each shape can be
read both ways.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from lxml import etree

from mockwcf.faults import Rejection

# texts and tails: none, empty, XML white space, not white (NBSP is not XML white space), a CR LF pair
TEXTS = (None, "", " ", "\n\t ", "x", " x ", "\u00a0", "\r\n")


def sprinkle(rng: random.Random, parent: etree._Element, rate: float = 0.25) -> etree._Element:
    """Random texts, tails, comments and processing instructions among `parent`'s children, all levels."""
    for child in list(parent):
        if isinstance(child.tag, str):
            sprinkle(rng, child, rate)
    if rng.random() < rate:
        parent.text = rng.choice(TEXTS)
    for child in list(parent):
        if rng.random() < rate:
            child.tail = rng.choice(TEXTS)
    if rng.random() < rate:
        node = rng.choice([etree.Comment("c"), etree.PI("p", "q")])
        node.tail = rng.choice(TEXTS)
        parent.insert(rng.randrange(len(parent) + 1), node)
    return parent


def commented(root: etree._Element) -> etree._Element:
    """A comment as the first child of every element, in place: the reader skips it (children() and content()
    read the same), but no fast path takes an element with two child nodes, so the general path reads it."""
    for el in [e for e in root.iter() if isinstance(e.tag, str)]:
        el.insert(0, etree.Comment("general path"))
    return root


def outcome(read: Callable[..., Any], *args: Any) -> Any:
    """What a reader gives: its result, or the rejection's code, message, step and blamed element."""
    try:
        return read(*args)
    except Rejection as rej:
        return ("rejected", rej.code, rej.message, rej.step, rej.element)
