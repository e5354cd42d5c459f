"""What of the binding model mockwcf emulates today; the rest is refused at load, naming the key and the way out.

A refusal here is better than a mock that answers differently from WCF: the user learns at `mockwcf validate`
time, not from a production endpoint, that a setting is outside what the mock reproduces.
"""

from __future__ import annotations

from collections.abc import Callable

from mockwcf.binding.model import (
    Binding,
    SymmetricSecurityBindingElement,
    TokenKind,
)


def check_emulated(binding: Binding, err: Callable[[str, str], None]) -> None:
    sbe = binding.security
    if sbe is None:
        return
    key = "binding.security"
    symmetric = isinstance(sbe, SymmetricSecurityBindingElement)
    if symmetric and any(
        p.kind is not TokenKind.X509 or a == "signedEndorsing"
        for a, p in sbe.endpoint_supporting.all()
        if a.endswith("ndorsing")
    ):
        err(
            f"{key}.authenticationMode" if binding.name == "customBinding" else f"{key}.clientCredentialType",
            f"this compiles to WCF's SymmetricSecurityBindingElement with a supporting token mockwcf does not "
            f"emulate as endorsing ({binding.factory}); only an endorsing client certificate (MutualCertificate) is",
        )
