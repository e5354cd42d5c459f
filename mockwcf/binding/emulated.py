"""What of the binding model mockwcf emulates today; the rest is refused at load, naming the key and the way out.

A refusal here is better than a mock that answers differently from WCF: the user learns at `mockwcf validate`
time, not from a production endpoint, that a setting is outside what the mock reproduces.
"""

from __future__ import annotations

from collections.abc import Callable

from mockwcf.binding.model import (
    Binding,
    ProtectionLevel,
    SymmetricSecurityBindingElement,
)

EMULATED_SUITES = ("Basic256", "Basic256Sha256")


def check_emulated(binding: Binding, err: Callable[[str, str], None]) -> None:
    sbe = binding.security
    if sbe is None:
        return
    key = "binding.security"
    if isinstance(sbe, SymmetricSecurityBindingElement):
        where = f"{key}.authenticationMode" if binding.name == "customBinding" else f"{key}.mode"
        err(
            where,
            f"this compiles to WCF's SymmetricSecurityBindingElement ({binding.factory} with "
            f"{sbe.message_security_version.name}): XML Encryption with a key wrapped for the service certificate "
            "and derived keys, which mockwcf does not emulate yet. Use customBinding MutualCertificate with "
            "messageSecurityVersion WSSecurity10...BasicSecurityProfile10 (asymmetric, sign-only), basicHttpBinding "
            "Message with Certificate, or TransportWithMessageCredential",
        )
    if binding.protects_message and binding.protection_level is ProtectionLevel.EncryptAndSign:
        err(
            f"{key}.protectionLevel",
            "only Sign is emulated for Message security so far (EncryptAndSign is not)",
        )
    if sbe.default_algorithm_suite not in EMULATED_SUITES:
        err(f"{key}.algorithmSuite", f"only {' and '.join(EMULATED_SUITES)} are emulated")
