"""mockwcf: a mock WCF service that accepts and rejects WS-Security the way WCF does, and says why."""

from mockwcf import compat as _compat

__version__ = "0.1.0"

_compat.install()  # before any mockwcf module imports Spyne (see compat.py: Python 3.12+)
