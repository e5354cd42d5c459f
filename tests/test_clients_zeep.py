"""mockwcf.clients.zeep.WcfSignature: the zeep plugin users import, driven through real zeep clients."""

from __future__ import annotations

import pytest
import yaml
import zeep
from lxml import etree

from mockwcf import ns
from mockwcf.clients.zeep import WcfSignature
from tests.conftest import CERTS, SCENARIOS

KEY, CERT, SERVICE = CERTS / "client.key", CERTS / "client.pem", CERTS / "service.pem"


def _client(server, wsse) -> zeep.Client:
    return zeep.Client(server.wsdl_url, wsse=wsse)


def _sent_header(server) -> etree._Element:
    """The Security header as the server received it (the journal keeps the raw request)."""
    return etree.fromstring(server.last().request).find(f".//{{{ns.WSSE}}}Security")


@pytest.mark.mockwcf_scenario(SCENARIOS / "mutual-certificate-strict.yaml")
def test_strict_accepts_and_reply_is_verified_with_the_service_certificate(mockwcf_server):
    client = _client(mockwcf_server, WcfSignature(KEY, CERT, service_certificate=SERVICE))
    assert client.service.Echo(text="strict") == "strict"
    mockwcf_server.assert_accepted()
    header = _sent_header(mockwcf_server)
    order = [etree.QName(child).localname for child in header]
    assert order == ["Timestamp", "BinarySecurityToken", "Signature"]
    refs = header.findall(f".//{{{ns.DS}}}Reference")
    assert len(refs) == 2


@pytest.mark.mockwcf_scenario(SCENARIOS / "mutual-certificate-strict.yaml")
def test_a_reply_signed_by_another_certificate_is_refused(mockwcf_server):
    client = _client(mockwcf_server, WcfSignature(KEY, CERT, service_certificate=CERTS / "client.pem"))
    with pytest.raises(zeep.exceptions.SignatureVerificationFailed):
        client.service.Echo(text="x")
    mockwcf_server.assert_accepted()  # the server accepted; the client refused the reply


@pytest.mark.mockwcf_scenario(SCENARIOS / "mutual-certificate-strict.yaml")
def test_unsigned_faults_reach_the_caller_as_faults(mockwcf_server):
    wsse = WcfSignature(KEY, CERTS / "client-untrusted.pem", service_certificate=SERVICE)
    with pytest.raises(zeep.exceptions.Fault) as err:
        _client(mockwcf_server, wsse).service.Echo(text="x")
    assert err.value.code == "a:FailedAuthentication"
    mockwcf_server.assert_fault("X509ChainBuildFail")


@pytest.mark.mockwcf_scenario(SCENARIOS / "seed001-mutual-certificate.yaml")
def test_username_token_is_signed_as_a_supporting_token(mockwcf_server):
    wsse = WcfSignature(KEY, CERT, service_certificate=SERVICE, username="alice", password="p@ssw0rd")
    assert _client(mockwcf_server, wsse).service.Echo(text="seed") == "seed"
    mockwcf_server.assert_accepted()
    header = _sent_header(mockwcf_server)
    token_id = header.find(f"{{{ns.WSSE}}}UsernameToken").get(f"{{{ns.WSU}}}Id")
    assert f"#{token_id}" in [r.get("URI") for r in header.iter(f"{{{ns.DS}}}Reference")]
    # leaving the token out of the signature is what WCF refuses
    unsigned = WcfSignature(
        KEY,
        CERT,
        service_certificate=SERVICE,
        username="alice",
        password="p@ssw0rd",
        sign=("Timestamp", "Body"),
    )
    with pytest.raises(zeep.exceptions.Fault):
        _client(mockwcf_server, unsigned).service.Echo(text="x")
    assert mockwcf_server.last().verdict == "rejected"


@pytest.mark.mockwcf_scenario(SCENARIOS / "seed001-mutual-certificate.yaml")
def test_issuer_serial_reproduces_seed_001(mockwcf_server):
    wsse = WcfSignature(
        KEY,
        CERT,
        service_certificate=SERVICE,
        username="alice",
        password="p@ssw0rd",
        key_identifier="IssuerSerial",
    )
    with pytest.raises(zeep.exceptions.Fault):
        _client(mockwcf_server, wsse).service.Echo(text="x")
    entry = mockwcf_server.assert_fault("UnableToResolveKeyInfoForVerifyingSignature")
    assert "IssuerSerial" in entry.reason or "X509IssuerSerial" in entry.reason


def test_basic256sha256_suite(mockwcf_server):
    data = yaml.safe_load((SCENARIOS / "mutual-certificate-strict.yaml").read_text())
    data["binding"]["security"]["algorithmSuite"] = "Basic256Sha256"
    mockwcf_server.load(data, base_dir=SCENARIOS)
    wsse = WcfSignature(KEY, CERT, service_certificate=SERVICE, algorithm_suite="Basic256Sha256")
    assert _client(mockwcf_server, wsse).service.Echo(text="sha256") == "sha256"
    mockwcf_server.assert_accepted()
    with pytest.raises(zeep.exceptions.Fault):
        _client(mockwcf_server, WcfSignature(KEY, CERT, service_certificate=SERVICE)).service.Echo(text="x")
    assert mockwcf_server.last().verdict == "rejected"


def test_bad_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="BinarySecurityToken or IssuerSerial"):
        WcfSignature(KEY, CERT, key_identifier="Thumbprint")
    with pytest.raises(ValueError, match="Basic256, Basic256Sha256"):
        WcfSignature(KEY, CERT, algorithm_suite="Basic128")
    with pytest.raises(ValueError, match="not Header"):
        WcfSignature(KEY, CERT, sign=("Header",))
