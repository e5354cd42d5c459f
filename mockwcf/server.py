"""Serving with Twisted: one Router for admin, WSDL and SOAP requests, behind one HTTP front end.

HTTP and HTTPS both go through http11.py (llhttp parses, back-pressure and http.sys's limits apply);
TLS is Twisted's, wrapped around the same protocol. The front end turns each request into a
runtime.Request for the Router.

We do not use `spyne.server.twisted` (its server path is the big cost; see service.py), so its two
Twisted 26 traps (the `twisted.python.constants` import and the bytes request method that makes every
POST a 405) never bite. `compat.install()` still maps `twisted.python.constants` to `constantly`, so
users who import Spyne's Twisted module next to ours get a working import.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from twisted.internet import reactor as _reactor

from mockwcf import admin, admin_guard, compat, http11, journal
from mockwcf.faults import Reply
from mockwcf.host import Host
from mockwcf.runtime import Request, Runtime
from mockwcf.scenario import Scenario
from mockwcf.transport import Gate, tlsclient

compat.install()
log = logging.getLogger("mockwcf")
reactor: Any = _reactor
_JSON = [("Content-Type", "application/json; charset=utf-8")]


class Router:
    """Routes one request (admin, WSDL, help page or SOAP) to a reply.

    Never raises: an unexpected error becomes a plain 500 and a log line, never a traceback on the wire.
    """

    def __init__(self, host: Host | Runtime, https: bool = False, admin_token: str | None = None) -> None:
        self.host = host if isinstance(host, Host) else Host([host])
        self.https = https
        self.gates: dict[str, Gate] = {}  # per endpoint path: transport credentials (Basic, NTLM, ...)
        self.admin_token = admin_token  # required on admin requests when set (admin_guard)

    @property
    def runtime(self) -> Runtime:
        """The primary endpoint (a one-endpoint server's only one)."""
        return self.host.primary

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
        if not req.journaled:
            self.journal_http(req, reply)
        return reply

    def journal_http(self, req: Request, reply: Reply) -> None:
        """Journal a request that never reached the SOAP pipeline: a WSDL fetch, a wrong path or method, or one
        the HTTP front end refused while reading it (framing errors, 400), so every request shows up."""
        if req.path.startswith(admin.PREFIX):
            return
        entry = journal.http_entry(self.host.journal, req, reply)
        endpoint = self.host.endpoint(req.path)
        entry.endpoint = endpoint.scenario.service.path if endpoint is not None else None
        self.host.primary.record(entry)

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
            health = req.method == "GET" and raw_path.rstrip("/") == admin.PREFIX + "health"
            refused = admin_guard.refusal(req.headers, self.admin_token, health, req.query)
            if refused is not None:
                return Reply(refused[0], json.dumps({"error": refused[1]}).encode(), _JSON)
            return admin.handle(self.host, req)
        runtime = self.host.endpoint(raw_path)
        if runtime is None:
            text = f"No endpoint at {raw_path}; the service is at {', '.join(self.host.paths())}\n"
            return Reply(
                404, _with_endpoints(text, self.host), [("Content-Type", "text/plain; charset=utf-8")]
            )
        # HTTP.sys authenticates every request to the URL, with the endpoint's binding's scheme
        path = runtime.scenario.service.path
        gate = self.gates.get(path)
        if gate is None:  # not setdefault(path, Gate()): that builds a Gate on every request
            gate = self.gates[path] = Gate()
        auth = gate.check(runtime, req)
        if auth is not None and auth.rejection is not None:
            return runtime.refuse_transport(req, auth.rejection, auth.headers)
        if auth is not None:
            req.identity = auth.identity
        reply = self._endpoint(req, runtime)
        if auth is not None and auth.headers:
            reply.headers.extend(auth.headers)  # Kerberos mutual authentication's last token
        return reply

    def _endpoint(self, req: Request, runtime: Runtime) -> Reply:
        raw_path, method, scenario = req.path, req.method, runtime.scenario
        if method == "GET":
            base = req.base_url
            if req.query.lower() in ("wsdl", "singlewsdl"):
                return Reply(200, runtime.wsdl(base), [("Content-Type", "text/xml; charset=utf-8")])
            return Reply(200, _help_page(scenario, base), [("Content-Type", "text/html; charset=utf-8")])
        if method != "POST":
            text = f"Method {method} is not allowed at {raw_path}; use POST (SOAP) or GET (WSDL)\n"
            headers = [("Allow", "GET, POST"), ("Content-Type", "text/plain; charset=utf-8")]
            return Reply(405, _with_endpoints(text, self.host), headers)
        return runtime.handle_soap(req)


def _with_endpoints(text: str, host: Host) -> bytes:
    """A 404/405 answer; with diagnostics on (the primary's setting) it lists every endpoint of the host."""
    if not host.scenario.diagnostics:
        return text.encode()
    endpoints = []
    for rt in host.endpoints:
        scenario, path = rt.scenario, rt.scenario.service.path
        endpoints += [
            f"POST {path} (SOAP {'1.2' if scenario.soap12 else '1.1'}, {scenario.binding_type}, "
            f"service {scenario.service.name}, scenario {scenario.name})",
            f"GET {path}?wsdl, GET {path}?singleWsdl, GET {path} (help page)",
        ]
    endpoints.append(f"GET {admin.PREFIX} (journal page), GET {admin.PREFIX}exchanges (journal, JSON)")
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


def listen(
    runtime: Host | Runtime, host: str, port: int, tls: bool = False, admin_token: str | None = None
) -> Any:
    """Start listening; returns the Twisted port (its getHost().port is the real port for port 0).
    `runtime` is one endpoint or a Host of several (host.py). Off loopback an admin token is required
    (admin_guard.token_for makes one); None leaves the admin API open to loopback Hosts only, which is
    safe only on a loopback bind."""
    if admin_token is None and not admin_guard.is_loopback(host):
        raise ValueError(f"binding {host} needs an admin token (admin_guard.token_for)")
    served = runtime if isinstance(runtime, Host) else Host([runtime])
    scenario = served.scenario  # every endpoint has the same scheme (host.conflicts)
    use_tls = tls or scenario.binding.https
    router = Router(served, https=use_tls, admin_token=admin_token)
    factory = http11.FastHTTPFactory(router, reactor)
    if use_tls:
        return reactor.listenSSL(port, factory, tls_context(scenario), interface=host)
    return reactor.listenTCP(port, factory, interface=host)
