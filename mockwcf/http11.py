"""The plain-HTTP front end: a lean HTTP/1.1 server for what SOAP clients send, twisted.web for the rest.

twisted.web's Request machinery costs about 50 µs of CPU per exchange (header objects, producers,
notifications, a BytesIO per body), a tenth of a signed exchange and more than our whole contract
dispatch. SOAP clients nearly always send the same simple shape: HTTP/1.1, a Content-Length body,
keep-alive, sometimes pipelined. This protocol serves exactly that shape. The first request of any other
shape (chunked or other Transfer-Encoding, Expect: 100-continue, HTTP/1.0, folded or malformed headers,
an absolute-form target, a method other than GET and POST, a body over maxReceivedMessageSize, headers
over 16 KB) makes it hand the connection, with every byte it has not consumed, to twisted.web's own
HTTPChannel, which serves it from then on exactly as before. So nothing new has to be right about the
corners of HTTP; only the common case is ours.

Requests on one connection are answered strictly in order: while a reply is held back by a rule's delay,
the connection is not read and later pipelined requests wait. Replies leave when the reactor has served
its current batch of readable connections, as with transport.write(), but in one pass (FastHTTPFactory.
queue). Sending each reply the moment it is made was measured too: 2-3% less CPU, but the clients fell
out of step and the signed c8 p99 rose to 11.6 ms.
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet import protocol
from twisted.web import http, server

from mockwcf.faults import Reply

MAX_HEAD = 16384  # twisted.web's own limit on the total size of the request headers
_FAST_METHODS = frozenset((b"GET", b"POST"))
_HANDED_OVER = frozenset(("transfer-encoding", "expect", "upgrade", "content-encoding"))


def _reason(status: int) -> bytes:
    return http.RESPONSES.get(status, b"Unknown Status")


class _Date:
    """The Date header, formatted once a second rather than once a request."""

    second = -1
    value = b""

    @classmethod
    def now(cls) -> bytes:
        second = int(time.time())
        if second != cls.second:
            cls.second = second
            cls.value = http.datetimeToString(second)
        return cls.value


def parse_head(head: bytes) -> tuple[str, str, dict[str, str]] | None:
    """Method, target and lower-cased headers (last value wins, as on the twisted.web side), or None when
    the request is not one this front end serves."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[0] not in _FAST_METHODS or parts[2] != b"HTTP/1.1":
        return None
    if not parts[1].startswith(b"/"):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            return None
        key = name.decode("latin-1").lower()
        if key == "content-length" and key in headers:
            return None
        headers[key] = value.strip().decode("latin-1")
    if not _HANDED_OVER.isdisjoint(headers):
        return None
    return parts[0].decode("latin-1"), parts[1].decode("latin-1"), headers


class FastHTTP(protocol.Protocol):
    factory: FastHTTPFactory

    def connectionMade(self) -> None:
        self._buf = bytearray()
        self._pending: tuple[str, str, dict[str, str], int, int] | None = None  # parsed head, body start
        self._held = False  # a delayed reply is outstanding
        self._gone = False
        peer, local = self.transport.getPeer(), self.transport.getHost()  # type: ignore[union-attr]
        self._client = getattr(peer, "host", "")
        self._local = f"{local.host}:{local.port}"

    def dataReceived(self, data: bytes) -> None:
        self._buf += data
        if not self._held:
            self._serve()

    def connectionLost(self, reason: Any = protocol.connectionDone) -> None:
        self._gone = True

    def _serve(self) -> None:
        buf = self._buf
        while not self._held and not self._gone:
            if self._pending is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        self._hand_over()
                    return
                parsed = parse_head(bytes(buf[:end])) if end <= MAX_HEAD else None
                length = _content_length(parsed[2]) if parsed else None
                limit = self.factory.router.runtime.scenario.max_received_message_size
                if parsed is None or length is None or length > limit:
                    self._hand_over()
                    return
                self._pending = (*parsed, end + 4, length)
            method, target, headers, start, length = self._pending
            if len(buf) < start + length:
                return
            body = bytes(buf[start : start + length])
            del buf[: start + length]
            self._pending = None
            self._answer(method, target, headers, body)

    def _answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        router = self.factory.router
        reply = router.reply(
            router.request(
                method, target, headers, body, self._client, self._local, len(body), self.transport
            )
        )
        close = headers.get("connection", "").lower() == "close"
        if reply.drop or reply.delay:
            self._held = True
            self.transport.pauseProducing()  # type: ignore[union-attr]  # nothing more is read meanwhile
            self.factory.reactor.callLater(reply.delay, self._deliver, reply, close)
            return
        self._send(reply, close)

    def _deliver(self, reply: Reply, close: bool) -> None:
        self._held = False
        if self._gone:
            return
        if reply.drop:
            self.transport.abortConnection()  # type: ignore[union-attr]
            return
        self._send(reply, close)
        self.transport.resumeProducing()  # type: ignore[union-attr]
        if self._buf:
            self._serve()

    def _send(self, reply: Reply, close: bool) -> None:
        status = reply.status
        head = [
            b"HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\n"
            % (status, _reason(status), server.version, _Date.now())
        ]
        for name, value in reply.headers:
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        head.append(b"Content-Length: %d\r\n" % len(reply.body))
        if close:
            head.append(b"Connection: close\r\n")
        head.append(b"\r\n")
        data = b"".join(head) + reply.body
        if close:
            self.factory.flush()  # earlier replies first; loseConnection waits for Twisted's buffer
            self._gone = True
            self.transport.write(data)  # type: ignore[union-attr]
            self.transport.loseConnection()  # type: ignore[union-attr]
        else:
            self.factory.queue(self.transport, data)

    def _hand_over(self) -> None:
        """From here on twisted.web's HTTPChannel owns the connection, starting with the unread bytes."""
        self.factory.flush()  # our replies leave before any of twisted.web's
        channel = self.factory.site.buildProtocol(self.transport.getPeer())  # type: ignore[union-attr]
        self._gone = True
        transport: Any = self.transport
        transport.protocol = channel
        channel.makeConnection(transport)
        if self._buf:
            channel.dataReceived(bytes(self._buf))
        self._buf = bytearray()


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return 0
    return int(value) if value.isdigit() else None


class FastHTTPFactory(protocol.Factory):
    protocol = FastHTTP
    noisy = False

    def __init__(self, router: Any, site: http.HTTPFactory, reactor: Any) -> None:
        self.router = router
        self.site = site
        self.reactor = reactor
        self._outgoing: list[tuple[Any, bytes]] = []

    def queue(self, transport: Any, data: bytes) -> None:
        """Replies made while the reactor serves one batch of readable connections leave together, right
        after it, as transport.write() would send them; but in one pass instead of an epoll registration,
        an event dispatch and an unregistration per reply (about 15 µs of a signed exchange)."""
        if not self._outgoing:
            self.reactor.callLater(0, self.flush)
        self._outgoing.append((transport, data))

    def flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        for transport, data in outgoing:
            _write_now(transport, data)


def _write_now(transport: Any, data: bytes) -> None:
    """Send straight to the kernel when Twisted holds nothing for this socket; whatever the kernel does not
    take, and any error (which Twisted then meets and reports as connectionLost), goes through
    transport.write(), so byte order and error handling stay Twisted's. A transport without these
    attributes (another reactor, a wrapper) always takes the normal path."""
    sock = getattr(transport, "socket", None)
    sent = 0
    if (
        sock is not None
        and getattr(transport, "dataBuffer", None) == b""
        and getattr(transport, "_tempDataBuffer", None) == []
        and getattr(transport, "connected", False)
        and not getattr(transport, "disconnecting", True)
    ):
        try:
            sent = sock.send(data)
        except OSError:  # EAGAIN, or a dead peer that Twisted will notice on its own write
            sent = 0
    if sent < len(data):
        transport.write(data[sent:] if sent else data)
