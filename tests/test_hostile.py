"""The hostile corpus (tests/hostile/): every file sent to a real server on loopback and answered as
tests/hostile/expected.yaml says, with a canary listener proving that nothing the server does connects
out (XXE, external DTDs, XInclude, schemaLocation, external signature references all name it).

Kinds: `http` (raw bytes on a socket: the statuses in order and whether the connection closes), `soap`
(a body POSTed as SOAP 1.1: status and journaled resource code), `wrapping` (tests/hostile/wrapping.py
applied to a freshly signed request), `admin` (admin API abuse against a server that requires a token,
and one that does not). Slow and non-reading clients are in tests/test_http.py and below.
"""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import pytest
import yaml
from lxml import etree

from mockwcf.testing import MockServer
from tests import wss
from tests.conftest import CERTS, SCENARIOS
from tests.hostile.wrapping import VARIANTS

HOSTILE = Path(__file__).parent / "hostile"
CASES = yaml.safe_load((HOSTILE / "expected.yaml").read_text())
PLAIN = {"name": "hostile", "binding": {"type": "basicHttpBinding"}}
TOKEN = "hostile-corpus-token"


@pytest.fixture(scope="module")
def canary():
    """A listener nothing may connect to; checked after each test."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.fixture(autouse=True)
def _nothing_connects_out(canary):
    yield
    with pytest.raises(BlockingIOError):
        canary.accept()  # raises when no connection is waiting


def _url(canary) -> str:
    return f"http://127.0.0.1:{canary.getsockname()[1]}"


def _read_all(sock: socket.socket, quiet: float = 1.0) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or stays quiet for `quiet` seconds (False)."""
    sock.settimeout(quiet)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except TimeoutError:
        return data, False
    except ConnectionResetError:
        return data, True


def _one_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body), or what came before the server closed."""
    sock.settimeout(10)
    data = b""
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = next(
                (
                    int(v)
                    for k, _, v in (line.partition(b":") for line in head.split(b"\r\n"))
                    if k.lower() == b"content-length"
                ),
                0,
            )
            if len(rest) >= length:
                return data
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def _statuses(data: bytes) -> list[int]:
    out, rest = [], data
    while rest.startswith(b"HTTP/1.1 "):
        head, _, rest = rest.partition(b"\r\n\r\n")
        out.append(int(head[9:12]))
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        rest = rest[length:]
    return out


def _by_kind(kind: str) -> list[dict]:
    return [pytest.param(c, id=c["name"]) for c in CASES if c["kind"] == kind]


@pytest.mark.parametrize("case", _by_kind("http"))
def test_http_framing(case, mockwcf_server, canary):
    mockwcf_server.load(dict(PLAIN, binding={"type": "basicHttpBinding", "maxReceivedMessageSize": 65536}))
    data = (HOSTILE / "http" / f"{case['name']}.http").read_bytes()
    with socket.create_connection(("127.0.0.1", mockwcf_server.port)) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # refused before it was all read
            sock.sendall(data)
        received, closed = _read_all(sock)
    assert _statuses(received) == case["statuses"], received[:300]
    assert closed == case["closes"]
    assert b"Traceback" not in received


@pytest.mark.parametrize("case", _by_kind("soap"))
def test_xml_attacks_and_quotas(case, mockwcf_server, canary):
    mockwcf_server.load(PLAIN)
    body = (HOSTILE / "xml" / f"{case['name']}.xml").read_bytes()
    body = body.replace(b"{{CANARY}}", str(canary.getsockname()[1]).encode())
    resp = wss.post(mockwcf_server.url, body)
    assert resp.status_code == case["status"], resp.text[:300]
    entry = mockwcf_server.last()
    assert entry.resource_code == case.get("code"), entry.reason
    assert entry.error is None
    if "echo" in case:
        assert f"<EchoResult>{case['echo']}</EchoResult>" in resp.text
    if "reason" in case:
        assert case["reason"] in entry.reason


@pytest.mark.mockwcf_scenario(SCENARIOS / "seed001-mutual-certificate.yaml")
@pytest.mark.parametrize("case", _by_kind("wrapping"))
def test_signature_wrapping(case, mockwcf_server, canary):
    items = [wss.timestamp(), wss.bst(CERTS / "client.pem"), wss.username_token()]
    doc = wss.sign(
        wss.envelope(wss.security(*items)),
        CERTS / "client.key",
        CERTS / "client.pem",
        ["TS-1", "Body-1", "UT-1"],
    )
    root = etree.fromstring(doc.encode())
    VARIANTS[case["name"]](root, _url(canary))
    resp = wss.post(mockwcf_server.url, etree.tostring(root))
    assert resp.status_code == case["status"]
    entry = mockwcf_server.last()
    assert entry.resource_code == case["code"], entry.reason
    assert entry.error is None
    assert b"transfer everything" not in resp.content


def test_every_wrapping_variant_has_an_expected_answer():
    assert {c["name"] for c in CASES if c["kind"] == "wrapping"} == set(VARIANTS)
    assert len(VARIANTS) >= 10


@pytest.fixture(scope="module")
def guarded():
    """A server that requires the admin token, as one bound off loopback does."""
    srv = MockServer.start(admin_token=TOKEN)
    yield srv
    srv.stop()


@pytest.mark.parametrize("case", _by_kind("admin"))
def test_admin_abuse(case, mockwcf_server, guarded, canary):
    srv = guarded if case.get("server") == "token" else mockwcf_server
    before = srv.runtime.clock.describe()
    host = case.get("host", f"127.0.0.1:{srv.port}").replace("{port}", str(srv.port))
    headers = {
        "Host": host,
        **{k: v.replace("{port}", str(srv.port)) for k, v in case.get("headers", {}).items()},
    }
    if "body_file" in case:
        body = (HOSTILE / "admin" / case["body_file"]).read_bytes()
    else:
        body = case.get("body", "").encode()
    body = body * case.get("repeat", 1)
    head = f"{case['method']} {case['path']} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        received = _one_response(sock)
    assert _statuses(received)[:1] == [case["status"]], received[:400]
    reply = received.partition(b"\r\n\r\n")[2]
    for text in case.get("says", []):
        assert text.encode() in reply, reply[:400]
    assert b"Traceback" not in received
    if case["method"] == "POST" and case["status"] != 200:
        assert srv.runtime.clock.describe() == before


def test_slow_body_is_cut_off(mockwcf_server):
    """A client that sends its head and then its body a byte at a time gets no answer after
    entityBodyTimeout; http.sys does the same (Timer_EntityBody)."""
    mockwcf_server.load(dict(PLAIN, http={"entityBodyTimeout": "00:00:00.4"}))
    with socket.create_connection(("127.0.0.1", mockwcf_server.port)) as sock:
        sock.sendall(
            f"POST {mockwcf_server.runtime.scenario.service.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: text/xml\r\nContent-Length: 1000\r\n\r\n".encode()
        )
        closed_at = None
        start = time.monotonic()
        for _ in range(40):
            try:
                sock.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                break
            received, closed = _read_all(sock, 0.05)
            if closed:
                closed_at = time.monotonic() - start
                break
        assert closed_at is not None and received == b""


def test_admin_token_passes_through_the_testing_helpers(guarded):
    assert guarded.admin("GET", "exchanges") == []
    assert guarded.admin("GET", "clock") == {"offset": "+00:00:00"}


def test_the_canary_sees_a_connection(canary):
    """The check after each test is real: a connection to the canary is seen (and taken off again)."""
    with socket.create_connection(("127.0.0.1", canary.getsockname()[1])):
        for _ in range(50):
            try:
                conn, _ = canary.accept()
                conn.close()
                return
            except BlockingIOError:
                time.sleep(0.01)
    raise AssertionError("the canary did not see a connection")


def test_a_token_is_required_off_loopback(monkeypatch):
    """Off loopback a token is generated when none is given (the CLI prints it), and the server refuses
    to listen without one; on loopback none is needed. Nothing here binds a socket."""
    from mockwcf import admin_guard, server

    monkeypatch.delenv(admin_guard.ENV_TOKEN, raising=False)
    token, generated = admin_guard.token_for("0.0.0.0", None)
    assert generated and len(token) >= 24
    assert admin_guard.token_for("0.0.0.0", "given") == ("given", False)
    monkeypatch.setenv(admin_guard.ENV_TOKEN, "from-env")
    assert admin_guard.token_for("192.0.2.1", None) == ("from-env", False)
    assert admin_guard.token_for("127.0.0.1", None) == ("from-env", False)
    monkeypatch.delenv(admin_guard.ENV_TOKEN)
    assert admin_guard.token_for("::1", None) == (None, False)
    with pytest.raises(ValueError, match="needs an admin token"):
        server.listen(None, "0.0.0.0", 0)  # type: ignore[arg-type]
