"""Cookie SCTs (requireCancellation false) and what WCF does not do for them: no Renew and no RenewNeeded.

WCF's cookie-mode issuer is AcceleratedTokenAuthenticator (ServiceCredentialsSecurityTokenManager
.CreateSecureConversationTokenAuthenticator), whose RstDirectFilter takes RST/SCT only: RST/SCT/Renew and
RST/SCT/Cancel reach the stateless security channel of the endpoint like any application message. The key is
never renewed (NegotiationTokenAuthenticator.IssueSecurityContextToken: key lifetime = token lifetime =
IssuedCookieLifetime) and RenewNeeded exists only in the session channel (ServerSecuritySessionChannel
.CheckIncomingToken), so sessionKeyRenewalInterval changes nothing; past IssuedCookieLifetime the cookie is expired
(SecurityContextSecurityTokenAuthenticator.IsTimeValid: SecurityContextExpired). WCF's own cookie-mode client
(AcceleratedTokenProvider, an IssuanceTokenProviderBase) never sends Renew: it issues a new SCT when 60% of the
token's life has passed. Driven by tests/sctclient.py and tests/sctmsgclient.py (lxml + python-xmlsec + OpenSSL)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from tests import sctclient
from tests import sctmsgclient as client
from tests.test_conversation_http import custom, issue, post
from tests.test_conversation_message import CUSTOM, SERVICE_PEM, _post, _session

T, SC = sctclient.VERSIONS["feb2005"]
TIMES = {
    "sessionKeyRenewalInterval": "00:05:00",
    "issuedCookieLifetime": "00:10:00",
    "maxClockSkew": "00:30:00",
}


def _cookie_message(**local: str) -> dict:
    security = {**CUSTOM["binding"]["security"], "requireCancellation": False}
    scenario = {**CUSTOM, "binding": {**CUSTOM["binding"], "security": security}}
    if local:
        scenario["localServiceSettings"] = dict(local)
    return scenario


def _cookie_transport(**local: str) -> dict:
    scenario = custom("UserNameOverTransport", require_cancellation=False)
    if local:
        scenario["localServiceSettings"] = dict(local)
    return scenario


def _fault_code(content: bytes) -> list[str]:
    root = etree.fromstring(content)
    return [v.text for v in root.iter("{http://www.w3.org/2003/05/soap-envelope}Value")]


@pytest.mark.mockwcf_scenario(_cookie_transport())
def test_over_transport_renew_and_cancel_reach_the_endpoint_not_an_issuer(mockwcf_server):
    session = issue(mockwcf_server)
    # WCF's renew shape (bootstrap UsernameToken + endorsing SCT): the steady state has no UserName authenticator
    renew, _ = sctclient.renew(session)
    resp = post(mockwcf_server, renew, f"{T}/RST/SCT/Renew")
    assert resp.status_code == 500
    mockwcf_server.assert_fault("UnableToFindTokenAuthenticator")
    assert any(c.endswith(":InvalidSecurity") for c in _fault_code(resp.content)), resp.text
    # the same body endorsed by the SCT alone passes security and finds no operation (ContractFilter)
    rst = re.search(r"<t:RequestSecurityToken.*</t:RequestSecurityToken>", renew, re.S).group(0)
    for action in (f"{T}/RST/SCT/Renew", f"{T}/RST/SCT/Cancel"):
        resp = post(mockwcf_server, sctclient.call(session, action, rst), action)
        assert resp.status_code == 500
        mockwcf_server.assert_fault("SFxNoEndpointMatchingContract")
        assert any(c.endswith(":ActionNotSupported") for c in _fault_code(resp.content)), resp.text
    resp = post(mockwcf_server, sctclient.call(session))  # nothing was renewed or cancelled: the cookie works
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(_cookie_message())
def test_over_message_security_a_renew_meets_the_steady_state_without_a_key_wrapping_token(mockwcf_server):
    session = _session(mockwcf_server)
    message, _, _ = client.renew_request(mockwcf_server.url, SERVICE_PEM, session)
    resp = _post(mockwcf_server.url, message, f"{T}/RST/SCT/Renew")
    assert resp.status_code == 500
    mockwcf_server.assert_fault("UnableToResolveKeyInfoForUnwrappingToken")
    assert any(c.endswith(":InvalidSecurity") for c in _fault_code(resp.content)), resp.text
    resp = _post(mockwcf_server.url, client.cancel(mockwcf_server.url, session), f"{T}/RST/SCT/Cancel")
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SFxNoEndpointMatchingContract")
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 200, resp.text


def _transport_call(server, session):
    return post(server, sctclient.call(session))


def _message_call(server, session):
    return _post(server.url, client.call(server.url, session))


@pytest.mark.parametrize(
    "mockwcf_scenario,start,send",
    [
        (_cookie_transport(**TIMES), issue, _transport_call),
        (_cookie_message(**TIMES), _session, _message_call),
    ],
    ids=["transport", "message"],
)
def test_no_renew_needed_for_cookies_then_expired_after_the_cookie_lifetime(mockwcf_server, start, send):
    mockwcf_server.set_clock(offset="-00:08:00")  # issued 8 minutes ago by the server's clock
    session = start(mockwcf_server)
    mockwcf_server.set_clock()  # 8 minutes > sessionKeyRenewalInterval (5): a session SCT would get RenewNeeded
    for _ in range(2):
        resp = send(mockwcf_server, session)
        assert resp.status_code == 200, resp.text
        mockwcf_server.assert_accepted()
    mockwcf_server.set_clock(offset="+00:03:00")  # 11 minutes > issuedCookieLifetime (10)
    resp = send(mockwcf_server, session)
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SecurityContextExpired")
    assert any(c.endswith(":BadContextToken") for c in _fault_code(resp.content)), resp.text
    assert b"RenewNeeded" not in resp.content
