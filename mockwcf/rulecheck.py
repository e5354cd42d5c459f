"""Load-time checks for values that would validate but never do anything (rules' `fault:` and `xpath:`).

A rule whose XPath uses a prefix nobody declared compiles in lxml and then fails on every request, which
looks exactly like "never matches"; a `fault:` that names a wire fault (ServerTooBusy) or a typo instead of
a catalog code cannot be answered. Both become load errors that name what would fit.
"""

from __future__ import annotations

import difflib
import re

from lxml import etree

from mockwcf import catalog

_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_PREFIX = re.compile(r"(?<![\w.:-])([A-Za-z_][\w.-]*):(?![:=])(?=[A-Za-z_*])")


def unknown_code(raw: str) -> str:
    """The message for a `fault:` value that is not a catalog code: close codes, and for a wire-fault
    name the catalog codes whose fault carries it."""
    from mockwcf.faults import WIRE_FAULTS

    codes = [e.code for e in catalog.entries()]
    by_wire = sorted(e.code for e in catalog.entries() if raw in (e.fault, WIRE_FAULTS[e.fault].subcode))
    msg = f"{raw!r} is not a resource code in the catalog"
    if by_wire:
        shown = ", ".join(by_wire[:8]) + (f" and {len(by_wire) - 8} more" if len(by_wire) > 8 else "")
        return f"{msg}; {raw} is a wire fault: the catalog codes that produce it are {shown}"
    close = difflib.get_close_matches(raw, codes, n=3, cutoff=0.6)
    if close:
        return f"{msg} (did you mean {' or '.join(repr(c) for c in close)}?)"
    return f"{msg}; `mockwcf catalog` lists every code (or use customFault for a fault of your own)"


def undeclared_prefixes(expression: str, namespaces: dict[str, str]) -> list[str]:
    """Prefixes `expression` uses that `namespaces` does not declare (string literals ignored)."""
    bare = _LITERAL.sub("''", expression)
    used = dict.fromkeys(m.group(1) for m in _PREFIX.finditer(bare))
    return [p for p in used if p not in namespaces]


def xpath_problem(compiled: etree.XPath, expression: str, namespaces: dict[str, str]) -> str | None:
    """None when the XPath can run; else why not and how to declare what is missing."""
    missing = undeclared_prefixes(expression, namespaces)
    try:
        compiled(etree.Element("probe"))
    except etree.XPathEvalError as exc:
        if not missing and "prefix" not in str(exc).lower():
            return None  # an evaluation error on the probe element is about data, not the expression
        missing = missing or ["?"]
    if not missing:
        return None
    declared = ", ".join(sorted(namespaces))
    example = ", ".join(f"{p}: http://your/namespace" for p in missing)
    return (
        f"XPath {expression!r} uses the undeclared prefix {', '.join(missing)}; it would never match. "
        f"Declare it under match.namespaces (e.g. namespaces: {{{example}}}); declared: {declared}"
    )
