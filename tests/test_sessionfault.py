"""Which session faults WCF secures (mockwcf/security/sessionfault.py): RenewNeeded goes out through the session's
SecureOutgoingMessage (ServerSecuritySessionChannel.SendRenewFault) — a Timestamp over transport, a signature (and,
when the contract encrypts, encryption) with keys derived from the SCT over Message security — while BadContextToken
and the other failures are sent in clear (SendFaultIfRequired, SecuritySessionDemuxFailureHandler). Opened with
python-xmlsec by tests/sctmsgclient.py; transport conversations from tests/sctclient.py."""

from __future__ import annotations

import pytest
from lxml import etree

from mockwcf import ns
from tests import sctclient
from tests import sctmsgclient as client
from tests.test_conversation_http import custom, issue, post
from tests.test_conversation_message import CUSTOM, _post, _session

T, SC = sctclient.VERSIONS["feb2005"]
SOAP = ns.SOAP12
LOCAL = {"sessionKeyRenewalInterval": "00:05:00", "maxClockSkew": "00:30:00"}


def _subcode(root: etree._Element) -> tuple[str, str]:
    value = root.find(f".//{{{SOAP}}}Subcode/{{{SOAP}}}Value")
    prefix, _, name = value.text.partition(":")
    return value.nsmap[prefix], name


def _security(root: etree._Element) -> etree._Element | None:
    return root.find(f"{{{SOAP}}}Header/{{{ns.WSSE}}}Security")


@pytest.mark.mockwcf_scenario({**custom("UserNameOverTransport"), "localServiceSettings": LOCAL})
def test_over_transport_renew_needed_carries_the_sessions_timestamp_and_bad_context_token_none(
    mockwcf_server,
):
    mockwcf_server.set_clock(offset="-00:06:00")
    session = issue(mockwcf_server)
    assert post(mockwcf_server, sctclient.call(session)).status_code == 200  # established 6 minutes ago
    mockwcf_server.set_clock()
    resp = post(mockwcf_server, sctclient.call(session))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SecurityRenewFaultReason")
    root = etree.fromstring(resp.content)
    assert root.findtext(f".//{{{ns.WSA10}}}Action") == ns.SECURITY_SESSION_FAULT_ACTION
    assert _subcode(root) == (ns.WSC, "RenewNeeded")
    sec = _security(root)
    assert sec is not None and [c.tag for c in sec] == [f"{{{ns.WSU}}}Timestamp"]
    resp = post(mockwcf_server, sctclient.cancel(session), f"{T}/RST/SCT/Cancel")  # Close needs no renewal
    assert resp.status_code == 200, resp.text
    resp = post(mockwcf_server, sctclient.call(session))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")
    root = etree.fromstring(resp.content)
    assert _subcode(root) == (SC, "BadContextToken") and _security(root) is None


SIGN = {
    **CUSTOM,
    "binding": {
        **CUSTOM["binding"],
        "security": {**CUSTOM["binding"]["security"], "protectionLevel": "Sign"},
    },
    "localServiceSettings": LOCAL,
}


@pytest.mark.mockwcf_scenario(SIGN)
def test_at_sign_renew_needed_is_signed_with_the_sct_and_not_encrypted(mockwcf_server):
    mockwcf_server.set_clock(offset="-00:06:00")
    session = _session(mockwcf_server)
    first = client.call(mockwcf_server.url, session, encrypt_body=False)
    assert _post(mockwcf_server.url, first).status_code == 200  # established 6 minutes ago
    mockwcf_server.set_clock()
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session, encrypt_body=False))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SecurityRenewFaultReason")
    # HMAC by a key derived from the SCT, verified by python-xmlsec; the Body signed in clear
    opened = client.open_reply(resp.content, session.key, client.names_context(session), encrypted=False)
    assert opened.findtext(f".//{{{ns.WSA10}}}Action") == ns.SECURITY_SESSION_FAULT_ACTION
    assert _subcode(opened) == (ns.WSC, "RenewNeeded")


@pytest.mark.mockwcf_scenario(CUSTOM)
def test_over_message_security_bad_context_token_is_sent_in_clear(mockwcf_server):
    session = _session(mockwcf_server)
    resp = _post(mockwcf_server.url, client.cancel(mockwcf_server.url, session), f"{T}/RST/SCT/Cancel")
    assert resp.status_code == 200, resp.text
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")
    root = etree.fromstring(resp.content)
    assert _subcode(root) == (SC, "BadContextToken") and _security(root) is None
