"""Seed 001 and the token-order rule, driven by zeep's real WS-Security plugins."""

from __future__ import annotations

import pytest
import zeep
from zeep.wsse.signature import BinarySignature, Signature

from tests.conftest import CERTS, SCENARIOS
from tests.wss import WithTimestamp


def _client(url: str, plugin: object) -> zeep.Client:
    return zeep.Client(url, wsse=WithTimestamp(plugin))


@pytest.mark.mockwcf_scenario(SCENARIOS / "mutual-certificate-lax.yaml")
def test_binary_signature_accepted_on_lax(mockwcf_server):
    # stock zeep: Lax accepts the BST after the Signature; zeep would verify the reply with the client's
    # certificate (python-zeep #822), so only the request side is zeep's here (mockwcf.clients.zeep does both)
    sig = BinarySignature(str(CERTS / "client.key"), str(CERTS / "client.pem"))
    sig.verify = lambda envelope: envelope
    client = _client(mockwcf_server.wsdl_url, sig)
    assert client.service.Echo(text="signed hello") == "signed hello"
    entry = mockwcf_server.assert_accepted()
    assert any(s["step"] == "signature" and "primary signature verified" in s["detail"] for s in entry.steps)


@pytest.mark.mockwcf_scenario(SCENARIOS / "mutual-certificate-strict.yaml")
def test_binary_signature_on_strict_fails_token_order(mockwcf_server):
    client = _client(
        mockwcf_server.wsdl_url, BinarySignature(str(CERTS / "client.key"), str(CERTS / "client.pem"))
    )
    with pytest.raises(zeep.exceptions.Fault) as err:
        client.service.Echo(text="x")
    assert err.value.code == "a:InvalidSecurity"
    entry = mockwcf_server.assert_fault("UnableToResolveKeyInfoForVerifyingSignature")
    assert "primary resolver: none" in entry.reason


@pytest.mark.mockwcf_scenario(SCENARIOS / "mutual-certificate-lax.yaml")
def test_zeep_signature_issuer_serial_plus_certificate_is_rejected(mockwcf_server):
    client = _client(mockwcf_server.wsdl_url, Signature(str(CERTS / "client.key"), str(CERTS / "client.pem")))
    with pytest.raises(zeep.exceptions.Fault) as err:
        client.service.Echo(text="x")
    assert err.value.message == "An error occurred when verifying security for the message."
    entry = mockwcf_server.assert_fault("MessageSecurityVerificationFailed")
    assert "X509IssuerSerial followed by X509Certificate" in entry.reason
