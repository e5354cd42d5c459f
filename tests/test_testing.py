"""The fixture's assertions (mockwcf/testing.py, messages from mockwcf/nearmiss.py): each passes on what
happened, and fails with the exchanges that came closest and why each missed."""

from __future__ import annotations

import pytest
import requests

from mockwcf.testing import MockWcfAssertionError
from tests import wss


def _three(server) -> None:
    """accepted, wrong password, no security header, plus a WSDL fetch that the assertions leave out."""
    requests.get(server.wsdl_url, timeout=10)
    wss.post(server.url, wss.envelope(wss.security(wss.username_token())))
    wss.post(server.url, wss.envelope(wss.security(wss.username_token(password="wrong"))))
    wss.post(server.url, wss.envelope())


def test_assert_fault_any_and_nth(mockwcf_server):
    _three(mockwcf_server)
    entry = mockwcf_server.assert_fault("UserNameAuthenticationFailed")  # not the last one
    assert entry.reason.startswith("The credentials for user 'alice' were not accepted")
    assert mockwcf_server.assert_fault("UserNameAuthenticationFailed", nth=1) is entry
    mockwcf_server.assert_fault("UnableToFindSecurityHeaderInMessage", nth=-1)
    with pytest.raises(MockWcfAssertionError) as err:
        mockwcf_server.assert_fault("UserNameAuthenticationFailed", nth=0)
    msg = str(err.value)
    assert msg.startswith(
        "expected exchange [0] to be rejected with UserNameAuthenticationFailed; it was accepted"
    )
    assert "exchanges that were rejected with UserNameAuthenticationFailed:" in msg
    assert "Echo rejected UserNameAuthenticationFailed: The credentials for user 'alice'" in msg
    with pytest.raises(MockWcfAssertionError, match=r"there are only 3 exchange\(s\)"):
        mockwcf_server.assert_fault("UserNameAuthenticationFailed", nth=5)


def test_assert_fault_near_miss_lists_the_closest_exchanges(mockwcf_server):
    _three(mockwcf_server)
    with pytest.raises(MockWcfAssertionError) as err:
        mockwcf_server.assert_fault("TimeStampHasCreationTimeInFuture")
    lines = str(err.value).splitlines()
    assert lines[0] == (
        "expected an exchange rejected with TimeStampHasCreationTimeInFuture; none of the 3 exchange(s) was."
    )
    assert lines[1] == "closest exchanges:"
    # rejections first, the accepted exchange last, each with its reason
    assert "rejected" in lines[2] and "rejected" in lines[3] and lines[4].endswith("Echo accepted")
    assert any("UnableToFindSecurityHeaderInMessage: Security processor was unable" in line for line in lines)


def test_assert_fault_refuses_a_code_the_catalog_does_not_know(mockwcf_server):
    with pytest.raises(ValueError, match="did you mean TimeStampHasCreationTimeInFuture"):
        mockwcf_server.assert_fault("TimestampHasCreationTimeInFuture")
    with pytest.raises(ValueError, match="not a resource code in the catalog"):
        mockwcf_server.assert_fault("Nonsense")


def test_assert_count(mockwcf_server):
    _three(mockwcf_server)
    assert len(mockwcf_server.assert_count(3)) == 3
    mockwcf_server.assert_count(2, verdict="rejected", operation="Echo")
    mockwcf_server.assert_count(1, code="UserNameAuthenticationFailed")
    mockwcf_server.assert_count(1, verdict="served")
    first = mockwcf_server.journal[0].id
    mockwcf_server.assert_count(2, since=first)
    with pytest.raises(MockWcfAssertionError) as err:
        mockwcf_server.assert_count(2, verdict="accepted", operation="Echo")
    msg = str(err.value)
    assert msg.startswith("expected 2 exchange(s) matching verdict='accepted', operation='Echo'; found 1.")
    assert "closest exchanges that did not match:" in msg
    assert "<- verdict is 'rejected', not 'accepted'" in msg
    with pytest.raises(ValueError, match="colour: not a filter"):
        mockwcf_server.assert_count(1, colour="red")
    with pytest.raises(ValueError, match="verdict: 'ok' is not one of accepted, rejected, served"):
        mockwcf_server.assert_count(1, verdict="ok")


def test_assert_no_rejections(mockwcf_server):
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.username_token())))
    mockwcf_server.assert_no_rejections()
    requests.get(mockwcf_server.base_url + "/EchoService", timeout=10)  # a wrong path is a rejection too
    with pytest.raises(MockWcfAssertionError) as err:
        mockwcf_server.assert_no_rejections()
    msg = str(err.value)
    assert msg.startswith("expected no rejections; 1 of 2 exchange(s) were rejected.")
    assert "GET /EchoService rejected HTTP 404: No endpoint at /EchoService" in msg
