"""The WSDL's message-scope protection policy: which parts of each operation's request and reply are signed and
encrypted, so a client generated from the WSDL protects each operation as the service requires.

SecurityBindingElement.ExportMessageScopeProtectionPolicy (reference source, System.ServiceModel/System/
ServiceModel/Channels/SecurityBindingElement.cs) attaches to every wsdl:input and wsdl:output of the binding a
policy holding WSSecurityPolicy.CreateWsspSignedPartsAssertion and CreateWsspEncryptedPartsAssertion of that
message's parts (ChannelProtectionRequirements.CreateFromContract per action, plus the channel's parts: the
WS-Addressing headers are signed on every message, AddBindingProtectionRequirements). An empty
MessagePartSpecification writes no assertion, and a message with none gets no policy. Message security only:
over transport, TLS protects the whole message.

    <wsp:Policy wsu:Id="customBinding_IEchoService_Echo_Input_policy"><wsp:ExactlyOne><wsp:All>
      <sp:SignedParts><sp:Body/><sp:Header Name="To" Namespace="http://www.w3.org/2005/08/addressing"/>...
      </sp:SignedParts>
      <sp:EncryptedParts><sp:Body/></sp:EncryptedParts>
    </wsp:All></wsp:ExactlyOne></wsp:Policy>
    ... <wsdl:input><wsp:PolicyReference URI="#customBinding_IEchoService_Echo_Input_policy"/>...</wsdl:input>
"""

from __future__ import annotations

from lxml import etree

from mockwcf import ns
from mockwcf.binding.model import ProtectionLevel
from mockwcf.scenario import Scenario

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
SP = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"


def _message_policy(policy_id: str, level: ProtectionLevel, addressing: bool) -> etree._Element | None:
    signed = level is not ProtectionLevel.None_
    if not signed and not addressing:
        return None
    policy = etree.Element(f"{{{WSP}}}Policy", nsmap={"wsp": WSP, "sp": SP, "wsu": ns.WSU})
    policy.set(f"{{{ns.WSU}}}Id", policy_id)
    all_el = etree.SubElement(etree.SubElement(policy, f"{{{WSP}}}ExactlyOne"), f"{{{WSP}}}All")
    parts = etree.SubElement(all_el, f"{{{SP}}}SignedParts")
    if signed:
        etree.SubElement(parts, f"{{{SP}}}Body")
    if addressing:
        for name in ns.WSA_SIGNED_HEADERS:
            header = etree.SubElement(parts, f"{{{SP}}}Header")
            header.set("Name", name)
            header.set("Namespace", ns.WSA10)
    if level is ProtectionLevel.EncryptAndSign:
        etree.SubElement(etree.SubElement(all_el, f"{{{SP}}}EncryptedParts"), f"{{{SP}}}Body")
    return policy


def add(root: etree._Element, scenario: Scenario) -> None:
    """Attach each operation message's policy to the wsdl:binding's wsdl:input / wsdl:output; the policies go
    first in the document, after the endpoint policy."""
    binding = scenario.binding
    if not binding.protects_message:
        return
    ops = {op.name: op for op in scenario.service.operations}
    contract = scenario.service.contract
    at = 1 if len(root) and root[0].tag == f"{{{WSP}}}Policy" else 0
    for wsdl_binding in root.iter(f"{{{WSDL}}}binding"):
        for op_el in wsdl_binding.findall(f"{{{WSDL}}}operation"):
            op = ops.get(op_el.get("name", ""))
            if op is None:
                continue
            for direction, level in (
                ("input", binding.request_protection(op.action)),
                ("output", binding.contract_reply_protection(op.reply_action)),
            ):
                message = op_el.find(f"{{{WSDL}}}{direction}")
                policy_id = f"{binding.name}_{contract}_{op.name}_{direction.capitalize()}_policy"
                policy = _message_policy(policy_id, level, binding.addressing)
                if message is None or policy is None:
                    continue
                root.insert(at, policy)
                at += 1
                ref = etree.Element(f"{{{WSP}}}PolicyReference", nsmap={"wsp": WSP})
                ref.set("URI", "#" + policy_id)
                message.insert(0, ref)
