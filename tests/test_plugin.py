"""The pytest plugin, tested the way users meet it: a throw-away project run by pytester."""

from __future__ import annotations

import time

import pytest

from tests.conftest import SCENARIOS

pytest_plugins = ["pytester"]

PROJECT_TEST = f'''
import pytest, zeep
from zeep.wsse.username import UsernameToken

def test_default_scenario(mockwcf_server, mockwcf_wsdl_url):
    client = zeep.Client(mockwcf_wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd"))
    assert client.service.Echo(text="plugin") == "plugin"
    mockwcf_server.assert_accepted()

@pytest.mark.mockwcf_scenario("{SCENARIOS / "username-over-http.yaml"}")
def test_marker_and_assert_fault(mockwcf_server):
    client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "wrong"))
    with pytest.raises(zeep.exceptions.Fault):
        client.service.Echo(text="x")
    mockwcf_server.assert_fault("UserNameAuthenticationFailed")
    assert len(mockwcf_server.journal) == 1  # reset between tests

class TestDictScenario:
    @pytest.fixture
    def mockwcf_scenario(self):
        return {{"binding": {{"type": "basicHttpBinding"}}, "name": "from-dict"}}

    def test_dict_scenario_and_clock(self, mockwcf_server, mockwcf_journal):
        assert mockwcf_server.admin("GET", "health")["scenario"] == "from-dict"
        mockwcf_server.set_clock(offset="+00:07:00")
        assert mockwcf_server.admin("GET", "clock") == {{"offset": "+00:07:00"}}
        assert len(mockwcf_journal) == 0

def test_near_misses_in_failure_message(mockwcf_server):
    client = zeep.Client(mockwcf_server.wsdl_url)
    with pytest.raises(zeep.exceptions.Fault):
        client.service.Echo(text="x")
    mockwcf_server.assert_accepted()
'''


def test_plugin_in_a_throwaway_project(pytester):
    pytester.makepyfile(test_project=PROJECT_TEST)
    result = pytester.runpytest_subprocess("-p", "mockwcf", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    out = result.stdout.str()
    assert "expected the last exchange to be accepted, it was #" in out
    assert "recent exchanges:" in out
    assert "Echo rejected UnableToFindSecurityHeaderInMessage: Security processor was unable" in out


def test_plugin_with_xdist_workers(pytester):
    pytester.makepyfile(test_project=PROJECT_TEST.split("def test_near_misses")[0])
    result = pytester.runpytest_subprocess("-p", "mockwcf", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_scenario_switch_is_fast(mockwcf_server):
    durations = []
    for name in ("username-over-http.yaml", "unsecured.yaml", "seed001-mutual-certificate.yaml") * 3:
        start = time.perf_counter()
        mockwcf_server.load(SCENARIOS / name)
        durations.append(time.perf_counter() - start)
    durations.sort()
    print(f"scenario switch median {durations[len(durations) // 2] * 1000:.1f} ms")
    assert mockwcf_server.admin("GET", "health")["scenario"] == "seed001-mutual-certificate"


@pytest.mark.mockwcf_scenario(SCENARIOS / "unsecured.yaml")
def test_server_errors_are_reraised_in_the_test(mockwcf_server):
    from mockwcf.testing import MockWcfAssertionError

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    original = mockwcf_server.runtime.active.contract.dispatch
    mockwcf_server.runtime.active.contract.dispatch = broken
    try:
        from tests import wss

        resp = wss.post(mockwcf_server.url, wss.envelope())
        assert resp.status_code == 500 and b"InternalServiceFault" in resp.content
        assert b"Traceback" not in resp.content and b"boom" not in resp.content.split(b"<detail>")[0]
        with pytest.raises(MockWcfAssertionError, match="RuntimeError: boom"):
            mockwcf_server.raise_server_errors()
    finally:
        mockwcf_server.runtime.active.contract.dispatch = original
        mockwcf_server.reset()


def test_a_broken_mockwcf_never_breaks_a_run_that_does_not_use_it(pytester, monkeypatch):
    """The plugin is loaded into every pytest run of the environment. With Spyne unimportable (as on
    Python 3.12 before compat.py), tests that do not use mockwcf pass and its fixtures say why."""
    broken = pytester.mkdir("broken")
    (broken / "spyne").mkdir()
    (broken / "spyne" / "__init__.py").write_text(
        "raise ImportError('No module named spyne.util.six.moves')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(broken))
    pytester.makepyfile(
        test_other="def test_unrelated():\n    assert 1 + 1 == 2\n",
        test_user="def test_uses_it(mockwcf_server):\n    pass\n",
    )
    result = pytester.runpytest_subprocess("-p", "mockwcf", "-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*mockwcf cannot start on Python 3.*: ImportError: No module named spyne.util.six.moves*"]
    )
    assert "Error while loading plugin" not in result.stdout.str() + result.stderr.str()
