"""One running mock: the active scenario, its derived state, and the handling of one SOAP request.

Order of a request (DESIGN.md section 2): quotas and content type -> the one parse -> SOAP version ->
receive-phase rules -> security pipeline -> action (ContractFilter) -> mustUnderstand -> dispatch-phase
rules -> Spyne dispatch -> secured response -> journal. Everything after the parse works on that tree.
"""

from __future__ import annotations

import itertools
import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from mockwcf import codes, contenttype, httpinput
from mockwcf import envelope as envmod
from mockwcf.clock import Clock
from mockwcf.faults import FaultSettings, Rejection, Reply, content_type, render, soap_fault
from mockwcf.journal import Entry, Journal, locate, wcf_time_now
from mockwcf.node import Node
from mockwcf.rules import RuleBook
from mockwcf.scenario import Operation, Scenario
from mockwcf.security import header as header_step
from mockwcf.security import pipeline, sessionfault, sessionstep
from mockwcf.security.context import ReceiveContext
from mockwcf.security.respond import ResponseSecurity
from mockwcf.security.x509 import TrustSettings, load_pem_certificate
from mockwcf.service import Contract

log = logging.getLogger("mockwcf")


@dataclass
class Request:
    """What the HTTP layer hands over; the transport is irrelevant beyond this."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str
    client: str = ""
    size: int = -1  # bytes received, when the HTTP layer stopped buffering an oversize body
    received: float = field(default_factory=time.perf_counter)  # for the journal's latency
    journaled: bool = False  # handle_soap journals its own exchange; the Router journals the rest
    transport: Any = None  # the connection (NTLM/Negotiate handshakes span requests; TLS client certificate)
    identity: str | None = None  # who the transport authenticated (Basic user, NTLM/Kerberos principal)

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.body)


@dataclass
class Active:
    """State derived from a scenario once, when it is loaded (never per request)."""

    scenario: Scenario
    contract: Contract
    trust: TrustSettings
    responder: ResponseSecurity
    rules: RuleBook
    by_action: dict[str, Operation]
    by_name: dict[str, Operation]
    nodes: list[Node]
    faults: FaultSettings  # before the request's action and MessageID are read
    wsdl_cache: dict[str, bytes] = field(default_factory=dict)


class Runtime:
    def __init__(self, scenario: Scenario, node_id: int | None = None) -> None:
        """`node_id`: this process is node K of a farm of processes (`mockwcf serve --node-id K`)."""
        self.node_id = node_id
        self.clock = Clock()
        self.journal = Journal(
            scenario.journal_size, scenario.journal_max_bytes, scenario.journal_include_secrets
        )
        self.listeners: list = []  # callables(entry) for the console view
        self.base_dir = scenario.base_dir  # scenarios without a file (PUT, dicts) resolve here: --base-dir
        self.second_opinion = False  # `mockwcf verify --signxml`: signxml re-checks accepted signatures too
        self._round_robin = itertools.count()
        self.active = self._build(scenario)
        self._apply_clock(scenario)

    # -- scenario lifecycle -------------------------------------------------------------------

    def _build(self, scenario: Scenario) -> Active:
        trust = TrustSettings(
            mode=scenario.validation_mode,
            roots=tuple(load_pem_certificate(p) for p in scenario.trusted_certificates),
            people=tuple(load_pem_certificate(p) for p in scenario.trusted_people),
        )
        return Active(
            scenario=scenario,
            contract=Contract(scenario),
            trust=trust,
            responder=ResponseSecurity(scenario),
            rules=RuleBook(scenario.rules),
            by_action=scenario.service.by_action(),
            by_name={op.name: op for op in scenario.service.operations},
            nodes=[
                Node(i, trust, scenario.binding.settings)
                for i in ([self.node_id] if self.node_id else range(1, scenario.farm_nodes + 1))
            ],
            faults=FaultSettings(scenario.soap12, scenario.addressing, scenario.diagnostics),
        )

    def switch(self, scenario: Scenario) -> None:
        """Swap the scenario without a restart; state tied to the old one is dropped."""
        self.active = self._build(scenario)
        self.journal.configure(
            scenario.journal_size, scenario.journal_max_bytes, scenario.journal_include_secrets
        )
        self.reset()
        self._apply_clock(scenario)

    def _apply_clock(self, scenario: Scenario) -> None:
        self.clock = Clock(offset=scenario.clock_offset, frozen_at=scenario.clock_frozen_at)

    def reset(self) -> None:
        """Admin `reset`: journal, replay caches, sessions, rule counters, and the balancer, whose next request
        goes to node 1 again (a switched scenario starts like a freshly started farm)."""
        self.journal.clear()
        self._round_robin = itertools.count()
        for node in self.active.nodes:
            node.reset()
        self.active.rules.reset()

    @property
    def scenario(self) -> Scenario:
        return self.active.scenario

    @property
    def trust(self) -> TrustSettings:
        return self.active.trust

    def node(self, index: int) -> Node:
        nodes = self.active.nodes
        if len(nodes) == 1 and nodes[0].index == index:  # one node: no search per request
            return nodes[0]
        return next(n for n in nodes if n.index == index)

    # -- WSDL -----------------------------------------------------------------------------------

    def wsdl(self, base_url: str) -> bytes:
        from mockwcf import wsdl

        active = self.active
        address = base_url.rstrip("/") + self.scenario.service.path
        doc = active.wsdl_cache.get(address)
        if doc is None:
            doc = wsdl.build(self.scenario, active.contract, address)
            active.wsdl_cache[address] = doc
        return doc

    # -- one SOAP request -----------------------------------------------------------------------

    def _node(self, req: Request) -> int:
        if self.node_id:
            return self.node_id
        nodes = self.scenario.farm_nodes
        if nodes == 1:
            return 1
        if self.scenario.balancing == "sticky":
            return (sum(req.client.encode()) % nodes) + 1
        return (next(self._round_robin) % nodes) + 1

    def handle_soap(self, req: Request) -> Reply:
        active = self.active
        scenario = active.scenario
        now = self.clock.now()
        node = self._node(req)
        entry = self._new_entry(req, node)
        req.journaled = True
        fs = active.faults
        ctx: ReceiveContext | None = None
        delay = 0.0  # a delay-only rule delays whatever answer follows, fault or not
        try:
            env = httpinput.parse_incoming(req.headers, req.size, req.body, scenario)
            relates = env.message_id if scenario.addressing else None
            action = httpinput.request_action(req.headers, env, scenario)
            entry.action = action
            op = active.by_action.get(action or "")
            entry.operation = op.name if op else None
            fs = FaultSettings(
                scenario.soap12, scenario.addressing, scenario.diagnostics, relates, action or ""
            )
            if scenario.addressing:
                contenttype.require_matching_action(req.headers, env.action, scenario.soap12)
            answer, delay = self._apply_rules("receive", entry, fs, env, node, None)
            if answer is not None:
                return self._finish(entry, answer)
            ctx = ReceiveContext(
                scenario,
                scenario.binding,
                self.node(node),
                env,
                now,
                second_opinion=self.second_opinion,
                action=action or "",
                contract_actions=active.by_action.keys(),
            )
            if req.identity:
                ctx.record("transport", "ok", f"authenticated {req.identity}")
            conversation = sessionstep.receive(ctx, action or "")
            if conversation is None:
                pipeline.receive(ctx)
            elif (
                conversation.reply is not None
            ):  # RST/SCT, Renew, Cancel: the issuer or session channel answers
                entry.operation = f"SecureConversation.{conversation.kind}"
                reply_payload = conversation.reply.encode()
                if conversation.request_key is not None or conversation.reply_cert is not None:  # Message
                    reply_payload = active.responder.canonical_payload(reply_payload)
                body = active.responder.envelope(
                    reply_payload,
                    action=conversation.action or "",
                    relates_to=relates,
                    now=now,
                    signature_values=conversation.signature_values or [],
                    request_key=conversation.request_key,
                    reply_cert=conversation.reply_cert,
                    confirm=conversation.signature_values is not None,
                    level=conversation.reply_protection,
                )
                entry.steps = ctx.steps
                reply = Reply(200, body, [("Content-Type", content_type(scenario.soap12))], delay=delay)
                return self._finish(entry, reply)
            if op is None:
                raise Rejection(
                    codes.SFxNoEndpointMatchingContract,
                    f"No operation of contract {scenario.service.contract} has the action {action!r}; known: "
                    + ", ".join(sorted(active.by_action)),
                    step="dispatch",
                )
            header_step.check_must_understand(ctx, security_processed=scenario.binding.message_security)
            answer, more = self._apply_rules("dispatch", entry, fs, env, node, ctx)
            delay += more
            if answer is not None:
                return self._finish(entry, answer)
            if env.body_error:  # a quota or PI in the Body: WCF's formatter meets it here (envelope.py)
                raise Rejection(
                    codes.SFxDeserializationFailed1,
                    "The formatter threw an exception while trying to deserialize the message: Error in "
                    f"deserializing body of request message for operation '{op.name}'. {env.body_error}",
                    step="dispatch",
                )
            active.contract.check_wrapper(op, env.body, env.payload)
            payload = active.contract.dispatch(op, env.payload)
            body = active.responder.envelope(
                payload,
                action=op.reply_action,
                relates_to=relates,
                now=now,
                signature_values=ctx.signature_values,
                request_key=ctx.crypto.wrapped[0] if ctx.crypto is not None and ctx.crypto.wrapped else None,
                reply_cert=ctx.primary_signature.token.cert
                if ctx.primary_signature is not None and ctx.primary_signature.token is not None
                else None,
            )
            ctx.record("dispatch", "ok", f"{op.name} answered")
            entry.steps = ctx.steps
            reply = Reply(200, body, [("Content-Type", content_type(scenario.soap12))], delay=delay)
            return self._finish(entry, reply)
        except Rejection as rej:
            if ctx is not None:
                ctx.record(rej.step or "security", "failed", f"{rej.code}: {rej.message}")
                entry.steps = ctx.steps
            else:
                entry.steps = [
                    {"step": rej.step or "http", "outcome": "failed", "detail": f"{rej.code}: {rej.message}"}
                ]
            reply = sessionfault.secure(active.responder, render(rej, fs), rej, fs, now)
            if entry.rule is not None:  # a rule's injected fault keeps the rule's delay
                rule_delay = self.active.rules.rules[entry.rule].delay
                delay = max(delay, rule_delay.total_seconds() if rule_delay else 0.0)
            reply.delay = delay
            return self._finish(entry, reply, rejection=rej)
        except Exception as exc:  # noqa: BLE001 - the client gets WCF's internal fault, never a traceback
            log.error("internal error handling exchange %s:\n%s", entry.id, traceback.format_exc())
            entry.error = f"{type(exc).__name__}: {exc}"
            rej = Rejection(
                codes.SFxInternalServerError,
                f"mockwcf internal error: {type(exc).__name__}: {exc}",
                step="server",
            )
            return self._finish(entry, render(rej, fs), rejection=rej)

    def _new_entry(self, req: Request, node: int) -> Entry:
        return Entry(
            id=self.journal.next_id(),
            time=wcf_time_now(),
            node=node,
            operation=None,
            action=None,
            verdict="accepted",
            resource_code=None,
            wire_code=None,
            reason=None,
            request=req.body,
            method=req.method,
            target=req.path + ("?" + req.query if req.query else ""),
            request_headers=req.headers,
            started=req.received,
            endpoint=self.scenario.service.path,
        )

    def refuse_transport(self, req: Request, rejection: Rejection, headers: list[tuple[str, str]]) -> Reply:
        """Journal and answer a refusal of the HTTP transport's authentication (mockwcf/transport)."""
        scenario = self.scenario
        entry = self._new_entry(req, self._node(req))
        req.journaled = True
        entry.steps = [
            {"step": "transport", "outcome": "failed", "detail": f"{rejection.code}: {rejection.message}"}
        ]
        reply = render(rejection, FaultSettings(scenario.soap12, scenario.addressing, scenario.diagnostics))
        reply.headers.extend(headers)
        return self._finish(entry, reply, rejection=rejection)

    def _apply_rules(
        self,
        phase: str,
        entry: Entry,
        fs: FaultSettings,
        env: envmod.Envelope,
        node: int,
        ctx: ReceiveContext | None,
    ) -> tuple[Reply | None, float]:
        """The first rule of `phase` that matches, and the delay it adds. A catalog fault is raised like
        every other rejection, so it is rendered and journaled the same way; a custom fault, status or
        dropped connection is returned; a delay-only rule returns no answer and the request carries on."""
        hit = self.active.rules.match(phase, entry.operation, entry.action, node, env.root)
        if hit is None:
            return None, 0.0
        r = hit.rule
        entry.rule = r.index
        rej = hit.rejection()
        if rej is not None:
            raise rej
        if not hit.answers:
            return None, hit.delay
        if ctx is not None:
            entry.steps = list(ctx.steps)  # a copy: the rule's line is the entry's, not the context's
        entry.steps.append({"step": f"rule[{r.index}]", "outcome": "matched", "detail": "phase " + r.phase})
        if r.custom_fault:
            cf = r.custom_fault
            sub = None
            if cf["subcode"]:
                sub_ns, _, local = cf["subcode"][1:].partition("}")
                sub = (sub_ns, local)
            body = soap_fault(
                fs, code=cf["code"], subcode=sub, reason=cf["reason"], detail=cf["detail"] or None
            )
            entry.reason = cf["reason"]
            return Reply(500, body, [("Content-Type", content_type(fs.soap12))], delay=hit.delay), hit.delay
        if r.http_status:
            hs = r.http_status
            answer = Reply(
                hs["status"], hs["body"].encode(), [("Content-Type", hs["contentType"])], delay=hit.delay
            )
            return answer, hit.delay
        return Reply(0, b"", [], delay=hit.delay, drop=True), hit.delay

    def _finish(self, entry: Entry, reply: Reply, rejection: Rejection | None = None) -> Reply:
        if rejection is not None or reply.status >= 400 or reply.drop:
            entry.verdict = "rejected"
        if rejection is not None:
            entry.resource_code = rejection.code
            wire = rejection.wire
            entry.wire_code = (
                f"HTTP {rejection.http_status}" if wire.code == "HTTP" else f"{wire.subcode or wire.code}"
            )
            entry.reason = rejection.message
            entry.hint = rejection.hint
            entry.culprit = locate(rejection.element)
        entry.status = reply.status
        entry.response = reply.body
        entry.response_headers = reply.headers
        entry.delay = reply.delay
        self.record(entry)
        return reply

    def record(self, entry: Entry) -> None:
        """Journal an exchange and show it to the listeners (the console line: `summary()` only, as the body
        is redacted when the journal's readers first hand it out)."""
        entry.latency_ms = (time.perf_counter() - entry.started) * 1000 if entry.started else 0.0
        self.journal.add(entry)
        for listener in self.listeners:
            listener(entry)
