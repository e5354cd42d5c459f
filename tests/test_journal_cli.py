"""`mockwcf journal`: filters, `--json`, `--follow` streaming new exchanges as they happen, and the
server's own words on an error; against a real `mockwcf serve` process."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time

import requests

from tests import wss
from tests.cli_helpers import BIN
from tests.cli_helpers import serve as _serve
from tests.cli_helpers import stop as _stop


def _journal(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "mockwcf"), "journal", *args], capture_output=True, text=True, timeout=20
    )


class _Lines:
    """Lines of a running process's stdout, read by a thread, so a test waits with a bound (select on
    the pipe would miss lines already buffered by the reader)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.queue.put(line)

    def next(self, timeout: float = 10.0) -> str:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line from `mockwcf journal --follow` in time") from None


def test_follow_streams_json_lines_as_exchanges_happen():
    server, base, _ = _serve(["--port", "0", "--quiet"])
    follow = None
    try:
        url = base + "EchoService.svc"
        wss.post(url, wss.envelope(wss.security(wss.username_token())))
        follow = subprocess.Popen(
            [str(BIN / "mockwcf"), "journal", base, "--json", "--follow"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines = _Lines(follow)
        first = json.loads(lines.next())
        assert (first["id"], first["verdict"], first["operation"]) == (1, "accepted", "Echo")
        wss.post(url, wss.envelope(wss.security(wss.username_token(password="wrong"))))
        requests.get(base + "missing", timeout=10)
        second, third = json.loads(lines.next()), json.loads(lines.next())
        assert (second["id"], second["resourceCode"]) == (2, "UserNameAuthenticationFailed")
        assert (third["id"], third["status"], third["target"]) == (3, 404, "/missing")
        assert "latencyMs" in second and second["reason"].startswith("The credentials")
    finally:
        if follow is not None:
            follow.terminate()
            follow.wait(10)
        _stop(server)


def test_follow_with_a_filter_prints_console_lines():
    server, base, _ = _serve(["--port", "0", "--quiet"])
    follow = subprocess.Popen(
        [str(BIN / "mockwcf"), "journal", base, "--follow", "--verdict", "rejected"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.2)  # the follower has read the (empty) journal once; what follows is new
        url = base + "EchoService.svc"
        wss.post(url, wss.envelope(wss.security(wss.username_token())))
        wss.post(url, wss.envelope())
        line = _Lines(follow).next()
        assert "#2" in line and "REJECT 500 UnableToFindSecurityHeaderInMessage: Security processor" in line
    finally:
        follow.terminate()
        follow.wait(10)
        _stop(server)


def test_filters_json_and_error_messages():
    server, base, _ = _serve(["--port", "0", "--quiet"])
    try:
        url = base + "EchoService.svc"
        wss.post(url, wss.envelope(wss.security(wss.username_token())))
        wss.post(url, wss.envelope(wss.security(wss.username_token(password="wrong"))))
        res = _journal(base, "--json", "--code", "UserNameAuthenticationFailed")
        assert res.returncode == 0
        assert [i["id"] for i in json.loads(res.stdout)] == [2]
        res = _journal(base, "--operation", "Echo", "--since", "1")
        assert "#2" in res.stdout and "#1 " not in res.stdout and "1 exchange(s)" in res.stdout
        full = json.loads(_journal(base, "--id", "2", "--json").stdout)
        assert full["requestHeaders"]["content-type"].startswith("text/xml")
        assert "[redacted: 5 characters]" in full["request"]
        text = _journal(base, "--id", "2").stdout
        assert "request headers:" in text and "hint: " in text and "element: wsse:Password at /*[1]" in text
        bad = _journal(base, "--verdict", "nope")
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        assert "answered HTTP 400: bad journal filter" in bad.stderr
        assert "verdict: 'nope' is not one of accepted, rejected, served" in bad.stderr
        missing = _journal(base, "--id", "99")
        assert missing.returncode == 2 and "no exchange '99' in the journal" in missing.stderr
    finally:
        _stop(server)
    down = _journal(base)
    assert down.returncode == 2 and f"cannot reach {base}_mockwcf/exchanges?" in down.stderr
    assert "is `mockwcf serve` running there?" in down.stderr
