"""Several endpoints in one server (host.py), as a WCF service host has: `mockwcf serve a.yaml b.yaml`
serves each at its own path with its own binding; one journal names the endpoint; the admin API acts on
the whole host. Real `mockwcf serve` processes and real requests on loopback."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml

from mockwcf.config import load_text_all
from tests import wss
from tests.cli_helpers import BIN, serve, stop
from tests.conftest import CERTS, SCENARIOS

PLAIN, USER = "/plain.svc", "/user.svc"


def copy(src: Path, directory: Path, path: str, name: str | None = None) -> Path:
    """A shipped scenario with its own service.path (and name), written into `directory`."""
    data = yaml.safe_load(src.read_text())
    data.setdefault("service", {})["path"] = path
    if name:
        data["name"] = name
    out = directory / f"{name or src.stem}{path.replace('/', '_')}.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def secured(text: str = "hi") -> str:
    return wss.envelope(wss.security(wss.timestamp(), wss.username_token()), text=text)


class Server:
    """A `mockwcf serve` process whose console lines (stdout) and messages (stderr) are collected."""

    def __init__(self, args: list[str]) -> None:
        self.proc, base, _ = serve(args)
        self.base = base.rstrip("/")
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(
                target=lambda s=stream, k=sink: k.extend(iter(s.readline, "")), daemon=True
            ).start()

    def admin(self, method: str, what: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.base}/_mockwcf/{what}", timeout=10, **kw)

    def exchanges(self, query: str = "") -> list[dict]:
        resp = self.admin("GET", "exchanges" + query)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def until(self, predicate, what: str, limit: float = 15.0) -> None:
        deadline = time.monotonic() + limit
        while not predicate():
            assert time.monotonic() < deadline, f"gave up waiting for {what}: {self.out} {self.err}"
            time.sleep(0.1)


@pytest.fixture
def two(tmp_path):
    """unsecured.yaml at /plain.svc and username-over-http.yaml at /user.svc, in one server."""
    a = copy(SCENARIOS / "unsecured.yaml", tmp_path, PLAIN)
    b = copy(SCENARIOS / "username-over-http.yaml", tmp_path, USER)
    server = Server([str(a), str(b), "--port", "0"])
    server.files = (a, b)
    yield server
    stop(server.proc)


def test_each_endpoint_answers_with_its_own_binding_and_the_journal_names_it(two):
    plain, user = two.base + PLAIN, two.base + USER
    assert wss.post(plain, wss.envelope()).status_code == 200  # basicHttpBinding, no security
    refused = wss.post(user, wss.envelope())  # the UserName endpoint needs its wsse:Security header
    assert refused.status_code == 500, refused.text
    assert wss.post(user, secured()).status_code == 200, "UsernameToken accepted at /user.svc"
    # unsecured's binding does not understand a mustUnderstand wsse:Security header; the other does
    not_understood = wss.post(plain, secured())
    assert not_understood.status_code == 500 and b"MustUnderstand" in not_understood.content

    entries = two.exchanges()
    assert [(e["endpoint"], e["verdict"]) for e in entries] == [
        (PLAIN, "accepted"),
        (USER, "rejected"),
        (USER, "accepted"),
        (PLAIN, "rejected"),
    ]
    assert entries[1]["resourceCode"] and entries[1]["resourceCode"] != entries[3]["resourceCode"]
    assert [e["id"] for e in two.exchanges(f"?endpoint={USER}")] == [entries[1]["id"], entries[2]["id"]]
    opened = two.admin("GET", f"page/exchange/{entries[1]['id']}").text  # the journal page names it too
    assert f"<dt>endpoint</dt><dd>{USER}</dd>" in opened
    cli = subprocess.run(
        [str(BIN / "mockwcf"), "journal", two.base, "--endpoint", PLAIN, "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert [e["id"] for e in json.loads(cli.stdout)] == [entries[0]["id"], entries[3]["id"]], cli.stderr
    # the console line names the endpoint when a server has several
    two.until(lambda: len([line for line in two.out if " Echo " in line]) >= 4, "four console lines")
    echo_lines = [line for line in two.out if " Echo " in line]
    assert f"{PLAIN} Echo" in echo_lines[0] and "ACCEPT" in echo_lines[0], echo_lines
    assert f"{USER} Echo" in echo_lines[1] and "REJECT" in echo_lines[1], echo_lines


def test_wsdl_help_health_and_404_per_endpoint(two):
    for path, other in ((PLAIN, USER), (USER, PLAIN)):
        wsdl = requests.get(f"{two.base}{path}?wsdl", timeout=10)
        assert wsdl.status_code == 200
        assert f'location="{two.base}{path}"'.encode() in wsdl.content
        assert f"{two.base}{other}".encode() not in wsdl.content
    user_wsdl = requests.get(f"{two.base}{USER}?singleWsdl", timeout=10).content
    assert (
        b"UsernameToken" in user_wsdl
        and b"UsernameToken" not in requests.get(f"{two.base}{PLAIN}?wsdl").content
    )
    health = two.admin("GET", "health").json()
    assert [(e["path"], e["scenario"]) for e in health["endpoints"]] == [
        (PLAIN, "unsecured"),
        (USER, "username-over-http"),
    ]
    missing = requests.post(two.base + "/Nope.svc", data=b"<x/>", timeout=10)
    assert missing.status_code == 404
    assert f"POST {PLAIN} (SOAP 1.1, basicHttpBinding" in missing.text
    assert f"POST {USER} (SOAP 1.1, basicHttpBinding" in missing.text
    assert [e["endpoint"] for e in two.exchanges()] == [PLAIN, USER, USER, PLAIN, None]
    out = subprocess.run(
        [str(BIN / "mockwcf"), "health", "--url", two.base], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and f"{PLAIN}: scenario unsecured" in out.stdout
    assert f"{USER}: scenario username-over-http" in out.stdout, out.stdout
    two.until(lambda: sum("?wsdl (basicHttpBinding)" in line for line in two.out) == 2, "the banner")


def test_admin_acts_on_the_whole_host_and_put_replaces_the_endpoint_at_its_path(two):
    wss.post(two.base + PLAIN, wss.envelope())
    wss.post(two.base + USER, secured())
    assert two.admin("POST", "clock", json={"offset": "-00:20:00"}).status_code == 200
    # the host has one clock: /user.svc now finds a Timestamp created "now" 20 minutes in the future
    early = wss.post(two.base + USER, secured())
    assert early.status_code == 500
    assert two.exchanges()[-1]["resourceCode"] == "TimeStampHasCreationTimeInFuture"
    assert two.admin("POST", "reset").status_code == 200
    assert two.exchanges() == []  # one journal: reset empties it for every endpoint
    assert two.admin("GET", "clock").json() == {"offset": "-00:20:00"}  # reset keeps the clock, as before
    # nodes are the host's: node 1 restarts at every endpoint; there is no node 2
    assert two.admin("POST", "nodes/1/restart").json() == {"status": "restarted", "node": 1}
    missing_node = two.admin("POST", "nodes/2/restart")
    assert missing_node.status_code == 404 and "node(s) 1" in missing_node.json()["error"]
    assert two.admin("GET", "sessions").json() == {"1": []}

    replacement = yaml.safe_load(two.files[0].read_text())
    replacement["name"] = "renamed-plain"
    put = two.admin("PUT", "scenario", data=yaml.safe_dump(replacement))
    assert put.status_code == 200 and put.json()["replaced"] == [PLAIN], put.text
    health = two.admin("GET", "health").json()["endpoints"]
    assert [(e["path"], e["scenario"]) for e in health] == [
        (PLAIN, "renamed-plain"),
        (USER, "username-over-http"),
    ]
    assert "renamed-plain" in two.admin("GET", f"scenario?endpoint={PLAIN}").text
    assert "username-over-http" in two.admin("GET", f"scenario?endpoint={USER}").text
    replacement["service"]["path"] = "/elsewhere.svc"
    refused = two.admin("PUT", "scenario", data=yaml.safe_dump(replacement))
    assert refused.status_code == 400
    assert PLAIN in refused.json()["problems"][0] and USER in refused.json()["problems"][0]


def test_two_files_with_one_path_or_two_schemes_are_a_load_error(tmp_path):
    a = copy(SCENARIOS / "unsecured.yaml", tmp_path, PLAIN, name="a")
    b = copy(SCENARIOS / "username-over-http.yaml", tmp_path, PLAIN + "/", name="b")
    run = subprocess.run(
        [str(BIN / "mockwcf"), "serve", str(a), str(b), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert str(a) in run.stderr and str(b) in run.stderr and "own service.path" in run.stderr, run.stderr
    https = copy(SCENARIOS / "basichttp-username-transport.yaml", tmp_path, "/tls.svc")
    data = yaml.safe_load(https.read_text())
    data["credentials"]["serviceCertificate"] = {
        "certificate": str(CERTS / "service.pem"),
        "privateKey": str(CERTS / "service.key"),
    }
    https.write_text(yaml.safe_dump(data))
    run = subprocess.run(
        [str(BIN / "mockwcf"), "serve", str(a), str(https), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "plain HTTP" in run.stderr and str(https) in run.stderr, run.stderr


ENDPOINTS = """\
name: two-bindings
service:
  operations:
    - name: Echo
      input: {text: string}
      output: {EchoResult: string}
credentials:
  userNameAuthentication:
    users: {alice: "p@ssw0rd"}
endpoints:
  - path: /plain.svc
    binding: {type: basicHttpBinding}
  - path: /user.svc
    name: two-bindings-user
    binding:
      type: basicHttpBinding
      security: {mode: TransportWithMessageCredential, clientCredentialType: UserName, allowInsecureTransport: true}
"""


def test_a_scenario_with_several_endpoints_serves_each(tmp_path):
    path = tmp_path / "host.yaml"
    path.write_text(ENDPOINTS)
    check = subprocess.run(
        [str(BIN / "mockwcf"), "validate", str(path)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0 and "ok (2 endpoints)" in check.stdout, check.stdout + check.stderr
    server = Server([str(path), "--port", "0", "--quiet"])
    try:
        assert wss.post(server.base + PLAIN, wss.envelope()).status_code == 200
        assert wss.post(server.base + USER, wss.envelope()).status_code == 500
        assert wss.post(server.base + USER, secured()).status_code == 200
        health = server.admin("GET", "health").json()["endpoints"]
        assert [(e["path"], e["scenario"]) for e in health] == [
            (PLAIN, "two-bindings"),
            (USER, "two-bindings-user"),
        ]
    finally:
        stop(server.proc)
    # a mistake inside an endpoint names its line; verify (one endpoint) says why it cannot take the file
    path.write_text(ENDPOINTS.replace("type: basicHttpBinding}", "type: basicHttpBindin}"))
    bad = subprocess.run(
        [str(BIN / "mockwcf"), "validate", str(path)], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1 and f"{path}:12: endpoints[0].binding.type:" in bad.stderr, bad.stderr
    path.write_text(ENDPOINTS)
    request = tmp_path / "req.xml"
    request.write_text(wss.envelope())
    one = subprocess.run(
        [str(BIN / "mockwcf"), "verify", str(path), str(request)], capture_output=True, text=True, timeout=60
    )
    assert (
        one.returncode != 0
        and f"{path}:11: endpoints: a scenario with several endpoints" in one.stderr
        and "Traceback" not in one.stderr
    )


def test_watch_reloads_each_file_into_its_own_endpoint(tmp_path):
    a = copy(SCENARIOS / "unsecured.yaml", tmp_path, PLAIN)
    b = copy(SCENARIOS / "username-over-http.yaml", tmp_path, USER)
    server = Server([str(a), str(b), "--port", "0", "--quiet", "--watch"])

    def names() -> list[tuple[str, str]]:
        return [(e["path"], e["scenario"]) for e in server.admin("GET", "health").json()["endpoints"]]

    try:
        server.until(
            lambda: all(f"watching {p} for changes" in "".join(server.out) for p in (a, b)), "banner"
        )
        data = yaml.safe_load(b.read_text())
        data["name"] = "edited"
        b.write_text(yaml.safe_dump(data))
        server.until(lambda: names() == [(PLAIN, "unsecured"), (USER, "edited")], "the edit of b")
        data["service"]["path"] = PLAIN  # now it collides with a.yaml: kept, and both files named
        b.write_text(yaml.safe_dump(data))
        server.until(
            lambda: any("kept the running scenario 'edited'" in line for line in server.err), "refusal"
        )
        assert any(str(a) in line and str(b) in line for line in server.err), server.err
        assert names() == [(PLAIN, "unsecured"), (USER, "edited")]
        assert wss.post(server.base + USER, secured()).status_code == 200
    finally:
        stop(server.proc)


def test_the_readme_example_has_two_endpoints():
    text = (SCENARIOS.parent / "README.md").read_text()
    block = (
        text.split("### Several endpoints in one server", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    )
    endpoints = load_text_all(block, "README.md", SCENARIOS)
    assert [(s.service.path, s.binding.message_security) for s in endpoints] == [
        ("/EchoService.svc/plain", False),
        ("/EchoService.svc/user", True),
    ]


def test_replacing_endpoints_keeps_the_hosts_journal_console_and_base_dir(tmp_path):
    """A PUT with `endpoints:` replaces them all; a file reload replaces only its own endpoints; what the
    host shares survives even when the first endpoint is a new one."""
    from mockwcf.config import load
    from mockwcf.host import Host, HostError

    host = Host.of([load(copy(SCENARIOS / "unsecured.yaml", tmp_path, "/old.svc"))])
    journal, listeners = host.journal, host.listeners
    listeners.append(print)
    host.base_dir = tmp_path
    assert host.put(load_text_all(ENDPOINTS, "<PUT>", tmp_path)) == ["/old.svc"]
    assert host.paths() == [PLAIN, USER]
    assert [(rt.journal, rt.listeners, rt.base_dir) for rt in host.endpoints] == [
        (journal, listeners, tmp_path)
    ] * 2
    single = load(copy(SCENARIOS / "unsecured.yaml", tmp_path, USER, name="solo"))
    assert host.reload(single.source, [single]) == [USER]  # not from that file: replaces by path
    assert [rt.scenario.name for rt in host.endpoints] == ["two-bindings", "solo"]
    with pytest.raises(HostError, match="own service.path"):
        host.reload("<PUT>", [single, single])  # both endpoints of the PUT would be at one path
    assert host.paths() == [PLAIN, USER]
