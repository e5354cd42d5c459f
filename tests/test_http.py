"""The HTTP front end (mockwcf/http11.py) over raw sockets: keep-alive, pipelining, split writes, held
replies, chunked bodies, Expect: 100-continue, HTTP/1.0, the 413 at once, back-pressure and timeouts, each
answered as a SOAP client expects. Malformed framing is in the hostile corpus (tests/hostile/)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from tests import wss

SCENARIO = {
    "name": "http-shapes",
    "binding": {"type": "basicHttpBinding", "maxReceivedMessageSize": 4096},
    "rules": [{"match": {"xpath": "//*[local-name()='text']='slow'"}, "delay": "00:00:00.3"}],
}


def _post(path: str, text: str, extra: str = "", version: str = "HTTP/1.1") -> bytes:
    body = wss.envelope(text=text).encode()
    return (
        f"POST {path} {version}\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
        f'SOAPAction: "{wss.ACTION}"\r\nContent-Length: {len(body)}\r\n{extra}\r\n'
    ).encode() + body


def _chunked(path: str, text: str) -> bytes:
    body = wss.envelope(text=text).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:100], body[100:]))
    return (
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f'SOAPAction: "{wss.ACTION}"\r\nTransfer-Encoding: chunked\r\n\r\n'
        ).encode()
        + chunks
        + b"0\r\n\r\n"
    )


class Conn:
    """A raw client connection that reads whole responses (status, headers, Content-Length body)."""

    def __init__(self, url: str, rcvbuf: int | None = None) -> None:
        parts = urlsplit(url)
        self.path = parts.path
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # a small receive window makes the server's send() take only part of a big reply
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(5)
        self.sock.connect((parts.hostname, parts.port))
        self.buf = b""

    def send(self, data: bytes, pieces: int = 1) -> None:
        step = max(1, len(data) // pieces)
        for i in range(0, len(data), step):
            self.sock.sendall(data[i : i + step])
            if pieces > 1:
                time.sleep(0.002)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            assert self._fill(), f"connection closed mid-response: {self.buf!r}"
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if status == 100:
            return self.response()
        if "content-length" not in headers:  # twisted.web's 400 has no body and closes
            while self._fill():
                pass
            body, self.buf = self.buf, b""
            return status, headers, body
        length = int(headers["content-length"])
        while len(self.buf) < length:
            assert self._fill(), "connection closed mid-body"
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed(self) -> bool:
        return self.buf == b"" and not self._fill()


@pytest.fixture
def conn(mockwcf_server):
    mockwcf_server.load(SCENARIO)
    c = Conn(mockwcf_server.url)
    yield c
    c.sock.close()


def _echoed(body: bytes, text: str) -> bool:
    return f"<EchoResult>{text}</EchoResult>".encode() in body


def test_keep_alive_pipelining_and_split_writes(conn):
    conn.send(_post(conn.path, "one") + _post(conn.path, "two"))
    first, second = conn.response(), conn.response()
    assert first[0] == second[0] == 200
    assert _echoed(first[2], "one") and _echoed(second[2], "two")
    assert first[1]["content-type"] == "text/xml; charset=utf-8" and "date" in first[1]
    conn.send(_post(conn.path, "three"), pieces=40)  # headers and body cut at arbitrary bytes
    status, _, body = conn.response()
    assert status == 200 and _echoed(body, "three")


def test_held_reply_keeps_pipelined_answers_in_order(conn, mockwcf_server):
    start = time.monotonic()
    conn.send(_post(conn.path, "slow") + _post(conn.path, "fast"))
    first, second = conn.response(), conn.response()
    assert time.monotonic() - start >= 0.3
    assert _echoed(first[2], "slow") and _echoed(second[2], "fast")
    assert [e.rule for e in mockwcf_server.journal] == [0, None]


def test_replies_larger_than_the_socket_buffer_stay_whole_and_in_order(mockwcf_server):
    """A reply the kernel cannot take at once (the client does not read, its window is small) and a
    pipelined reply behind it both arrive whole and in order."""
    mockwcf_server.load(
        dict(
            SCENARIO,
            binding={
                "type": "basicHttpBinding",
                "maxReceivedMessageSize": 20_000_000,
                "readerQuotas": {"maxStringContentLength": 10_000_000},
            },
        )
    )
    conn = Conn(mockwcf_server.url, rcvbuf=4096)
    texts = ["a" * 6_000_000, "b" * 10]
    conn.send(b"".join(_post(conn.path, t) for t in texts))
    time.sleep(0.3)  # the server writes while nobody reads
    conn.sock.settimeout(10)
    for text in texts:
        status, _, body = conn.response()
        assert status == 200 and _echoed(body, text)
    conn.sock.close()


def test_connection_close_is_honoured(conn):
    conn.send(_post(conn.path, "first") + _post(conn.path, "bye", "Connection: close\r\n"))
    assert _echoed(conn.response()[2], "first")  # the reply made before the closing one leaves first
    status, headers, body = conn.response()
    assert status == 200 and headers["connection"] == "close" and _echoed(body, "bye")
    assert conn.closed()


@pytest.mark.parametrize("shape", ["chunked", "expect-100", "http/1.0"])
def test_other_request_shapes_are_served_on_the_same_connection(conn, shape):
    """Each shape pipelined behind a plain request (or, for Expect, after it): both answered, in order."""
    before = _post(conn.path, "before")
    if shape == "chunked":
        conn.send(before + _chunked(conn.path, "chunked"))
    elif shape == "expect-100":
        conn.send(before)
        assert _echoed(conn.response()[2], "before")
        request = _post(conn.path, "expect", "Expect: 100-continue\r\n")
        head, _, body = request.partition(b"\r\n\r\n")
        conn.send(head + b"\r\n\r\n")
        conn.sock.settimeout(2)
        assert conn.sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.send(body)
    else:
        conn.send(before + _post(conn.path, "old", version="HTTP/1.0"))
    if shape != "expect-100":
        assert _echoed(conn.response()[2], "before")
    status, _, body = conn.response()
    assert status == 200 and _echoed(
        body, {"chunked": "chunked", "expect-100": "expect", "http/1.0": "old"}[shape]
    )
    if shape == "http/1.0":
        assert conn.closed()
        return
    conn.send(_post(conn.path, "after"))
    assert _echoed(conn.response()[2], "after")


def test_oversize_is_refused_at_once_without_100_continue(conn, mockwcf_server):
    """WCF answers 413 against maxReceivedMessageSize from the declared length: no body is read (the
    client sent only the head), no 100 Continue, and the connection closes after the earlier reply."""
    conn.send(_post(conn.path, "before"))
    assert _echoed(conn.response()[2], "before")
    head = (
        f"POST {conn.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
        f'SOAPAction: "{wss.ACTION}"\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n'
    )
    conn.send(head.encode())
    status, headers, _ = conn.response()
    assert status == 413 and headers["connection"] == "close"
    assert conn.closed()
    entry = mockwcf_server.journal[-1]
    assert entry.resource_code == "MaxReceivedMessageSizeExceeded" and "5000000 bytes" in entry.reason


def test_chunked_body_is_refused_as_it_passes_the_quota(conn, mockwcf_server):
    head = (
        f"POST {conn.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    conn.send(head.encode() + b"1000\r\n" + b"x" * 4096 + b"\r\n" + b"10\r\n" + b"y" * 16 + b"\r\n")
    status, _, _ = conn.response()  # the terminating chunk was never sent: the quota alone decided
    assert status == 413 and conn.closed()
    assert mockwcf_server.journal[-1].resource_code == "MaxReceivedMessageSizeExceeded"


def test_a_client_that_pipelines_and_never_reads_is_not_read_either(mockwcf_server):
    """Back-pressure: with replies unread, the server stops reading; what it holds stays bounded (its
    answers are a few times the kernel's buffers, not one per request sent)."""
    mockwcf_server.load(SCENARIO)
    conn = Conn(mockwcf_server.url, rcvbuf=4096)
    conn.sock.setblocking(False)
    request = f"GET {conn.path}?wsdl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    sent, deadline = 0, time.monotonic() + 5
    while sent < 200_000 * len(request) and time.monotonic() < deadline:
        try:
            sent += conn.sock.send(request * 64)
        except BlockingIOError:
            time.sleep(0.01)
            try:
                sent += conn.sock.send(request * 64)
            except BlockingIOError:
                break  # the server stopped reading: the kernel buffers are full
    assert sent < 200_000 * len(request), "the server kept reading a client that never reads"
    conn.sock.setblocking(True)
    conn.sock.settimeout(10)
    status, _, body = conn.response()  # and it still answers once the client reads
    assert status == 200 and b"wsdl:definitions" in body
    conn.sock.close()


def test_idle_and_slow_header_connections_are_closed(mockwcf_server):
    mockwcf_server.load(
        dict(SCENARIO, http={"headerWaitTimeout": "00:00:00.3", "idleConnectionTimeout": "00:00:00.3"})
    )
    idle = Conn(mockwcf_server.url)
    slow = Conn(mockwcf_server.url)
    slow.send(b"POST /EchoService.svc HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
    idle.sock.settimeout(3)
    slow.sock.settimeout(3)
    assert idle.closed() and slow.closed()  # http.sys drops them without an answer


def test_malformed_request_gets_400_not_a_traceback(conn, mockwcf_server):
    conn.send(b"POST /x HTTP/1.1\r\nBroken header line\r\n\r\n")
    status, _, body = conn.response()
    assert status == 400 and b"Traceback" not in body
    assert conn.closed()
    entry = mockwcf_server.journal[-1]  # every request is journaled, one the front end refused too
    assert (entry.status, entry.verdict, entry.wire_code) == (400, "rejected", "HTTP 400")
    assert entry.reason.startswith("Bad Request")


def test_requests_other_than_soap_are_still_routed(conn):
    conn.send(f"GET {conn.path}?wsdl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    status, headers, body = conn.response()
    assert status == 200 and body.startswith(b"<?xml") and b"wsdl:definitions" in body
    assert f'location="http://127.0.0.1{conn.path}"'.encode() in body  # the Host header names the service
    conn.send(f"DELETE {conn.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    status, headers, _ = conn.response()
    assert status == 405 and headers["allow"] == "GET, POST"


def test_h2c_upgrade_is_ignored_and_the_body_read_as_http11(conn):
    """HTTP.sys serves `Upgrade: h2c` on cleartext as HTTP/1.1 (Java's java.net.http client sends it with its
    first request); llhttp skips an Upgrade request's body, so it is taken by its Content-Length."""
    upgrade = (
        "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQBAAAAAAIAAAAA\r\n"
    )
    conn.send(_post(conn.path, "up", extra=upgrade) + _post(conn.path, "after"), pieces=30)
    first, second = conn.response(), conn.response()
    assert first[0] == second[0] == 200
    assert _echoed(first[2], "up") and _echoed(second[2], "after")
