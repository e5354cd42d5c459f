"""The HTTP authentication assertions WCF writes into the WSDL's binding policy.

HttpTransportBindingElement.OnExportPolicy: unless the scheme is Anonymous, one assertion per scheme in the
namespace http://schemas.microsoft.com/ws/06/2004/policy/http, in the order Negotiate, NTLM, Digest, Basic
("svcutil uses the first"), a single one bare, several inside wsp:ExactlyOne. The schemes are the binding's
(Windows -> Negotiate), not the NTLM provider IIS adds to its challenges.
"""

from __future__ import annotations

from lxml import etree

from mockwcf.transport.config import TransportAuthConfig

HTTP_POLICY = "http://schemas.microsoft.com/ws/06/2004/policy/http"
_NAMES = {
    "Negotiate": "NegotiateAuthentication",
    "NTLM": "NtlmAuthentication",
    "Basic": "BasicAuthentication",
}


def http_authentication(cfg: TransportAuthConfig, wsp: str) -> etree._Element | None:
    names = [_NAMES[s] for s in cfg.binding_schemes]
    if not names:
        return None
    if len(names) == 1:
        return etree.Element(f"{{{HTTP_POLICY}}}{names[0]}", nsmap={"http": HTTP_POLICY})
    one = etree.Element(f"{{{wsp}}}ExactlyOne", nsmap={"http": HTTP_POLICY})
    for name in names:
        etree.SubElement(one, f"{{{HTTP_POLICY}}}{name}")
    return one
