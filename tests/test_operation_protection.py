"""ProtectionLevel per operation (binding/protection.py): ChannelProtectionRequirements.CreateFromContract gives
each action its own required parts over the contract's level, the receive side checks the request's Body per
action and the reply is secured per reply action. Requests are built by python-xmlsec (tests/test_symmetric.py),
replies opened by it."""

from __future__ import annotations

import copy

import pytest
import xmlsec
from lxml import etree

from mockwcf import ns
from mockwcf.scenario import ScenarioError, load_text
from tests import wss
from tests.test_symmetric import ANONYMOUS_SIGN_ONLY, _scenario, open_reply, request

OPEN_ACTION = "http://tempuri.org/IEchoService/Open"
SECRET_ACTION = "http://tempuri.org/IEchoService/Secret"


def _op(name: str, level: str | None) -> dict:
    op = {"name": name, "input": {"text": "string"}, "output": {f"{name}Result": "string"}}
    return {**op, "protectionLevel": level} if level else op


OPERATIONS = {
    **_scenario(
        {
            "type": "customBinding",
            "messageVersion": "Soap12WSAddressing10",
            "security": {"authenticationMode": "UserNameForCertificate"},
        }
    ),
    "service": {
        "name": "EchoService",
        "namespace": "http://tempuri.org/",
        "operations": [_op("Echo", "Sign"), _op("Open", "None"), _op("Secret", None)],
    },
}


def _payload(name: str) -> str:
    return f'<{name} xmlns="http://tempuri.org/"><text>hi</text></{name}>'


def _post(server, sent, action: str = wss.ACTION):
    return wss.post(server.url, sent.body, soap12=True, action=action)


@pytest.mark.mockwcf_scenario(OPERATIONS)
def test_an_operation_at_sign_takes_a_signed_clear_body_and_answers_signed_only(mockwcf_server):
    sent = request(mockwcf_server.url, encrypt_body=False, encrypt_sig=False)
    resp = _post(mockwcf_server, sent)
    assert resp.status_code == 200, resp.text
    root = open_reply(resp.content, sent, encrypted=False)  # signed, its Body in clear, no encryption key
    assert root.find(".//{http://tempuri.org/}EchoResult").text == "hi & bye"
    # encrypting it anyway is accepted (HasPendingDecryptionItem); the clear signature stays fine: the
    # default order is downgraded to SignBeforeEncrypt for an action whose Body need not be encrypted
    sent = request(mockwcf_server.url, encrypt_sig=False)
    assert _post(mockwcf_server, sent).status_code == 200
    # the UsernameToken is still a SignedEncrypted supporting token
    sent = request(mockwcf_server.url, encrypt_body=False, encrypt_sig=False, encrypt_ut=False)
    assert _post(mockwcf_server, sent).status_code == 500
    assert mockwcf_server.last().resource_code == "SupportingTokenIsNotEncrypted"


@pytest.mark.mockwcf_scenario(OPERATIONS)
def test_an_operation_without_a_level_takes_the_contracts_encrypt_and_sign(mockwcf_server):
    sent = request(mockwcf_server.url, action=SECRET_ACTION, payload=_payload("Secret"))
    resp = _post(mockwcf_server, sent, SECRET_ACTION)
    assert resp.status_code == 200, resp.text
    assert open_reply(resp.content, sent).find(".//{http://tempuri.org/}SecretResult").text == "hi"
    clear = request(
        mockwcf_server.url,
        action=SECRET_ACTION,
        payload=_payload("Secret"),
        encrypt_body=False,
    )
    assert _post(mockwcf_server, clear, SECRET_ACTION).status_code == 500
    assert mockwcf_server.last().resource_code == "RequiredMessagePartNotEncryptedNs"


@pytest.mark.mockwcf_scenario(OPERATIONS)
def test_an_operation_at_none_takes_an_unsigned_body_and_signs_no_reply_body(mockwcf_server):
    sent = request(
        mockwcf_server.url,
        action=OPEN_ACTION,
        payload=_payload("Open"),
        encrypt_body=False,
        encrypt_sig=False,
        sign_body=False,
    )
    resp = _post(mockwcf_server, sent, OPEN_ACTION)
    assert resp.status_code == 200, resp.text
    root = etree.fromstring(resp.content)
    assert root.find(f".//{{{ns.XENC}}}EncryptedData") is None
    xmlsec.tree.add_ids(root, ["Id"])
    sig = root.find(f".//{{{ns.DS}}}Signature")
    uris = {r.get("URI") for r in sig.iter(f"{{{ns.DS}}}Reference")}
    assert "#_0" in uris and "#_1" not in uris  # the Timestamp and addressing headers, not the Body
    # the same unsigned Body on the Sign operation is refused
    unsigned = request(mockwcf_server.url, encrypt_body=False, encrypt_sig=False, sign_body=False)
    assert _post(mockwcf_server, unsigned).status_code == 500
    assert mockwcf_server.last().resource_code == "RequiredMessagePartNotSignedNs"


def test_operation_protection_level_errors_name_the_line_and_the_wcf_rule():
    text = """service:
  operations:
    - name: Echo
      input: {text: string}
      protectionLevel: Encrypt
"""
    with pytest.raises(ScenarioError) as err:
        load_text(text, "x.yaml", ".")
    assert any(":5: service.operations[0].protectionLevel" in line for line in err.value.lines())
    unsecured = """service:
  operations:
    - name: Echo
      input: {text: string}
      protectionLevel: Sign
binding:
  type: basicHttpBinding
  security: {mode: None}
"""
    with pytest.raises(ScenarioError) as err:
        load_text(unsecured, "x.yaml", ".")
    line = next(line for line in err.value.lines() if "protectionLevel" in line)
    assert ":5: service.operations[0].protectionLevel" in line
    assert "AtLeastOneContractOperationRequestRequiresProtectionLevelNotSupportedByBinding" in line


def test_explain_lists_each_actions_level():
    from pathlib import Path

    from mockwcf.binding.explain import explain
    from mockwcf.scenario import load_dict

    text = explain(load_dict(OPERATIONS, Path(".")).binding)
    assert "ProtectionLevel (contract): EncryptAndSign" in text
    assert "http://tempuri.org/IEchoService/Echo: Sign" in text
    assert f"{OPEN_ACTION}: None" in text and f"{SECRET_ACTION}: EncryptAndSign" in text


SIGN_CONTRACT = copy.deepcopy(ANONYMOUS_SIGN_ONLY)  # UserNameForCertificate, contract at Sign
SIGN_CONTRACT["binding"]["security"]["authenticationMode"] = "UserNameForCertificate"


@pytest.mark.mockwcf_scenario(SIGN_CONTRACT)
def test_a_sign_contract_still_expects_its_signed_encrypted_username_token_encrypted(mockwcf_server):
    """MessageSecurityProtocol.ConfigureReceiveSecurityHeader: ExpectEncryption = RequireConfidentiality ||
    ExpectBasicTokens, so the UsernameToken (SignedEncrypted) may and must come encrypted even when no request
    is EncryptAndSign (VerifySupportingToken: SupportingTokenIsNotEncrypted under RequireMessageProtection)."""
    # what a WCF client sends here: the token and the signature encrypted (RemoveSignatureEncryptionIfAppropriate
    # keeps the signature's encryption when there are basic tokens), the Body signed in clear
    sent = request(mockwcf_server.url, encrypt_body=False)
    resp = _post(mockwcf_server, sent)
    assert resp.status_code == 200, resp.text
    assert (
        open_reply(resp.content, sent, encrypted=False).find(".//{http://tempuri.org/}EchoResult") is not None
    )
    # a clear signature passes too: Process's VerifySignatureEncryption for a downgraded order with basic
    # tokens reads BasicSupportingTokens before VerifySupportingToken fills it, so it never fires
    sent = request(mockwcf_server.url, encrypt_body=False, encrypt_sig=False)
    assert _post(mockwcf_server, sent).status_code == 200
    # the UsernameToken in clear (no ReferenceList at all) is refused
    sent = request(mockwcf_server.url, encrypt_body=False, encrypt_sig=False, encrypt_ut=False)
    assert _post(mockwcf_server, sent).status_code == 500
    assert mockwcf_server.last().resource_code == "SupportingTokenIsNotEncrypted"
