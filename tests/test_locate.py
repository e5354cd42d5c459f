"""Packaged scenarios by name, the test PKI made for them, and where relative paths resolve."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
import zeep

from mockwcf import locate
from mockwcf.clients.zeep import WcfSignature
from mockwcf.scenario import ScenarioError
from tests.cli_helpers import serve, stop
from tests.conftest import CERTS, REPO, SCENARIOS

MOCKWCF = str(Path(sys.executable).parent / "mockwcf")


def test_every_shipped_scenario_is_packaged_with_its_description():
    shipped = {p.stem: yaml.safe_load(p.read_text())["description"] for p in SCENARIOS.glob("*.yaml")}
    assert locate.packaged() == dict(sorted(shipped.items()))
    out = subprocess.run([MOCKWCF, "scenarios"], capture_output=True, text=True, timeout=60).stdout
    for name, description in shipped.items():
        assert any(line.split(None, 1) == [name, description] for line in out.splitlines()), name


def test_a_name_resolves_to_a_copy_in_the_mockwcf_home_with_its_test_pki(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKWCF_HOME", str(tmp_path / "home"))
    said: list[str] = []
    path = locate.resolve("seed001-mutual-certificate", say=said.append)
    assert path == tmp_path / "home" / "scenarios" / "seed001-mutual-certificate.yaml"
    assert (tmp_path / "home" / "certs" / "client.pem").is_file()
    assert said == [
        f"mockwcf: made a throw-away test PKI in {tmp_path / 'home' / 'certs'} for packaged scenario "
        "'seed001-mutual-certificate' (its certificates were absent); clients use client.pem/client.key from there"
    ]
    before = (tmp_path / "home" / "certs" / "ca.pem").read_bytes()
    assert locate.resolve("seed001-mutual-certificate.yaml", say=said.append) == path
    assert len(said) == 1 and (tmp_path / "home" / "certs" / "ca.pem").read_bytes() == before  # made once
    # a file wins over a name, relative to the base given
    (tmp_path / "default").write_text("x")
    assert locate.resolve("default", base=tmp_path) == tmp_path / "default"
    with pytest.raises(
        locate.NotFound, match=r"no packaged scenario named 'clock-skwe' \(did you mean 'clock-skew'\?\)"
    ):
        locate.resolve("clock-skwe", base=tmp_path)


def test_serve_by_name_makes_the_pki_says_so_and_a_signed_call_is_accepted(tmp_path):
    home = tmp_path / "home"
    proc, base, _ = serve(
        ["mutual-certificate-strict", "--port", "0", "--quiet"], env={"MOCKWCF_HOME": str(home)}
    )
    try:
        pki = home / "certs"
        wsse = WcfSignature(pki / "client.key", pki / "client.pem", service_certificate=pki / "service.pem")
        client = zeep.Client(base + "EchoService.svc?wsdl", wsse=wsse)
        assert client.service.Echo(text="packaged") == "packaged"
    finally:
        stop(proc)
    assert (
        f"made a throw-away test PKI in {pki} for packaged scenario 'mutual-certificate-strict'"
        in proc.stderr.read()
    )


def test_serve_make_certs_fills_an_empty_certificate_directory(tmp_path):
    """The Docker image's case: a mounted scenario whose ../certs/ is empty."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "certs").mkdir()
    scenario = tmp_path / "scenarios" / "seed.yaml"
    scenario.write_text((SCENARIOS / "seed001-mutual-certificate.yaml").read_text())
    failed = subprocess.run(
        [MOCKWCF, "serve", str(scenario), "--port", "0"], capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 2 and "file not found" in failed.stderr
    assert (
        f"relative paths resolve against the scenario's directory {tmp_path / 'scenarios'}" in failed.stderr
    )
    proc, _, _ = serve([str(scenario), "--port", "0"], env={"MOCKWCF_MAKE_CERTS": "1"})
    stop(proc)
    assert f"made a throw-away test PKI in {tmp_path / 'certs'} for {scenario}" in proc.stderr.read()
    assert (tmp_path / "certs" / "service.pem").is_file()


def _put(base: str, text: str) -> tuple[int, str]:
    req = urllib.request.Request(base + "_mockwcf/scenario", data=text.encode(), method="PUT")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_put_scenario_resolves_against_the_base_directory(tmp_path):
    started = tmp_path / "started"
    started.mkdir()
    (started / "ca.pem").write_bytes((CERTS / "ca.pem").read_bytes())
    (started / "s.yaml").write_text("name: started\n")
    put = "name: put\ncredentials:\n  clientCertificate:\n    trustedCertificates: [ca.pem]\n"
    proc, base, _ = serve([str(started / "s.yaml"), "--port", "0", "--quiet"], cwd=REPO)
    try:
        assert _put(base, put)[0] == 200  # against the directory of the scenario it started with
    finally:
        stop(proc)
    other = tmp_path / "other"
    other.mkdir()
    proc, base, _ = serve([str(started / "s.yaml"), "--port", "0", "--quiet", "--base-dir", str(other)])
    try:
        status, body = _put(base, put)
        assert status == 400
        assert f"relative paths resolve against the base directory {other}" in body
    finally:
        stop(proc)


def test_dict_scenarios_resolve_against_the_servers_base_directory(mockwcf_server):
    """In pytest the base is --mockwcf-base-dir, by default the rootdir (this repository)."""
    data = {"name": "d", "credentials": {"clientCertificate": {"trustedCertificates": ["certs/ca.pem"]}}}
    assert mockwcf_server.load(data).trusted_certificates == (REPO / "certs" / "ca.pem",)
    data["credentials"]["clientCertificate"]["trustedCertificates"] = ["nope.pem"]
    with pytest.raises(ScenarioError, match=f"relative paths resolve against the base directory {REPO}"):
        mockwcf_server.load(data)
    data["credentials"]["clientCertificate"]["trustedCertificates"] = ["../certs/ca.pem"]
    assert mockwcf_server.load(data, base_dir=SCENARIOS).trusted_certificates == (REPO / "certs" / "ca.pem",)


@pytest.mark.mockwcf_scenario("certificate-notyet")
def test_the_marker_takes_a_packaged_name(mockwcf_server, mockwcf_certs):
    home = Path(os.environ["MOCKWCF_HOME"])
    assert mockwcf_server.runtime.scenario.name == "certificate-notyet"
    assert mockwcf_certs["pki"] == home / "certs"
    assert (home / "certs" / "client-notyet.pem") in mockwcf_certs["trustedPeople"]


def test_no_pki_is_made_over_a_partial_one_or_for_names_it_does_not_make(tmp_path):
    from mockwcf import pki

    (tmp_path / "s").mkdir()
    (tmp_path / "certs").mkdir()
    scenario = tmp_path / "s" / "x.yaml"
    scenario.write_text((SCENARIOS / "seed001-mutual-certificate.yaml").read_text())
    (tmp_path / "certs" / "ca.pem").write_text("the user's own CA")
    assert pki.ensure_for(scenario, print) is None
    assert sorted(p.name for p in (tmp_path / "certs").iterdir()) == ["ca.pem"]
    scenario.write_text("credentials:\n  clientCertificate:\n    trustedPeople: [../certs/alice.pem]\n")
    assert pki.ensure_for(scenario, print) is None and not (tmp_path / "certs" / "alice.pem").exists()


def test_an_unwritable_home_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a directory")
    monkeypatch.setenv("MOCKWCF_HOME", str(tmp_path / "file" / "home"))
    with pytest.raises(locate.NotFound, match="set MOCKWCF_HOME to a directory you can write to"):
        locate.resolve("clock-skew")
