"""The HTTP/1.1 front end: llhttp (through httptools) parses, this protocol answers, for HTTP and HTTPS.

Why llhttp: it is Node.js's parser, fuzzed continuously and strict per RFC 9112 by default (bare LF, NUL and
other control bytes, spaces in header names, obs-fold, a non-digit or duplicate Content-Length, Content-Length
together with Transfer-Encoding, an unknown transfer coding: each is a parse error), and it costs a few µs a
request where twisted.web's Request machinery costs about 50. What llhttp leaves to the server is checked here:
the version, the Host header (RFC 9112 §3.2: exactly one on HTTP/1.1), Transfer-Encoding on HTTP/1.0 (§6.1), the
size and count of the headers (http.sys's MaxRequestBytes), Expect. Every framing error is answered 400 and the
connection closed (§6.3, §9.6 on recovery).

Quotas and time (`HttpLimits`, from the scenario): a declared Content-Length over maxReceivedMessageSize is
answered 413 at once, before any body is read and without `100 Continue`; a chunked body is counted as it
arrives and answered 413 the moment it passes the quota. A request's headers must arrive within
headerWaitTimeout, its body within min(entityBodyTimeout, receiveTimeout), and a connection with no request in
flight (or whose client does not read its replies) is closed after idleConnectionTimeout.

Back-pressure: at most `max_pipelined` parsed requests wait for their answers; past that, and while the
transport holds more than its buffer of unsent replies (it pauses us as a producer), the connection is not read
and not answered, so a client that pipelines and never reads costs a bounded amount of memory. Requests on one
connection are answered strictly in order; a reply held by a rule's delay holds those behind it. Replies made in
one reactor batch leave together right after it (http_send.ReplyBatcher).
"""

from __future__ import annotations

import collections
from typing import Any

import httptools
from twisted.internet import protocol
from twisted.internet.interfaces import IProtocolNegotiationFactory, IPushProducer
from zope.interface import implementer

from mockwcf import admin_guard, http_send
from mockwcf.faults import Reply
from mockwcf.http_send import Refuse as _Refuse
from mockwcf.limits import HttpLimits

_SLICE = 16384  # bytes handed to the parser at a time, so the pipelining bound is checked often
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


class _Pending:
    """One request read ahead of its answer (or the refusal that ends the connection)."""

    __slots__ = ("method", "target", "headers", "body", "size", "keep_alive", "version", "refusal")

    def __init__(self) -> None:
        self.method = ""
        self.target = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.keep_alive = True
        self.version = "1.1"
        self.refusal: _Refuse | None = None


@implementer(IPushProducer)
class FastHTTP(protocol.Protocol):
    """One connection. It is the transport's producer: the transport pauses it when unsent replies pile up."""

    factory: FastHTTPFactory

    def connectionMade(self) -> None:
        transport: Any = self.transport
        self._parser = httptools.HttpRequestParser(self)
        self._cur: _Pending | None = None
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0  # request line and complete headers, counted exactly
        self._fed = self._chunk_start = self._head_start = 0  # bytes handed to the parser
        self._queue: collections.deque[_Pending] = collections.deque()
        self._unfed = b""
        self._raw: tuple[_Pending, int] | None = (
            None  # an Upgrade request's body still to come (see _upgrade)
        )
        self._held = False  # a delayed reply is outstanding
        self._congested = False  # the transport asked us to pause
        self._broken = False  # the parser failed or a refusal is queued: read nothing more
        self._gone = False
        self._reading = True
        self._phase = "idle"  # idle | head | body
        self._since = self.factory.reactor.seconds()
        peer, local = transport.getPeer(), transport.getHost()
        self._client = getattr(peer, "host", "")
        self._local = f"{getattr(local, 'host', '')}:{getattr(local, 'port', '')}"
        transport.registerProducer(self, True)
        self._lim = self._limits()
        self._quota = 0  # the body quota of the message being read
        self._timer = self.factory.reactor.callLater(self._lim.shortest_wait, self._check_time)

    def _limits(self) -> HttpLimits:
        return self.factory.router.runtime.scenario.http_limits

    # -- reading -------------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self._broken or self._gone:
            return
        self._unfed = self._unfed + data if self._unfed else data
        if not (self._held or self._congested):
            self._drain()
        elif self._reading:
            self._pause_reading()

    def _feed(self) -> None:
        limit = self._limits().max_pipelined
        while self._unfed and not self._broken and len(self._queue) < limit:
            if self._raw is not None:
                self._take_upgrade_body()
                continue
            chunk = self._unfed if len(self._unfed) <= _SLICE else self._unfed[:_SLICE]
            self._unfed = self._unfed[len(chunk) :]
            self._chunk_start = self._fed
            self._fed += len(chunk)
            try:
                self._parser.feed_data(chunk)
            except httptools.HttpParserUpgrade as exc:
                self._upgrade(chunk, exc.args[0] if exc.args else len(chunk))
            except httptools.HttpParserCallbackError as exc:
                cause = exc.__context__
                if isinstance(cause, _Refuse):
                    self._refuse(cause, self._cur if cause.status == 413 else None)
                else:
                    self._refuse(_Refuse(400, f"Bad Request ({exc})"))
            except httptools.HttpParserError as exc:
                self._refuse(_Refuse(400, f"Bad Request: {exc} (RFC 9112)"))
            else:
                # a head still incomplete: its bytes so far, over-counted by at most the slice before it
                if (
                    self._phase == "head"
                    and self._fed - self._head_start > self._limits().max_request_bytes + _SLICE
                ):
                    self._refuse(_Refuse(400, "Bad Request: the request headers are too long"))
        if self._unfed and self._reading and not self._broken:
            self._pause_reading()  # the pipelining bound is reached; resumed once answers leave

    def _upgrade(self, chunk: bytes, offset: int) -> None:
        """llhttp stops after the head of CONNECT or `Upgrade` (httptools skips the body). HTTP.sys ignores
        `Upgrade: h2c` on cleartext, which Java's java.net.http sends: served as HTTP/1.1, its body taken by
        the Content-Length llhttp checked; a chunked Upgrade request is refused."""
        pending = self._queue[-1] if self._queue else None
        if self._parser.get_method() == b"CONNECT" or pending is None or pending.refusal is not None:
            self._refuse(_Refuse(405 if self._parser.get_method() == b"CONNECT" else 400, "Bad Request"))
            return
        if "transfer-encoding" in pending.headers:
            self._queue.pop()
            self._refuse(_Refuse(400, "Bad Request: a chunked Upgrade request is not served"))
            return
        self._parser = httptools.HttpRequestParser(self)
        self._unfed = chunk[offset:] + self._unfed
        if length := int(pending.headers.get("content-length") or 0):
            self._raw = (self._queue.pop(), length)  # answered once its body is in

    def _take_upgrade_body(self) -> None:
        pending, left = self._raw  # type: ignore[misc]
        part, self._unfed = self._unfed[:left], self._unfed[left:]
        self._fed += len(part)
        pending.body.append(part)
        pending.size += len(part)
        self._raw = (pending, left - len(part)) if left > len(part) else None
        if self._raw is None:
            self._queue.append(pending)

    def _refuse(self, refusal: _Refuse, pending: _Pending | None = None) -> None:
        """Queue the answer that ends the connection; a 413 keeps its request's method, target and
        headers, since the Router answers it (and journals it) like any oversize message."""
        pending = pending or _Pending()
        pending.refusal = refusal
        pending.keep_alive = False
        self._queue.append(pending)
        self._broken = True
        self._unfed = b""
        self._pause_reading()

    # llhttp callbacks ----------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._cur = _Pending()
        self._raw_headers = []
        self._head_bytes = 0
        self._head_start = self._chunk_start
        self._phase = "head"
        self._since = self.factory.reactor.seconds()
        self._lim = self._limits()  # one scenario for the whole message

    def on_url(self, url: bytes) -> None:
        assert self._cur is not None
        self._cur.target += url
        self._head_bytes += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_headers.append((name, value))
        self._head_bytes += len(name) + len(value) + 4
        limits = self._lim
        if len(self._raw_headers) > limits.max_headers or self._head_bytes > limits.max_request_bytes:
            raise _Refuse(400, "Bad Request: too many or too long request headers")

    def on_headers_complete(self) -> None:
        cur = self._cur
        assert cur is not None
        parser = self._parser
        version = parser.get_http_version()
        if version not in ("1.1", "1.0"):
            raise _Refuse(505 if version > "1.1" else 400, "HTTP Version Not Supported")
        headers: dict[str, str] = {}
        hosts = 0
        for raw_name, raw_value in self._raw_headers:
            name = raw_name.decode("latin-1").lower()
            if name == "host":
                hosts += 1
            headers[name] = raw_value.decode("latin-1")
        if hosts > 1 or (hosts == 0 and version == "1.1"):
            raise _Refuse(400, "Bad Request: HTTP/1.1 needs exactly one Host header (RFC 9112 §3.2)")
        if version == "1.0" and "transfer-encoding" in headers:
            raise _Refuse(400, "Bad Request: Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)")
        target = cur.target
        if not target.startswith(b"/"):  # absolute-form is a proxy's business; asterisk-form only OPTIONS
            raise _Refuse(400, "Bad Request: the target must be a path")
        cur.method = parser.get_method().decode("latin-1")
        cur.version = version
        cur.headers = headers
        self._phase = "body"
        self._since = self.factory.reactor.seconds()
        quota = self._quota = self._quota_for(target)
        declared = headers.get("content-length")
        if declared is not None and int(declared) > quota:
            raise _Refuse(413, "", int(declared))  # at once: no body is read, no 100 Continue
        expect = headers.get("expect")
        if expect is not None and version == "1.1":
            if expect.lower() != "100-continue":
                raise _Refuse(417, "Expectation Failed")
            if not self._queue and not self._held and declared != "0":
                self.factory.flush()
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # type: ignore[union-attr]

    def on_body(self, body: bytes) -> None:
        cur = self._cur
        assert cur is not None
        cur.size += len(body)
        if cur.size > self._quota:
            raise _Refuse(413, "", cur.size)  # a chunked body passes the quota as it arrives
        cur.body.append(body)

    def on_message_complete(self) -> None:
        cur = self._cur
        assert cur is not None
        cur.keep_alive = self._parser.should_keep_alive()
        self._queue.append(cur)
        self._cur = None
        self._phase = "idle"  # the idle wait starts when its answer leaves (_send) or is held back

    def _quota_for(self, target: bytes) -> int:
        if target.startswith(b"/_mockwcf/"):
            return admin_guard.MAX_BODY
        return self.factory.router.runtime.scenario.max_received_message_size

    # -- answering ------------------------------------------------------------------------------

    def _drain(self) -> None:
        """Answer the requests read so far, in order, while nothing holds or congests the connection; read
        on from what the parser has not seen yet; resume reading the socket once all of it is answered."""
        answered = 0
        while not (self._gone or self._held or self._congested):
            if self._queue:
                self._answer(self._queue.popleft())
                answered += 1
                if answered % 16 == 0:
                    self.factory.flush()  # so the transport can tell us it is congested
                continue
            if self._unfed and not self._broken:
                self._feed()
                if self._queue:
                    continue
            break
        if not (self._gone or self._held or self._congested or self._broken or self._unfed or self._reading):
            self._reading = True
            self.transport.resumeProducing()  # type: ignore[union-attr]

    def _answer(self, pending: _Pending) -> None:
        router = self.factory.router
        refusal = pending.refusal
        if refusal is not None and refusal.status != 413:
            reply = Reply(refusal.status, (refusal.why + "\n").encode(), _TEXT)
            target = pending.target.decode("latin-1")
            req = router.request(pending.method, target, pending.headers, b"", self._client, self._local, 0)
            router.journal_http(req, reply)
            self._send(reply, pending)
            return
        target = pending.target.decode("latin-1")
        body = b"".join(pending.body) if refusal is None else b""
        size = len(body) if refusal is None else refusal.size
        reply = router.reply(
            router.request(
                pending.method, target, pending.headers, body, self._client, self._local, size, self.transport
            )
        )
        if reply.drop or reply.delay:
            self._held = True
            self._pause_reading()
            self.factory.reactor.callLater(reply.delay, self._deliver, reply, pending)
            return
        self._send(reply, pending)

    def _deliver(self, reply: Reply, pending: _Pending) -> None:
        self._held = False
        if self._gone:
            return
        if reply.drop:
            self.transport.abortConnection()  # type: ignore[union-attr]
            return
        self._send(reply, pending)
        self._drain()

    def _send(self, reply: Reply, pending: _Pending) -> None:
        close = not pending.keep_alive or reply.status == 413 or pending.refusal is not None
        data = http_send.response_bytes(reply, close, keep_alive_10=pending.version == "1.0")
        if close:
            self.factory.flush()  # earlier replies first; loseConnection waits for Twisted's buffer
            self._gone = True
            self.transport.write(data)  # type: ignore[union-attr]
            self.transport.loseConnection()  # type: ignore[union-attr]
            return
        self._phase_after_reply()
        self.factory.queue(self.transport, data)

    def _phase_after_reply(self) -> None:
        if self._phase == "idle":
            self._since = self.factory.reactor.seconds()

    # -- flow control (IPushProducer, called by the transport) ----------------------------------

    def pauseProducing(self) -> None:
        self._congested = True
        self._since = self.factory.reactor.seconds()
        self._pause_reading()

    def resumeProducing(self) -> None:
        self._congested = False
        self._since = self.factory.reactor.seconds()
        self._drain()

    def stopProducing(self) -> None:
        self._gone = True

    def _pause_reading(self) -> None:
        if self._reading:
            self._reading = False
            self.transport.pauseProducing()  # type: ignore[union-attr]

    # -- time --------------------------------------------------------------------------------------

    def _check_time(self) -> None:
        """One timer per connection: it fires at the earliest deadline the current state allows and
        re-arms itself if activity moved that deadline (cheaper than resetting a timer per request)."""
        if self._gone:
            return
        limits = self._limits()
        if self._held:
            wait = limits.idle_connection
            deadline = self.factory.reactor.seconds() + wait
        else:
            wait = {"head": limits.header_wait, "body": limits.body_wait}.get(
                self._phase, limits.idle_connection
            )
            deadline = self._since + wait
        now = self.factory.reactor.seconds()
        if now >= deadline:
            # http.sys closes without an answer (Timer_HeaderWait, Timer_EntityBody, Timer_IdleConnection
            # in its log); a client that does not read its replies is cut off (Timer_MinSendRate).
            self._gone = True
            if self._congested:
                self.transport.abortConnection()  # type: ignore[union-attr]
            else:
                self.factory.flush()
                self.transport.loseConnection()  # type: ignore[union-attr]
            return
        # the phase may change to one with a shorter wait before then: look again within the shortest
        self._timer = self.factory.reactor.callLater(
            min(deadline - now, limits.shortest_wait), self._check_time
        )

    def connectionLost(self, reason: Any = protocol.connectionDone) -> None:
        self._gone = True
        if self._timer.active():
            self._timer.cancel()


@implementer(IProtocolNegotiationFactory)
class FastHTTPFactory(http_send.ReplyBatcher, protocol.Factory):
    protocol = FastHTTP
    noisy = False

    def __init__(self, router: Any, reactor: Any) -> None:
        http_send.ReplyBatcher.__init__(self, reactor)
        self.router = router

    def acceptableProtocols(self) -> list[bytes]:
        """ALPN over TLS: HTTP/1.1 only (a client offering h2 is told so, instead of a handshake failure)."""
        return [b"http/1.1"]
