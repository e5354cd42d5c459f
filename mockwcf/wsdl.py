"""WSDL for the scenario's endpoint: Spyne's document, reshaped the way a WCF service publishes it.

Built once per scenario (never per request). Spyne writes the types and messages; we set WCF's
actions (`{namespace}{contract}/{operation}`), the HTTP transport, `wsaw:Action` for addressing
bindings, and a WS-SecurityPolicy assertion describing the binding, so generator-based clients see
what the service expects.
"""

from __future__ import annotations

from lxml import etree
from spyne.interface.wsdl import Wsdl11

from mockwcf import ns, wsdlparts
from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    SecurityBindingElement,
    SecurityMode,
    SecurityTokenParameters,
    TokenKind,
    TransportSecurityBindingElement,
)
from mockwcf.scenario import Scenario
from mockwcf.service import Contract
from mockwcf.transport.policy import http_authentication

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP11_BIND = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_BIND = "http://schemas.xmlsoap.org/wsdl/soap12/"
WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
WSAW = "http://www.w3.org/2006/05/addressing/wsdl"
SP = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
WSU = ns.WSU
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"


def build(scenario: Scenario, contract: Contract, address: str) -> bytes:
    doc = Wsdl11(contract.app.interface)
    doc.build_interface_document(address)
    root = etree.fromstring(doc.get_interface_document())
    svc = scenario.service
    bind_ns = SOAP12_BIND if scenario.soap12 else SOAP11_BIND
    actions = {op.name: op for op in svc.operations}
    for binding in root.iter(f"{{{WSDL}}}binding"):
        for b in binding.iter(f"{{{bind_ns}}}binding"):
            b.set("transport", HTTP_TRANSPORT)
        for op_el in binding.findall(f"{{{WSDL}}}operation"):
            op = actions.get(op_el.get("name", ""))
            if op is None:
                continue
            for soap_op in op_el.findall(f"{{{bind_ns}}}operation"):
                soap_op.set("soapAction", op.action)
    if scenario.addressing:
        for port_type in root.iter(f"{{{WSDL}}}portType"):
            for op_el in port_type.findall(f"{{{WSDL}}}operation"):
                op = actions.get(op_el.get("name", ""))
                if op is None:
                    continue
                for inp in op_el.findall(f"{{{WSDL}}}input"):
                    inp.set(f"{{{WSAW}}}Action", op.action)
                for out in op_el.findall(f"{{{WSDL}}}output"):
                    out.set(f"{{{WSAW}}}Action", op.reply_action)
    policy = _policy(scenario)
    if policy is not None:
        root.insert(0, policy)
        for binding in root.iter(f"{{{WSDL}}}binding"):
            ref = etree.Element(f"{{{WSP}}}PolicyReference", nsmap={"wsp": WSP})
            ref.set("URI", "#" + policy.get(f"{{{WSU}}}Id", ""))
            binding.insert(0, ref)
    wsdlparts.add(root, scenario)  # each operation's signed and encrypted parts
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


_INCLUDE = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/"
_SUPPORTING = {
    "signed": "SignedSupportingTokens",
    "signedEncrypted": "SignedEncryptedSupportingTokens",
    "endorsing": "EndorsingSupportingTokens",
    "signedEndorsing": "SignedEndorsingSupportingTokens",
}


def _token(parent: etree._Element, p: SecurityTokenParameters) -> None:
    name = {TokenKind.UserName: "UsernameToken", TokenKind.SecureConversation: "SecureConversationToken"}
    tok = etree.SubElement(parent, f"{{{SP}}}{name.get(p.kind, 'X509Token')}")
    tok.set(f"{{{SP}}}IncludeToken", _INCLUDE + p.inclusion_mode.value)
    if p.kind is TokenKind.SecureConversation and p.bootstrap is not None:
        # WSSecurityPolicy.CreateWsspSecureConversationTokenAssertion: RequireDerivedKeys, MustNotSendCancel
        # (cookie SCTs), BootstrapPolicy (the bootstrap element's own policy)
        inner = etree.SubElement(tok, f"{{{WSP}}}Policy")
        if p.require_derived_keys:
            etree.SubElement(inner, f"{{{SP}}}RequireDerivedKeys")
        if not p.require_cancellation:
            etree.SubElement(inner, f"{{{SP}}}MustNotSendCancel")
        boot = etree.SubElement(etree.SubElement(inner, f"{{{SP}}}BootstrapPolicy"), f"{{{WSP}}}Policy")
        over_transport = isinstance(p.bootstrap, TransportSecurityBindingElement)
        _assertions(boot, p.bootstrap, over_transport=over_transport, protects_message=not over_transport)


def _policy(scenario: Scenario) -> etree._Element | None:
    """A WS-SecurityPolicy 1.1 summary of the binding model (what WCF's policy exporter would say)."""
    binding = scenario.binding
    if binding.mode is SecurityMode.None_:
        return None
    sbe = binding.security
    nsmap = {"wsp": WSP, "sp": SP, "wsu": WSU}
    policy = etree.Element(f"{{{WSP}}}Policy", nsmap=nsmap)
    policy.set(f"{{{WSU}}}Id", f"{binding.name}_{scenario.service.contract}_policy")
    all_el = etree.SubElement(etree.SubElement(policy, f"{{{WSP}}}ExactlyOne"), f"{{{WSP}}}All")
    auth = http_authentication(scenario.transport_auth, WSP)  # HttpTransportBindingElement.OnExportPolicy
    if auth is not None:
        all_el.append(auth)
    if binding.mode is SecurityMode.TransportCredentialOnly:  # plain HTTP: no TLS to describe
        return policy if auth is not None else None
    client_cert = scenario.transport_auth.require_client_certificate
    _assertions(all_el, sbe, binding.over_transport, binding.protects_message, client_cert)
    return policy


def _assertions(
    all_el: etree._Element,
    sbe: SecurityBindingElement | None,
    over_transport: bool,
    protects_message: bool,
    require_client_certificate: bool = False,
) -> None:
    """The assertions of one security binding element (also a secure conversation's bootstrap)."""
    layout = etree.Element(f"{{{SP}}}Layout")
    etree.SubElement(
        etree.SubElement(layout, f"{{{WSP}}}Policy"),
        f"{{{SP}}}{sbe.security_header_layout.value if sbe else 'Strict'}",
    )
    suite = etree.Element(f"{{{SP}}}AlgorithmSuite")
    etree.SubElement(
        etree.SubElement(suite, f"{{{WSP}}}Policy"),
        f"{{{SP}}}{sbe.default_algorithm_suite if sbe else 'Basic256'}",
    )
    if sbe is None or over_transport:
        tb = etree.SubElement(all_el, f"{{{SP}}}TransportBinding")
        inner = etree.SubElement(tb, f"{{{WSP}}}Policy")
        tt = etree.SubElement(etree.SubElement(inner, f"{{{SP}}}TransportToken"), f"{{{WSP}}}Policy")
        https = etree.SubElement(tt, f"{{{SP}}}HttpsToken")
        # WSSecurityPolicy11.CreateWsspHttpsTokenAssertion writes the attribute, true or false
        https.set("RequireClientCertificate", str(require_client_certificate).lower())
        etree.SubElement(https, f"{{{WSP}}}Policy")
    else:
        name = (
            "AsymmetricBinding" if isinstance(sbe, AsymmetricSecurityBindingElement) else "SymmetricBinding"
        )
        inner = etree.SubElement(etree.SubElement(all_el, f"{{{SP}}}{name}"), f"{{{WSP}}}Policy")
        if isinstance(sbe, AsymmetricSecurityBindingElement):
            roles = (("InitiatorToken", sbe.initiator_token), ("RecipientToken", sbe.recipient_token))
        else:
            roles = (("ProtectionToken", sbe.primary_token),)
        for role, params in roles:
            _token(etree.SubElement(etree.SubElement(inner, f"{{{SP}}}{role}"), f"{{{WSP}}}Policy"), params)
    inner.append(suite)
    inner.append(layout)
    if sbe is None:
        return
    if sbe.include_timestamp:
        etree.SubElement(inner, f"{{{SP}}}IncludeTimestamp")
    if protects_message:
        etree.SubElement(inner, f"{{{SP}}}OnlySignEntireHeadersAndBody")
    for attachment, params in sbe.endpoint_supporting.all():
        _token(
            etree.SubElement(
                etree.SubElement(all_el, f"{{{SP}}}{_SUPPORTING[attachment]}"), f"{{{WSP}}}Policy"
            ),
            params,
        )
    wss = etree.SubElement(all_el, f"{{{SP}}}Wss11" if sbe.wss11 else f"{{{SP}}}Wss10")
    etree.SubElement(wss, f"{{{WSP}}}Policy")
    tokens = [p for _, p in sbe.endpoint_supporting.all()] + (
        [sbe.primary_token] if sbe.primary_token else []
    )
    if any(p.kind is TokenKind.SecureConversation for p in tokens):
        # CreateWsspTrustAssertion with CombinedEntropy: client and server entropy both required
        trust = etree.SubElement(all_el, f"{{{SP}}}Trust10")
        tp = etree.SubElement(trust, f"{{{WSP}}}Policy")
        for name in ("MustSupportIssuedTokens", "RequireClientEntropy", "RequireServerEntropy"):
            etree.SubElement(tp, f"{{{SP}}}{name}")
