"""The console line of `mockwcf serve`, read from a real server process: verdict, operation, resource
code, one-line reason and latency; colour on a terminal (a pseudo-terminal here) and never in a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests import wss

BIN = Path(sys.executable).parent
LINE = re.compile(
    r"^\d\d:\d\d:\d\d\.\d{3} #(?P<id>\d+)\s+node1 (?P<op>.+?)\s+(?P<mark>ACCEPT|REJECT|SERVED) (?P<status>\d{3})"
    r"(?: (?P<code>[^\s:]+))?(?:: (?P<reason>.+?))? \((?P<ms>\d+\.\d) ms\)$"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _traffic(base: str) -> None:
    url = base + "EchoService.svc"
    wss.post(url, wss.envelope(wss.security(wss.username_token())))
    wss.post(url, wss.envelope(wss.security(wss.username_token(password="wrong"))))
    requests.get(url + "?wsdl", timeout=10)
    requests.get(base + "nowhere", timeout=10)


def _read_until(read, count: int, timeout: float = 15.0) -> list[str]:
    """Lines from `read()` until `count` exchange lines arrived (bounded in time)."""
    buf, deadline = "", time.monotonic() + timeout
    while buf.count(" ms)\n") + buf.count(" ms)\r\n") < count and time.monotonic() < deadline:
        buf += read()
    return buf.splitlines()


def test_console_lines_in_a_pipe_have_reason_and_latency_and_no_colour():
    proc = subprocess.Popen(
        [str(BIN / "mockwcf"), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = proc.stdout.readline().split()[-1]
        proc.stdout.readline()  # the scenario line
        _traffic(base)
        lines = _read_until(proc.stdout.readline, 4)
    finally:
        proc.terminate()
        proc.wait(10)
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert not any(ANSI.search(line) for line in lines)
    ok, bad, wsdl, nowhere = parsed
    assert (ok["op"], ok["mark"], ok["status"], ok["code"]) == ("Echo", "ACCEPT", "200", None)
    assert (bad["op"], bad["mark"], bad["code"]) == ("Echo", "REJECT", "UserNameAuthenticationFailed")
    assert bad["reason"].startswith("The credentials for user 'alice' were not accepted")
    assert (wsdl["op"], wsdl["mark"]) == ("GET /EchoService.svc?wsdl", "SERVED")
    assert (nowhere["op"], nowhere["mark"], nowhere["status"]) == ("GET /nowhere", "REJECT", "404")
    assert nowhere["reason"].startswith("No endpoint at /nowhere")


def _on_a_terminal(env: dict[str, str]) -> list[str]:
    """The exchange lines of a server whose stdout is a pseudo-terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN / "mockwcf"), "serve", "--port", "0"],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        env={**os.environ, **env},
    )
    os.close(follower)

    def read() -> str:
        ready, _, _ = select.select([leader], [], [], 0.5)
        return os.read(leader, 65536).decode() if ready else ""

    try:
        head = _read_until_text(read, "EchoService.svc?wsdl")
        base = re.search(r"listening on (\S+)", head).group(1)
        _traffic(base)
        return [line.rstrip("\r") for line in _read_until(read, 4) if " ms)" in line]
    finally:
        proc.terminate()
        proc.wait(10)
        os.close(leader)


def test_console_lines_on_a_terminal_are_coloured_unless_no_color():
    lines = _on_a_terminal({"NO_COLOR": ""})
    assert "\x1b[32mACCEPT\x1b[0m" in lines[0]
    assert "\x1b[31mREJECT\x1b[0m" in lines[1] and "\x1b[2mThe credentials" in lines[1]
    assert "\x1b[36mSERVED\x1b[0m" in lines[2]
    assert LINE.match(ANSI.sub("", lines[1]))
    plain = _on_a_terminal({"NO_COLOR": "1"})
    assert len(plain) == 4 and not any(ANSI.search(line) for line in plain)


def _read_until_text(read, text: str, timeout: float = 15.0) -> str:
    buf, deadline = "", time.monotonic() + timeout
    while text not in buf and time.monotonic() < deadline:
        buf += read()
    return buf
