"""Serving with Twisted: one Router for admin, WSDL and SOAP requests, behind two front ends.

Plain HTTP goes to the lean front end in http11.py, which hands unusual requests to twisted.web; HTTPS
always goes to twisted.web (MockResource). Both turn their request into a runtime.Request for the Router.

We do not use `spyne.server.twisted` (its server path is the big cost; see service.py), so its two
Twisted 26 traps (the `twisted.python.constants` import and the bytes request method that makes every
POST a 405) never bite. `compat.install()` still maps `twisted.python.constants` to `constantly`, so
users who import Spyne's Twisted module next to ours get a working import.
"""

from __future__ import annotations

import logging
from typing import Any

from twisted.internet import reactor as _reactor
from twisted.web import resource, server

from mockwcf import admin, compat, http11, journal
from mockwcf.faults import Reply
from mockwcf.runtime import Request, Runtime
from mockwcf.scenario import Scenario
from mockwcf.transport import Gate, tlsclient

compat.install()
log = logging.getLogger("mockwcf")
reactor: Any = _reactor


class _BoundedRequest(server.Request):
    """Stops buffering a body past maxReceivedMessageSize, so an oversize request costs no memory."""

    overflow = 0

    def handleContentChunk(self, data: bytes) -> None:
        limit = self.channel.site.resource.router.runtime.scenario.max_received_message_size  # type: ignore[union-attr]
        if self.overflow or self.content.tell() + len(data) > limit:  # type: ignore[union-attr]
            self.overflow += len(data)
            return
        super().handleContentChunk(data)


class _Site(server.Site):
    def log(self, request: server.Request) -> None:
        """No access log: the journal and the console line already record every exchange."""


class Router:
    """Routes one request (admin, WSDL, help page or SOAP) to a reply; shared by both HTTP front ends.

    Never raises: an unexpected error becomes a plain 500 and a log line, never a traceback on the wire.
    """

    def __init__(self, runtime: Runtime, https: bool = False) -> None:
        self.runtime = runtime
        self.https = https
        self.gate = Gate()  # transport client credentials (Basic, NTLM, Negotiate, TLS client certificate)

    def reply(self, req: Request) -> Reply:
        try:
            reply = self._route(req)
        except Exception:  # noqa: BLE001 - never a traceback on the wire
            log.exception("internal error")
            reply = Reply(
                500,
                b"mockwcf internal error; see the server log\n",
                [("Content-Type", "text/plain; charset=utf-8")],
            )
        if not req.journaled and not req.path.startswith(admin.PREFIX):
            self.runtime.record(journal.http_entry(self.runtime.journal, req, reply))
        return reply

    def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        client: str,
        local: str,
        size: int,
        transport: Any = None,
    ) -> Request:
        """Our Request from the HTTP parts; `local` (host:port) stands in for a missing Host header."""
        raw_path, _, query = target.partition("?")
        base = f"{'https' if self.https else 'http'}://{headers.get('host') or local}"
        return Request(method, raw_path, query, headers, body, base, client, size=size, transport=transport)

    def _route(self, req: Request) -> Reply:
        raw_path = req.path
        if raw_path.startswith(admin.PREFIX):
            return admin.handle(self.runtime, req)
        scenario = self.runtime.scenario
        if raw_path.rstrip("/") != scenario.service.path.rstrip("/"):
            text = f"No endpoint at {raw_path}; the service is at {scenario.service.path}\n"
            return Reply(
                404, _with_endpoints(text, scenario), [("Content-Type", "text/plain; charset=utf-8")]
            )
        auth = self.gate.check(self.runtime, req)  # HTTP.sys authenticates every request to the URL
        if auth is not None and auth.rejection is not None:
            return self.runtime.refuse_transport(req, auth.rejection, auth.headers)
        if auth is not None:
            req.identity = auth.identity
        reply = self._endpoint(req, scenario)
        if auth is not None and auth.headers:
            reply.headers.extend(auth.headers)  # Kerberos mutual authentication's last token
        return reply

    def _endpoint(self, req: Request, scenario: Scenario) -> Reply:
        raw_path, method = req.path, req.method
        if method == "GET":
            base = req.base_url
            if req.query.lower() in ("wsdl", "singlewsdl"):
                return Reply(200, self.runtime.wsdl(base), [("Content-Type", "text/xml; charset=utf-8")])
            return Reply(200, _help_page(scenario, base), [("Content-Type", "text/html; charset=utf-8")])
        if method != "POST":
            text = f"Method {method} is not allowed at {raw_path}; use POST (SOAP) or GET (WSDL)\n"
            headers = [("Allow", "GET, POST"), ("Content-Type", "text/plain; charset=utf-8")]
            return Reply(405, _with_endpoints(text, scenario), headers)
        return self.runtime.handle_soap(req)


class MockResource(resource.Resource):
    """twisted.web's side: HTTPS, and any plain-HTTP request the fast front end hands over."""

    isLeaf = True

    def __init__(self, router: Router) -> None:
        super().__init__()
        self.router = router

    def render(self, request: server.Request) -> bytes | int:
        headers = {
            k.decode("latin-1").lower(): v[-1].decode("latin-1")
            for k, v in request.requestHeaders.getAllRawHeaders()
        }
        if request.content is not None:
            request.content.seek(0)
        body = request.content.read() if request.content is not None else b""
        local = request.getHost()
        req = self.router.request(
            request.method.decode("latin-1"),
            request.uri.decode("latin-1"),
            headers,
            body,
            getattr(request.getClientAddress(), "host", ""),
            f"{local.host}:{local.port}",
            len(body) + getattr(request, "overflow", 0),
            request.channel.transport,
        )
        reply = self.router.reply(req)
        if reply.drop or reply.delay:
            reactor.callLater(reply.delay, self._deliver, request, reply)
            return server.NOT_DONE_YET
        return self._write(request, reply)

    def _deliver(self, request: server.Request, reply: Reply) -> None:
        if request.finished or request._disconnected:  # type: ignore[attr-defined]
            return
        if reply.drop:
            request.transport.abortConnection()  # type: ignore[union-attr]
            return
        request.write(self._write(request, reply))
        request.finish()

    @staticmethod
    def _write(request: server.Request, reply: Reply) -> bytes:
        request.setResponseCode(reply.status)
        seen = set()
        for name, value in reply.headers:
            if name.lower() in seen:  # a repeated header (WWW-Authenticate: Negotiate, then NTLM) is kept
                request.responseHeaders.addRawHeader(name, value)
            else:
                request.setHeader(name, value)
                seen.add(name.lower())
        return reply.body


def _with_endpoints(text: str, scenario: Scenario) -> bytes:
    """A 404/405 answer; with diagnostics on it lists what this server does answer."""
    if not scenario.diagnostics:
        return text.encode()
    path = scenario.service.path
    endpoints = [
        f"POST {path} (SOAP {'1.2' if scenario.soap12 else '1.1'}, service {scenario.service.name})",
        f"GET {path}?wsdl, GET {path}?singleWsdl",
        f"GET {path} (help page)",
        f"GET {admin.PREFIX} (journal page), GET {admin.PREFIX}exchanges (journal, JSON)",
    ]
    return (text + "Valid endpoints:\n" + "".join(f"  {e}\n" for e in endpoints)).encode()


def _help_page(scenario: Scenario, base: str) -> bytes:
    url = base + scenario.service.path
    return (
        f"<html><head><title>{scenario.service.name} (mockwcf)</title></head><body>"
        f"<h1>{scenario.service.name}</h1><p>mockwcf scenario <b>{scenario.name}</b>. "
        f"WSDL: <a href='{url}?wsdl'>{url}?wsdl</a> (also ?singleWsdl). "
        f"Journal: <a href='{base}/_mockwcf/'>{base}/_mockwcf/</a></p></body></html>"
    ).encode()


def tls_context(scenario: Scenario) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from twisted.internet import ssl  # pyOpenSSL is imported only when TLS is used (start-up time)

    assert scenario.service_certificate and scenario.service_key
    cert = x509.load_pem_x509_certificate(scenario.service_certificate.read_bytes())
    key = serialization.load_pem_private_key(scenario.service_key.read_bytes(), password=None)
    if scenario.transport_auth.require_client_certificate:
        return tlsclient.context_options(key, cert)
    return ssl.CertificateOptions(privateKey=key, certificate=cert)


def listen(runtime: Runtime, host: str, port: int, tls: bool = False) -> Any:
    """Start listening; returns the Twisted port (its getHost().port is the real port for port 0)."""
    scenario = runtime.scenario
    use_tls = tls or scenario.binding.https
    router = Router(runtime, https=use_tls)
    # SOAP bodies are never HTML forms: no form parsing, which runs the email package's Content-Type
    # parser on every POST (about 70 µs a request).
    site = _Site(MockResource(router), requestFactory=_BoundedRequest, parsePOSTFormSubmission=False)
    site.displayTracebacks = False
    site.noisy = False
    if use_tls:
        return reactor.listenSSL(port, site, tls_context(scenario), interface=host)
    return reactor.listenTCP(port, http11.FastHTTPFactory(router, site, reactor), interface=host)
