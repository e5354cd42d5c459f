"""WSDL for the scenario's endpoint: Spyne's document, reshaped the way a WCF service publishes it.

Built once per scenario (never per request). Spyne writes the types and messages; we set WCF's
actions (`{namespace}{contract}/{operation}`), the HTTP transport, `wsaw:Action` for addressing
bindings, and a WS-SecurityPolicy assertion describing the binding, so generator-based clients see
what the service expects.
"""

from __future__ import annotations

from lxml import etree
from spyne.interface.wsdl import Wsdl11

from mockwcf import ns
from mockwcf.scenario import Scenario
from mockwcf.service import Contract

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
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _policy(scenario: Scenario) -> etree._Element | None:
    """A WS-SecurityPolicy 1.1 summary of the binding (what WCF's policy exporter would say)."""
    sec = scenario.security
    if sec.kind == "none":
        return None
    nsmap = {"wsp": WSP, "sp": SP, "wsu": WSU}
    policy = etree.Element(f"{{{WSP}}}Policy", nsmap=nsmap)
    policy.set(f"{{{WSU}}}Id", f"{scenario.binding_type}_{scenario.service.contract}_policy")
    all_el = etree.SubElement(etree.SubElement(policy, f"{{{WSP}}}ExactlyOne"), f"{{{WSP}}}All")
    layout = etree.Element(f"{{{SP}}}Layout")
    etree.SubElement(etree.SubElement(layout, f"{{{WSP}}}Policy"), f"{{{SP}}}{sec.layout}")
    suite = etree.Element(f"{{{SP}}}AlgorithmSuite")
    etree.SubElement(etree.SubElement(suite, f"{{{WSP}}}Policy"), f"{{{SP}}}{sec.suite}")
    if sec.kind in ("transport", "twmc"):
        tb = etree.SubElement(all_el, f"{{{SP}}}TransportBinding")
        inner = etree.SubElement(tb, f"{{{WSP}}}Policy")
        tt = etree.SubElement(etree.SubElement(inner, f"{{{SP}}}TransportToken"), f"{{{WSP}}}Policy")
        etree.SubElement(etree.SubElement(tt, f"{{{SP}}}HttpsToken"), f"{{{WSP}}}Policy")
        inner.append(suite)
        inner.append(layout)
        if sec.include_timestamp:
            etree.SubElement(inner, f"{{{SP}}}IncludeTimestamp")
        if sec.kind == "twmc":
            name = "SignedSupportingTokens" if sec.credential == "UserName" else "EndorsingSupportingTokens"
            st = etree.SubElement(etree.SubElement(all_el, f"{{{SP}}}{name}"), f"{{{WSP}}}Policy")
            tok = "UsernameToken" if sec.credential == "UserName" else "X509Token"
            t = etree.SubElement(st, f"{{{SP}}}{tok}")
            t.set(
                f"{{{SP}}}IncludeToken",
                "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient",
            )
    else:
        ab = etree.SubElement(all_el, f"{{{SP}}}AsymmetricBinding")
        inner = etree.SubElement(ab, f"{{{WSP}}}Policy")
        for role, include in (("InitiatorToken", "AlwaysToRecipient"), ("RecipientToken", "Never")):
            holder = etree.SubElement(etree.SubElement(inner, f"{{{SP}}}{role}"), f"{{{WSP}}}Policy")
            tok = etree.SubElement(holder, f"{{{SP}}}X509Token")
            tok.set(
                f"{{{SP}}}IncludeToken",
                f"http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/{include}",
            )
        inner.append(suite)
        inner.append(layout)
        if sec.include_timestamp:
            etree.SubElement(inner, f"{{{SP}}}IncludeTimestamp")
        etree.SubElement(inner, f"{{{SP}}}OnlySignEntireHeadersAndBody")
        if sec.signed_supporting:
            st = etree.SubElement(
                etree.SubElement(all_el, f"{{{SP}}}SignedSupportingTokens"), f"{{{WSP}}}Policy"
            )
            t = etree.SubElement(st, f"{{{SP}}}UsernameToken")
            t.set(
                f"{{{SP}}}IncludeToken",
                "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient",
            )
    wss = etree.SubElement(all_el, f"{{{SP}}}Wss11" if sec.wss11 else f"{{{SP}}}Wss10")
    etree.SubElement(wss, f"{{{WSP}}}Policy")
    return policy
