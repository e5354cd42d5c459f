"""The command line as a user runs it: a real `mockwcf serve` process, offline verify, journal, health,
and the container's entrypoint from a fresh (non-editable) install."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import zeep
from zeep.wsse.username import UsernameToken

from mockwcf import exceptiondetail
from tests import wss
from tests.cli_helpers import serve, stop
from tests.conftest import CERTS, REPO, SCENARIOS

BIN = Path(sys.executable).parent


def test_serve_default_scenario_zeep_answer_and_cleanstop():
    proc, base, elapsed = serve(["--port", "0"])
    try:
        print(f"start-up to listening line: {elapsed:.3f} s")
        client = zeep.Client(base + "EchoService.svc?wsdl")
        with pytest.raises(zeep.exceptions.Fault) as err:
            client.service.Echo(text="no credentials")
        assert exceptiondetail.parse(err.value.detail).hint.startswith("Binding mismatch")
        ok = zeep.Client(base + "EchoService.svc?wsdl", wsse=UsernameToken("alice", "p@ssw0rd"))
        assert ok.service.Echo(text="hello") == "hello"
    finally:
        assert stop(proc) == 0
    out = proc.stdout.read()
    assert "Echo" in out and "REJECT 500 UnableToFindSecurityHeaderInMessage" in out and "ACCEPT 200" in out


def test_serve_rejects_a_bad_scenario_with_file_line_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("binding:\n  type: basicHttpBinding\n  security:\n    mode: Mesage\n")
    res = subprocess.run(
        [str(BIN / "mockwcf"), "serve", str(bad), "--port", "0"], capture_output=True, text=True, timeout=20
    )
    assert res.returncode == 2
    assert f"{bad}:4: binding.security.mode: 'Mesage' is not one of" in res.stderr
    assert "Traceback" not in res.stderr


def test_verify_offline_and_journal_command(tmp_path):
    req = tmp_path / "req.xml"
    req.write_text(wss.envelope(wss.security(wss.timestamp(), wss.username_token(password="wrong"))))
    res = subprocess.run(
        [str(BIN / "mockwcf"), "verify", str(SCENARIOS / "username-over-http.yaml"), str(req)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert res.returncode == 1
    assert "resource code: UserNameAuthenticationFailed" in res.stdout
    assert "[     ok] timestamp" in res.stdout
    signed = tmp_path / "signed.xml"
    doc = wss.envelope(wss.security(wss.timestamp(), wss.bst(CERTS / "client.pem")))
    signed.write_text(wss.sign(doc, CERTS / "client.key", CERTS / "client.pem", ["TS-1", "Body-1"]))
    res = subprocess.run(
        [
            str(BIN / "mockwcf"),
            "verify",
            str(SCENARIOS / "mutual-certificate-strict.yaml"),
            str(signed),
            "--signxml",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert res.returncode == 0, res.stdout
    assert "signxml (independent check) verifies the cryptography of: Timestamp, Body" in res.stdout
    proc, base, _ = serve([str(SCENARIOS / "unsecured.yaml"), "--port", "0", "--quiet"])
    try:
        wss.post(base + "EchoService.svc", wss.envelope(text="journal"))
        out = subprocess.run(
            [str(BIN / "mockwcf"), "journal", base], capture_output=True, text=True, timeout=20
        ).stdout
        assert "ACCEPT 200" in out and "1 exchange(s)" in out
        full = subprocess.run(
            [str(BIN / "mockwcf"), "journal", base, "--id", "1"], capture_output=True, text=True, timeout=20
        ).stdout
        assert "<text>journal</text>" in full and "steps:" in full
        health = subprocess.run(
            [str(BIN / "mockwcf"), "health", "--url", base], capture_output=True, text=True, timeout=20
        )
        assert health.returncode == 0 and "ok: scenario unsecured" in health.stdout
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory) -> Path:
    """A new venv with mockwcf installed non-editable, as the Dockerfile does (dependencies come from the
    test venv through a .pth file, so no network or minutes are spent on them)."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.check_output(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    site.mkdir(parents=True, exist_ok=True)
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(build),
            str(REPO),
        ],
        check=True,
        timeout=240,
    )
    deps = sysconfig.get_paths()["purelib"]
    (site / "deps.pth").write_text(f"{build}\n{deps}\n")
    scripts = venv / "bin"
    (scripts / "mockwcf").write_text(
        f"#!{venv / 'bin' / 'python'}\nfrom mockwcf.cli import main\nraise SystemExit(main())\n"
    )
    (scripts / "mockwcf").chmod(0o755)
    return venv


def test_container_entrypoint_serves_scenario_from_environment(fresh_install, tmp_path):
    check = subprocess.run(
        [str(fresh_install / "bin" / "python"), "-c", "import mockwcf, sys; print(mockwcf.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert str(REPO / "mockwcf") not in check.stdout, "the fresh install must not import the work tree"
    env = {
        "MOCKWCF_SCENARIO": str(SCENARIOS / "username-over-http.yaml"),
        "MOCKWCF_PORT": "0",
        "MOCKWCF_HOST": "127.0.0.1",
        "PYTHONPATH": "",
    }
    proc, base, _ = serve([], env=env, exe=str(fresh_install / "bin" / "mockwcf"), cwd=tmp_path)
    try:
        health = subprocess.run(
            [str(fresh_install / "bin" / "mockwcf"), "health", "--url", base],
            capture_output=True,
            text=True,
            timeout=20,
            cwd=tmp_path,
        )
        assert health.returncode == 0 and "username-over-http" in health.stdout
        client = zeep.Client(base + "EchoService.svc?wsdl", wsse=UsernameToken("alice", "p@ssw0rd"))
        assert client.service.Echo(text="from the image") == "from the image"
    finally:
        assert stop(proc) == 0


pytest_plugins = ["pytester"]


def test_plugin_from_the_fresh_install_in_a_throwaway_project(fresh_install, pytester):
    pytester.makepyfile(
        test_one="""
import zeep
from zeep.wsse.username import UsernameToken

def test_echo(mockwcf_server):
    client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd"))
    assert client.service.Echo(text="fresh") == "fresh"
    mockwcf_server.assert_accepted()
"""
    )
    python = str(fresh_install / "bin" / "python")
    result = pytester.run(
        python,
        "-m",
        "pytest",
        "-p",
        "mockwcf",
        "-p",
        "no:cacheprovider",
        "-q",
        "-W",
        "ignore::DeprecationWarning",
        timeout=120,
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*1 passed*"])
    where = subprocess.run(
        [python, "-c", "import mockwcf.pytest_plugin as p; print(p.__file__)"],
        capture_output=True,
        text=True,
        cwd=pytester.path,
    )
    assert str(REPO) not in where.stdout


def test_the_installed_package_ships_every_scenario_by_name(fresh_install, tmp_path):
    """`pip install .` (not editable): every scenarios/*.yaml is inside the package and addressable."""
    res = subprocess.run(
        [str(fresh_install / "bin" / "mockwcf"), "scenarios"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MOCKWCF_HOME": str(tmp_path / "home"), "PYTHONPATH": ""},
        timeout=60,
    )
    listed = {line.split()[0] for line in res.stdout.splitlines()[: len(list(SCENARIOS.glob("*.yaml")))]}
    assert listed == {p.stem for p in SCENARIOS.glob("*.yaml")}, res.stdout + res.stderr


def test_readme_pytest_example_from_the_fresh_install(fresh_install, pytester):
    """The README's pytest example, unchanged, in a project outside the repository (`make wheel-check`
    does the same with the built wheel and dependencies from the package index)."""
    import re

    (example,) = [
        b
        for b in re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)
        if "def test_" in b
    ]
    pytester.makepyfile(test_readme=example)
    result = pytester.run(
        str(fresh_install / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", "-q", timeout=120
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*1 passed*"])
