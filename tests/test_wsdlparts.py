"""The WSDL's per-operation message policies (wsdlparts.py): each wsdl:input / wsdl:output of the binding names a
policy whose sp:SignedParts / sp:EncryptedParts follow the operation's ProtectionLevel, as WCF's
ExportMessageScopeProtectionPolicy writes them; a generated client (zeep) still reads the document."""

from __future__ import annotations

import pytest
import requests
import zeep
from lxml import etree

from tests.test_operation_protection import OPERATIONS

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
SP = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"


def _parts(root: etree._Element, op: str, direction: str) -> tuple[list[str], list[str]]:
    """(signed, encrypted) part names of one operation message: 'Body' or the header's local name."""
    message = root.find(f"{{{WSDL}}}binding/{{{WSDL}}}operation[@name='{op}']/{{{WSDL}}}{direction}")
    ref = message.find(f"{{{WSP}}}PolicyReference")
    if ref is None:
        return [], []
    policy = next(
        p for p in root.iter(f"{{{WSP}}}Policy") if "#" + p.get(f"{{{WSU}}}Id", "") == ref.get("URI")
    )

    def names(tag: str) -> list[str]:
        el = policy.find(f".//{{{SP}}}{tag}")
        return [] if el is None else [c.get("Name") or etree.QName(c).localname for c in el]

    return names("SignedParts"), names("EncryptedParts")


@pytest.mark.mockwcf_scenario(OPERATIONS)
def test_each_operation_message_exports_its_signed_and_encrypted_parts(mockwcf_server):
    root = etree.fromstring(requests.get(mockwcf_server.wsdl_url, timeout=10).content)
    addressing = ["To", "From", "FaultTo", "ReplyTo", "MessageID", "RelatesTo", "Action"]
    for direction in ("input", "output"):
        assert _parts(root, "Echo", direction) == (["Body", *addressing], [])  # Sign
        assert _parts(root, "Open", direction) == (addressing, [])  # None: the channel's headers only
        assert _parts(root, "Secret", direction) == (["Body", *addressing], ["Body"])  # the contract's level
    client = zeep.Client(mockwcf_server.wsdl_url)
    assert {op for op in client.service._binding._operations} == {"Echo", "Open", "Secret"}
