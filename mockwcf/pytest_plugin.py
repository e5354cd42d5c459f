"""pytest plugin (entry point `pytest11 = mockwcf`).

Like pytest-httpserver: one server per test session (per xdist worker, on a free port), reset before
every test. A test picks its scenario with the `mockwcf_scenario` marker or by overriding the
`mockwcf_scenario` fixture (a path or a dict); the default is the built-in scenario.

    @pytest.mark.mockwcf_scenario("scenarios/clock-skew.yaml")
    def test_skew(mockwcf_server):
        client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd"))
        ...
        mockwcf_server.assert_fault("TimeStampHasCreationTimeInFuture")
        mockwcf_server.assert_count(1, verdict="rejected")

`assert_fault(code, nth=None)`, `assert_count(n, **filters)` and `assert_no_rejections()` fail with the
exchanges that came closest and why each missed (testing.py, nearmiss.py).

A scenario is a packaged name (`"clock-skew-client-ahead"`), a file path or a dict. Relative file paths
and a dict's relative certificate paths resolve against --mockwcf-base-dir (default: pytest's rootdir);
paths inside a scenario file resolve against that file.

Options: --mockwcf-host / MOCKWCF_HOST, --mockwcf-port / MOCKWCF_PORT (default 0, a free port),
--mockwcf-base-dir, --mockwcf-admin-token / MOCKWCF_ADMIN_TOKEN (off loopback;
generated when absent). HTTPS scenarios get their own session server, started on first use.

This module is loaded into every pytest run of an environment where mockwcf is installed, so at import
it needs nothing but pytest: mockwcf itself (Spyne, Twisted, lxml) is imported when a fixture is first
used, and if that fails the fixture fails with the reason. A run that never uses mockwcf never notices.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockwcf.scenario import Scenario
    from mockwcf.testing import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockwcf")
    group.addoption(
        "--mockwcf-host",
        default=os.environ.get("MOCKWCF_HOST", "127.0.0.1"),
        help="interface the mock server listens on",
    )
    group.addoption(
        "--mockwcf-port",
        type=int,
        default=int(os.environ.get("MOCKWCF_PORT", "0") or 0),
        help="port of the mock server (0: a free port; with xdist every worker adds its number)",
    )
    group.addoption(
        "--mockwcf-base-dir",
        default=None,
        help="directory that relative scenario paths (marker, fixture, dict scenarios) resolve against "
        "(default: the rootdir)",
    )
    group.addoption(
        "--mockwcf-admin-token",
        default=os.environ.get("MOCKWCF_ADMIN_TOKEN"),
        help="admin API token when the host is not loopback (default: generated; mockwcf_server.admin sends it)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockwcf_scenario(scenario): the scenario for this test (packaged name, path or dict)",
    )


def _import_failure() -> str | None:
    """None when mockwcf can run here; else what went wrong and how to fix it."""
    try:
        import mockwcf.testing  # noqa: F401 - imports Spyne, Twisted, lxml: everything a server needs
    except Exception as exc:  # noqa: BLE001 - any import failure must become a message, not a crash
        from mockwcf import compat

        fixes = compat.missing() or [
            "reinstall it (pip install --force-reinstall mockwcf) or report the error above"
        ]
        return (
            f"mockwcf cannot start on Python {sys.version.split()[0]}: {type(exc).__name__}: {exc}; "
            + "; ".join(fixes)
        )
    return None


class _Servers:
    """The session's servers: one for plain HTTP scenarios, one for HTTPS ones, made on first use."""

    def __init__(self, host: str, port: int, base_dir: Path, admin_token: str | None = None) -> None:
        self.host, self.port, self.base_dir, self.admin_token = host, port, base_dir, admin_token
        self.servers: dict[bool, MockServer] = {}

    def for_scenario(self, scenario: Scenario) -> MockServer:
        from mockwcf.testing import MockServer

        https = scenario.binding.https
        srv = self.servers.get(https)
        if srv is None:
            port = self.port + (1 if https and self.port else 0)
            srv = MockServer.start(scenario, self.host, port, self.admin_token)
            srv.runtime.base_dir = self.base_dir
            self.servers[https] = srv
        else:
            srv.load(scenario)
        return srv

    def stop(self) -> None:
        for srv in self.servers.values():
            srv.stop()


@pytest.fixture(scope="session")
def _mockwcf_servers(request: pytest.FixtureRequest) -> Iterator[_Servers]:
    failure = _import_failure()
    if failure:
        pytest.fail(failure, pytrace=False)
    host = request.config.getoption("--mockwcf-host")
    port = request.config.getoption("--mockwcf-port")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if port and worker.startswith("gw"):
        port += 2 * int(worker[2:])
    rootdir = Path(str(request.config.rootpath))
    base = request.config.getoption("--mockwcf-base-dir")
    servers = _Servers(
        host, port, rootdir / base if base else rootdir, request.config.getoption("--mockwcf-admin-token")
    )
    yield servers
    servers.stop()


@pytest.fixture
def mockwcf_scenario(request: pytest.FixtureRequest) -> Any:
    """Override this fixture, or use the marker, to choose the scenario; None = the built-in one."""
    marker = request.node.get_closest_marker("mockwcf_scenario")
    return marker.args[0] if marker else None


def _resolve(spec: Any, base_dir: Path) -> Scenario:
    from mockwcf import locate
    from mockwcf.scenario import Scenario, ScenarioError, load, load_builtin, load_dict

    try:
        if spec is None:
            return load_builtin()
        if isinstance(spec, Scenario):
            return spec
        if isinstance(spec, dict):
            return load_dict(spec, base_dir)
        return load(locate.resolve(spec, base_dir))
    except (ScenarioError, locate.NotFound) as exc:
        pytest.fail(f"mockwcf_scenario: {exc}", pytrace=False)


@pytest.fixture
def mockwcf_server(
    _mockwcf_servers: _Servers, mockwcf_scenario: Any, request: pytest.FixtureRequest
) -> Iterator[MockServer]:
    """The session server, switched to this test's scenario with journal, caches, clock and counters reset."""
    scenario = _resolve(mockwcf_scenario, _mockwcf_servers.base_dir)
    srv = _mockwcf_servers.for_scenario(scenario)
    yield srv
    srv.raise_server_errors()


@pytest.fixture
def mockwcf_url(mockwcf_server: MockServer) -> str:
    return mockwcf_server.url


@pytest.fixture
def mockwcf_wsdl_url(mockwcf_server: MockServer) -> str:
    return mockwcf_server.wsdl_url


@pytest.fixture
def mockwcf_journal(mockwcf_server: MockServer) -> Any:
    """The live journal: call it (or read `.entries()`) after the exchange."""
    return mockwcf_server.runtime.journal


@pytest.fixture
def mockwcf_certs(mockwcf_server: MockServer) -> dict[str, Any]:
    """Paths of the scenario's certificates (service certificate and key, trusted CAs and people) and
    `pki`: the directory of the service certificate, where a test PKI keeps client.pem and client.key."""
    s = mockwcf_server.runtime.scenario
    anchor = s.service_certificate or next(iter(s.trusted_certificates + s.trusted_people), None)
    return {
        "serviceCertificate": s.service_certificate,
        "serviceKey": s.service_key,
        "trustedCertificates": list(s.trusted_certificates),
        "trustedPeople": list(s.trusted_people),
        "pki": anchor.parent if anchor else None,
    }


KDC_USERS = (("alice", "Wonderland1!"), ("bob", "Builder2!"))


@pytest.fixture(scope="session")
def mockwcf_kdc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A throw-away MIT KDC on loopback (realm MOCKWCF.TEST, service HTTP/localhost in `.keytab`, users
    alice / bob with the passwords in KDC_USERS; HTTP/wrong.localhost is known to the KDC but its keytab key
    is another account's). Its krb5.conf is in `.env`, never the machine's."""
    from mockwcf.transport import kdc

    realm = kdc.start(
        tmp_path_factory.mktemp("kdc"),
        users=tuple(kdc.Principal(u, p) for u, p in KDC_USERS),
        wrong_account_hosts=("wrong.localhost",),
    )
    try:
        yield realm
    finally:
        realm.stop()
