"""binding/protection.py rules that are not per-operation reading: on a binding without WS-Addressing
(basicHttpBinding), every reply takes the union of all replies' protection parts
(ChannelProtectionRequirements.CreateFromContractAndUnionResponseProtectionRequirements, chosen by
DispatcherBuilder when the encoder's AddressingVersion is None). Requests are built and replies opened with
python-xmlsec (tests/test_asymmetric_encryption.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import requests
from lxml import etree

from mockwcf import ns
from mockwcf.scenario import load_dict
from tests import wss
from tests.test_asymmetric_encryption import SCENARIO, open_reply, request


def _operations(echo_level: str) -> dict:
    data = copy.deepcopy(SCENARIO)
    data["binding"]["security"]["protectionLevel"] = "Sign"  # the contract's level
    data["service"] = {
        "name": "EchoService",
        "namespace": "http://tempuri.org/",
        "operations": [
            {"name": "Echo", "input": {"text": "string"}, "output": {"EchoResult": "string"}},
            {
                "name": "Secret",
                "input": {"text": "string"},
                "output": {"SecretResult": "string"},
                "protectionLevel": echo_level,
            },
        ],
    }
    return data


def _body(content: bytes) -> etree._Element:
    return etree.fromstring(content).find(f"{{{ns.SOAP11}}}Body")


@pytest.mark.mockwcf_scenario(_operations("EncryptAndSign"))
def test_without_addressing_a_sign_operation_replies_encrypted_when_another_reply_is(mockwcf_server):
    """Echo is at Sign (the contract's level) and takes a request signed only, but its reply is encrypted:
    Secret's reply is EncryptAndSign, and without WS-Addressing every reply has the wildcard action's parts."""
    resp = wss.post(mockwcf_server.url, request(encrypt_signature=False, encrypt_body=False))
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    assert _body(resp.content).find(f"{{{ns.XENC}}}EncryptedData") is not None
    root = open_reply(resp.content)
    assert root.find(".//{http://tempuri.org/}EchoResult").text == "hi & bye"


@pytest.mark.parametrize(("secret", "replies"), [("EncryptAndSign", "EncryptAndSign"), ("Sign", "Sign")])
def test_without_addressing_every_reply_takes_the_highest_reply_level(secret, replies):
    """The compiled model: requests keep their own levels, every reply the union of all of them."""
    binding = load_dict(_operations(secret), Path(".")).binding
    assert not binding.addressing
    assert binding.request_protection("http://tempuri.org/IEchoService/Echo").value == "Sign"
    assert binding.request_protection("http://tempuri.org/IEchoService/Secret").value == secret
    for reply_action in ("EchoResponse", "SecretResponse", "AnyOther"):
        assert binding.reply_protection(f"http://tempuri.org/IEchoService/{reply_action}").value == replies


@pytest.mark.mockwcf_scenario(_operations("EncryptAndSign"))
def test_the_wsdl_states_each_operations_own_reply_level_not_the_union(mockwcf_server):
    """ExportMessageScopeProtectionPolicy builds from CreateFromContract, whatever the addressing: Echo's
    output policy signs its Body and encrypts nothing, though the service encrypts every reply."""
    from tests.test_wsdlparts import _parts

    root = etree.fromstring(requests.get(mockwcf_server.wsdl_url, timeout=10).content)
    assert _parts(root, "Echo", "output") == (["Body"], [])
    assert _parts(root, "Secret", "output") == (["Body"], ["Body"])


def test_explain_shows_the_union_of_replies():
    from mockwcf.binding.explain import explain

    text = explain(load_dict(_operations("EncryptAndSign"), Path(".")).binding)
    assert "every reply (no WS-Addressing: the union of all replies): EncryptAndSign" in text
