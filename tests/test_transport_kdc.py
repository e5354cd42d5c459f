"""`mockwcf kdc` as a user runs it: a realm in one command, a command run inside it, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def _kdc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "mockwcf"), "kdc", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_kdc_runs_a_command_in_the_realm(tmp_path):
    out = _kdc(
        str(tmp_path / "kdc"),
        "--user",
        "carol:S3cret!",
        "--",
        "sh",
        "-c",
        "echo 'S3cret!' | kinit carol >/dev/null && klist && kvno HTTP/localhost",
    )
    assert out.returncode == 0, out.stderr
    assert "realm MOCKWCF.TEST: KDC on 127.0.0.1:" in out.stdout
    assert "Default principal: carol@MOCKWCF.TEST" in out.stdout
    assert "HTTP/localhost@MOCKWCF.TEST: kvno = 1" in out.stdout
    env = (tmp_path / "kdc" / "env.sh").read_text()
    assert "KRB5_CONFIG=" in env and str(tmp_path) in env and "/etc/krb5.conf" not in env


def test_kdc_errors_are_plain(tmp_path):
    out = _kdc(str(tmp_path), "--user", "nopassword")
    assert out.returncode == 2
    assert "write NAME:PASSWORD" in out.stderr and "Traceback" not in out.stderr
    (tmp_path / "principal").write_text("")
    out = _kdc(str(tmp_path), "--", "true")
    assert out.returncode == 2 and "already holds a realm" in out.stderr


def test_kdc_command_not_found_is_plain(tmp_path):
    out = _kdc(str(tmp_path / "kdc"), "--", "no-such-command-here")
    assert out.returncode == 127
    assert "cannot run 'no-such-command-here'" in out.stderr and "Traceback" not in out.stderr


def test_kdc_takes_the_users_of_a_scenario(tmp_path):
    scenario = Path(__file__).resolve().parent.parent / "scenarios" / "windows-negotiate.yaml"
    out = _kdc(
        str(tmp_path / "kdc"), "--scenario", str(scenario), "--", "sh", "-c", "echo 'Builder2!' | kinit bob"
    )
    assert out.returncode == 0, out.stderr
    assert "users: alice, bob" in out.stdout
    out = _kdc(str(tmp_path / "kdc2"), "--scenario", str(tmp_path / "missing.yaml"))
    assert out.returncode == 2 and "cannot read" in out.stderr and "Traceback" not in out.stderr
