"""quotas.check's MaxDepth test against the tree's depth, around the size past which the '<' count is not made.

The count of '<' is only a shortcut (fewer '<' than levels cannot be too deep); on messages past 32 bytes a
level the XPath decides alone. Either way the answer must be the depth rule: XmlBaseReader.EnterScope fails
when an element opens one level deeper than MaxDepth (the Envelope is level 1).
"""

from __future__ import annotations

import pytest
from lxml import etree

from mockwcf import codes, ns, quotas
from mockwcf.limits import ReaderQuotas


def _levels(root: etree._Element) -> int:
    return max(sum(1 for _ in e.iterancestors()) + 1 for e in root.iter() if isinstance(e.tag, str))


@pytest.mark.parametrize("max_depth", [1, 2, 3, 5, 8])
def test_max_depth_is_the_depth_rule_below_and_above_32_bytes_a_level(max_depth):
    q = ReaderQuotas(max_depth=max_depth)
    seen_sizes = set()
    for nesting in range(0, 10):
        for pad in (0, 1, 31, 32, 33, 64, 200, 1000):  # the message's size crosses 32 * max_depth
            body = "<a>" * nesting + "x" * pad + "</a>" * nesting
            data = f'<s:Envelope xmlns:s="{ns.SOAP11}"><s:Body>{body}</s:Body></s:Envelope>'.encode()
            root = etree.fromstring(data)
            violation = quotas.check(data, root, root[0], q, markup=False)
            too_deep = _levels(root) > max_depth
            assert (violation is not None and violation.code == codes.XmlMaxDepthExceeded) == too_deep, data
            seen_sizes.add(len(data) > 32 * max_depth)
    assert seen_sizes == ({False, True} if max_depth >= 3 else {True})  # an Envelope alone is 80 bytes
