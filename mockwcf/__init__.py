"""mockwcf: a mock WCF service that accepts and rejects WS-Security the way WCF does, and says why."""

__version__ = "0.1.0"
