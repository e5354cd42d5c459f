"""mockwcf.clients.sct: the documented Python secure-conversation client, against a real server."""

from __future__ import annotations

import pytest

from mockwcf.clients.sct import SctClient

ECHO = '<Echo xmlns="http://tempuri.org/"><text>hi</text></Echo>'
ACTION = "http://tempuri.org/IEchoService/Echo"


@pytest.mark.mockwcf_scenario("seed003-session-sticky")
def test_issue_call_cancel_and_a_call_after_cancel(mockwcf_server):
    client = SctClient(mockwcf_server.url, "alice", "p@ssw0rd")
    assert client.issue()[0] == 200 and len(client.key) == 32 and client.context_id.startswith("urn:uuid:")
    status, reply = client.call(ECHO, ACTION)
    assert status == 200 and b"<EchoResult>hi</EchoResult>" in reply
    assert client.cancel()[0] == 200
    assert client.call(ECHO, ACTION)[0] == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession", nth=-1)


@pytest.mark.mockwcf_scenario("seed003-session-sticky")
def test_a_wrong_password_gets_no_token(mockwcf_server):
    client = SctClient(mockwcf_server.url, "alice", "wrong")
    assert client.issue()[0] == 500 and client.key == b""
    mockwcf_server.assert_fault("UserNameAuthenticationFailed")
