"""The sending half of the HTTP front end: response bytes, and replies batched per reactor turn.

Replies made while the reactor serves one batch of readable connections leave together right after it,
as transport.write() would send them, but in one pass instead of an epoll registration, an event dispatch
and an unregistration per reply (about 15 µs of a signed exchange). Sending each reply the moment it is
made was measured too: 2-3% less CPU, but the clients fell out of step and the signed c8 p99 rose to 11.6 ms.
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet import tcp
from twisted.web import http

from mockwcf.faults import Reply

SERVER = b"Microsoft-HTTPAPI/2.0"  # what WCF behind http.sys sends


class Refuse(Exception):
    """Raised inside a parser callback (http11.py): answer `status` (after the requests before it) and close."""

    def __init__(self, status: int, why: str, size: int = 0) -> None:
        super().__init__(why)
        self.status, self.why, self.size = status, why, size


_RESPONSES = http.RESPONSES  # read once: twisted.web.http is a deprecation proxy, slow per attribute read


def _reason(status: int) -> bytes:
    return _RESPONSES.get(status, b"Unknown Status")


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


def response_bytes(reply: Reply, close: bool, keep_alive_10: bool = False) -> bytes:
    status = reply.status
    head = [b"HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\n" % (status, _reason(status), SERVER, _Date.now())]
    for name, value in reply.headers:
        head.append(f"{name}: {value}\r\n".encode("latin-1"))
    head.append(b"Content-Length: %d\r\n" % len(reply.body))
    if close:
        head.append(b"Connection: close\r\n")
    elif keep_alive_10:
        head.append(b"Connection: keep-alive\r\n")
    head.append(b"\r\n")
    return b"".join(head) + reply.body


class ReplyBatcher:
    """Queues replies for one pass after the current reactor turn (mixed into the protocol factory)."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self._outgoing: list[tuple[Any, bytes]] = []

    def queue(self, transport: Any, data: bytes) -> None:
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
    transport.write(), so byte order, error handling and the producer pause stay Twisted's. Any other
    transport (TLS, which delegates these attributes to the raw socket, another reactor) takes the normal
    path."""
    sent = 0
    if (
        type(transport) is tcp.Server  # not a wrapper: TLS delegates these attributes to the raw socket
        and getattr(transport, "dataBuffer", None) == b""
        and getattr(transport, "_tempDataBuffer", None) == []
        and getattr(transport, "connected", False)
        and not getattr(transport, "disconnecting", True)
    ):
        try:
            sent = transport.socket.send(data)
        except OSError:  # EAGAIN, or a dead peer that Twisted will notice on its own write
            sent = 0
    if sent < len(data):
        transport.write(data[sent:] if sent else data)
