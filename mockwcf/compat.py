"""Compatibility shims for the pinned stack (Spyne 2.14 on Twisted 26).

`spyne.server.twisted` imports `twisted.python.constants`, which moved to the `constantly` package.
mockwcf does not use that module, but installing the alias keeps `import spyne.server.twisted`
working for users who combine both in one process.
"""

from __future__ import annotations

import sys


def install() -> None:
    import constantly

    sys.modules.setdefault("twisted.python.constants", constantly)
