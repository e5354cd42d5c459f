"""Every CLI verb given a user mistake: one clear line on stderr saying what was tried and how to fix it,
never a Python traceback (the real `mockwcf` executable, as a user runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests import wss
from tests.cli_helpers import serve, stop
from tests.conftest import SCENARIOS

MOCKWCF = str(Path(sys.executable).parent / "mockwcf")


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    res = subprocess.run([MOCKWCF, *args], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    return res


@pytest.fixture(scope="module")
def request_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("req") / "req.xml"
    path.write_text(wss.envelope(wss.security(wss.timestamp(), wss.username_token())))
    return path


@pytest.mark.parametrize(
    "args,expected,rc",
    [
        ([], "the following arguments are required: command", 2),
        (["serve", "--port", "eighty"], "argument --port: invalid int value: 'eighty'", 2),
        (["serve", "/nope/x.yaml"], "no scenario file /nope/x.yaml and no packaged scenario", 2),
        (["serve", "clock-skw"], "did you mean 'clock-skew'?", 2),
        (["serve", "--tls", "--port", "0"], "scenario 'default' has no service certificate; add", 2),
        (["serve", "--port", "0", "--host", "256.0.0.1"], "cannot listen on 256.0.0.1:0: ", 2),
        (["validate", "/nope/x.yaml"], "no scenario file /nope/x.yaml", 1),
        (["validate"], "the following arguments are required: files", 2),
        (["scenarios", "extra"], "unrecognized arguments: extra", 2),
        (["catalog", "--jsn"], "unrecognized arguments: --jsn", 2),
        (["certs", "a", "b"], "unrecognized arguments: b", 2),
        (["journal"], "the following arguments are required: url", 2),
        (["journal", "http://127.0.0.1:1/", "--id", "x"], "argument --id: invalid int value: 'x'", 2),
        (["serve", "--watch", "--port", "0"], "has no file to watch", 2),
        (
            ["verify", "default", "/nope/req.xml"],
            "cannot read the request file /nope/req.xml: No such file",
            2,
        ),
        (["verify", "nosuch", "{req}"], "no packaged scenario named 'nosuch'", 2),
        (["verify", "default", "{req}", "--at", "yesterday"], "--at 'yesterday': ", 2),
        (["certs", "/proc/nope"], "cannot write the test PKI into /proc/nope: ", 2),
        (["journal", "http://127.0.0.1:1/"], "cannot reach http://127.0.0.1:1/_mockwcf/exchanges", 2),
        (["journal", "localhost:8080"], "'localhost:8080' is not an http:// or https:// URL", 2),
        (["health", "--url", "http://127.0.0.1:1"], "cannot reach http://127.0.0.1:1/_mockwcf/health: ", 1),
    ],
)
def test_user_mistakes_get_one_clear_message(args, expected, rc, request_file):
    res = _run(*[a.replace("{req}", str(request_file)) for a in args])
    assert res.returncode == rc, res.stderr
    assert expected in res.stderr, res.stderr


def test_verify_accepts_a_packaged_name(request_file):
    res = _run("verify", "default", str(request_file), "--at", "2026-01-01T00:00:00Z")
    assert "verdict:" in res.stdout, res.stderr


@pytest.mark.parametrize("verb", [["catalog"], ["catalog", "--json"], ["scenarios"]])
def test_a_closed_pipe_ends_quietly(verb):
    """`mockwcf catalog | head -1`: the reader is gone before mockwcf writes (read end closed at once)."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([MOCKWCF, *verb], stdout=write_end, stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    os.close(read_end)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == "", err


def test_journal_and_health_against_a_server_show_what_it_said():
    proc, base, _ = serve([str(SCENARIOS / "unsecured.yaml"), "--port", "0", "--quiet"])
    try:
        res = _run("journal", base, "--id", "99")
        assert res.returncode == 2
        assert f"{base.rstrip('/')}/_mockwcf/exchanges/99 answered HTTP 404: no exchange '99'" in res.stderr
        res = _run("health", "--url", base)
        assert res.returncode == 0 and f"ok: scenario unsecured at {base}" in res.stdout
    finally:
        stop(proc)


def test_admin_errors_are_json_problems_naming_the_field(mockwcf_server):
    def post(body: bytes) -> tuple[int, dict]:
        req = urllib.request.Request(mockwcf_server.base_url + "/_mockwcf/clock", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    status, data = post(b"offset=7")
    assert status == 400 and data["problems"][0].startswith("body: not JSON (")
    status, data = post(b'{"ofset": "+00:07:00"}')
    assert data["problems"] == ["ofset: unknown field (did you mean 'offset'?); fields: offset, frozenAt"]
    status, data = post(b'{"offset": "seven minutes"}')
    assert status == 400 and data["problems"][0].startswith("offset: ")
    status, data = post(b'{"frozenAt": "yesterday"}')
    assert status == 400 and data["problems"][0].startswith("frozenAt: ")
    assert post(b'{"offset": "+00:07:00"}') == (200, {"offset": "+00:07:00"})


def test_unexpected_errors_are_one_line_unless_debugging(capsys, monkeypatch):
    import argparse

    from mockwcf.cli import guarded

    def broken(args):
        raise RuntimeError("boom")

    args = argparse.Namespace(command="catalog")
    monkeypatch.delenv("MOCKWCF_DEBUG", raising=False)
    assert guarded(broken, args) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected RuntimeError: boom" in err and "MOCKWCF_DEBUG=1" in err
    monkeypatch.setenv("MOCKWCF_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        guarded(broken, args)
