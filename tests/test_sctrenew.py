"""RST/SCT/Renew over a Message-security bootstrap (mockwcf/security/sctrenew.py), driven over loopback by
tests/sctmsgclient.py (lxml + python-xmlsec + OpenSSL's P_SHA1, not mockwcf's code): the renew message secured by
the UserNameForCertificate bootstrap and endorsed by a key derived from the current SCT, then the new key
generation in use, and the mistakes with WCF's codes."""

from __future__ import annotations

import pytest
from lxml import etree

from mockwcf import ns
from tests import sctclient
from tests import sctmsgclient as client
from tests.test_conversation_message import CUSTOM, ECHO_RESULT, SERVICE_PEM, WS2007, _post, _session

TWO_USERS = {
    **CUSTOM,
    "credentials": {
        **CUSTOM["credentials"],
        "userNameAuthentication": {"users": {"alice": "p@ssw0rd", "bob": "p@ssw0rd"}},
    },
}
WST = ns.WST


def _renew(server, session, **mistake):
    message, boot, entropy = client.renew_request(server.url, SERVICE_PEM, session, **mistake)
    t = sctclient.VERSIONS[session.version][0]
    return _post(server.url, message, f"{t}/RST/SCT/Renew"), boot, entropy


@pytest.mark.parametrize(
    "mockwcf_scenario,version", [(CUSTOM, "feb2005"), (WS2007, "1.3")], ids=["wssc-feb2005", "ws-sx-1.3"]
)
def test_renew_then_calls_on_the_new_generation_then_cancel(mockwcf_server, version):
    t, sc = sctclient.VERSIONS[version]
    session = _session(mockwcf_server, version=version)
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 200, resp.text
    resp, boot, entropy = _renew(mockwcf_server, session)
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    assert mockwcf_server.last().operation == "SecureConversation.renew"
    # the RSTR is secured by the bootstrap: keys derived from the renew message's EncryptedKey
    opened = client.open_reply(resp.content, boot.key, client.names_encrypted_key(boot), sc)
    assert opened.findtext(f".//{{{ns.WSA10}}}Action") == f"{t}/RSTR/SCT/Renew"
    renewed = client.read_rstr(opened, entropy, version)
    assert renewed.context_id == session.context_id and renewed.key != session.key
    assert etree.fromstring(renewed.sct_xml).findtext(f"{{{sc}}}Instance")  # the new key generation
    for _ in range(2):
        resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, renewed))
        assert resp.status_code == 200, resp.text
        opened = client.open_reply(resp.content, renewed.key, client.names_context(renewed), sc)
        assert opened.find(ECHO_RESULT).text == "hi"
    resp = _post(mockwcf_server.url, client.cancel(mockwcf_server.url, renewed), f"{t}/RST/SCT/Cancel")
    assert resp.status_code == 200, resp.text
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, renewed))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")


@pytest.mark.mockwcf_scenario(TWO_USERS)
@pytest.mark.parametrize(
    "mistake,code",
    [
        ({"sct": False, "endorse": None}, "SupportingTokenNotProvided"),
        ({"endorse": None}, "SupportingTokenIsNotEndorsing"),
        ({"endorse": "base"}, "SupportingSignatureIsNotDerivedFrom"),
        ({"endorse": "unknown"}, "UnableToResolveKeyInfoForVerifyingSignature"),
        ({"target": "urn:uuid:00000000-0000-0000-0000-000000000000"}, "BadRenewTarget"),
        ({"user": "bob"}, "WrongIdentityRenewingToken"),
        ({"user": "mallory"}, "UserNameAuthenticationFailed"),
    ],
    ids=[
        "no-sct",
        "not-endorsing",
        "sct-key-itself",
        "unknown-keyinfo",
        "other-target",
        "other-user",
        "bad-password",
    ],
)
def test_renew_mistakes_get_wcfs_codes_and_the_session_lives_on(mockwcf_server, mistake, code):
    session = _session(mockwcf_server)
    resp, _, _ = _renew(mockwcf_server, session, **mistake)
    assert resp.status_code == 500, resp.text
    mockwcf_server.assert_fault(code)
    assert b"Traceback" not in resp.content
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))  # the old key still works
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(CUSTOM)
def test_a_renew_with_a_cancelled_sct_is_not_registered(mockwcf_server):
    session = _session(mockwcf_server)
    resp = _post(mockwcf_server.url, client.cancel(mockwcf_server.url, session), f"{WST}/RST/SCT/Cancel")
    assert resp.status_code == 200, resp.text
    resp, _, _ = _renew(mockwcf_server, session)
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SecurityContextNotRegistered")
    assert b"BadContextToken" in resp.content


RENEWING = {
    **CUSTOM,
    "localServiceSettings": {"sessionKeyRenewalInterval": "00:05:00", "maxClockSkew": "00:30:00"},
}


@pytest.mark.mockwcf_scenario(RENEWING)
def test_renew_needed_then_renew_then_the_new_generation(mockwcf_server):
    """The key expires (sessionKeyRenewalInterval): the session channel answers wsc:RenewNeeded with WCF's
    SecureConversationFault action (SendRenewFault); the client renews over the bootstrap and goes on with the new
    generation, while the old, expired key still gets RenewNeeded (CheckIncomingToken)."""
    mockwcf_server.set_clock(offset="-00:06:00")  # the session starts 6 minutes ago, by the server's clock
    session = _session(mockwcf_server)
    assert _post(mockwcf_server.url, client.call(mockwcf_server.url, session)).status_code == 200
    mockwcf_server.set_clock()
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SecurityRenewFaultReason")
    # secured by the session (SendRenewFault -> SecureOutgoingMessage): Body signed and encrypted with keys derived
    # from the SCT, opened here with python-xmlsec
    assert b"RenewNeeded" not in resp.content
    opened = client.open_reply(resp.content, session.key, client.names_context(session))
    assert opened.findtext(f".//{{{ns.WSA10}}}Action") == ns.SECURITY_SESSION_FAULT_ACTION
    subcode = opened.find(f".//{{{ns.SOAP12}}}Subcode/{{{ns.SOAP12}}}Value")
    assert subcode is not None and subcode.text.endswith(":RenewNeeded")
    assert subcode.nsmap[subcode.text.split(":")[0]] == ns.WSC
    resp, boot, entropy = _renew(mockwcf_server, session)
    assert resp.status_code == 200, resp.text
    renewed = client.read_rstr(
        client.open_reply(resp.content, boot.key, client.names_encrypted_key(boot)), entropy
    )
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, renewed))
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SecurityRenewFaultReason")
