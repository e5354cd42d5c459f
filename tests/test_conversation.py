"""Secure conversation on nodes: issue, three calls, cancel, a call after cancel; session vs cookie SCTs
across nodes and restarts; quotas and bad input. The client is tests/sctclient.py (lxml, python-xmlsec
HMAC, `cryptography`), the server side mockwcf.security.conversation on per-node state."""

from __future__ import annotations

import base64
import os
import resource
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from mockwcf import envelope, ns
from mockwcf.faults import FaultSettings, Rejection, render
from mockwcf.security import cookies, trust
from mockwcf.security.conversation import ConversationSettings, NodeState, issue, receive, renew
from mockwcf.security.sctstore import SessionSettings
from tests import sctclient, wss

T0 = datetime.now(UTC).replace(microsecond=0)
ALICE = "UserName 'alice'"


def node(n: int = 1, *, cookie: bool = False, encoder=None, version: str = "feb2005", **session) -> NodeState:
    v = trust.FEB2005 if version == "feb2005" else trust.WSSX13
    settings = ConversationSettings(
        version=v, require_cancellation=not cookie, session=SessionSettings(**session)
    )
    return NodeState(n, settings, T0, encoder=encoder)


def body(xml: str) -> str:
    return "".join(etree.tostring(c).decode() for c in envelope.parse(xml.encode()).body)


def start(state: NodeState, version: str = "feb2005", now: datetime = T0) -> sctclient.Session:
    request, entropy = sctclient.rst(version)
    out = issue(state, envelope.parse(request.encode()), ALICE, now)
    assert out.kind == "issue" and out.action == f"{sctclient.VERSIONS[version][0]}/RSTR/SCT"
    assert entropy is not None
    return sctclient.read_rstr(out.reply or "", version, entropy)


def send(state: NodeState, message: str, now: datetime = T0):
    env = envelope.parse(message.encode())
    return receive(state, env, env.action or "", now)


def wire(rej: Rejection, action: str = wss.ACTION) -> etree._Element:
    reply = render(rej, FaultSettings(soap12=True, addressing=True, diagnostics=False, request_action=action))
    assert reply.status == 500
    return etree.fromstring(reply.body)


def fault_of(rej: Rejection, action: str = wss.ACTION) -> tuple[str, str, str]:
    root = wire(rej, action)
    code = root.findtext(f".//{{{ns.SOAP12}}}Code/{{{ns.SOAP12}}}Value")
    sub = root.find(f".//{{{ns.SOAP12}}}Subcode/{{{ns.SOAP12}}}Value")
    prefix, _, local = (sub.text or "").partition(":")
    return code or "", f"{{{sub.nsmap[prefix]}}}{local}", root.findtext(f".//{{{ns.SOAP12}}}Text") or ""


@pytest.mark.parametrize("version", ["feb2005", "1.3"])
def test_issue_three_calls_cancel_then_a_call_after_cancel(version):
    state = node(version=version)
    s = start(state, version)
    assert s.context_id.startswith("urn:uuid:") and len(s.key) == 32
    for i in range(3):
        out = send(state, sctclient.call(s), T0 + timedelta(seconds=i))
        assert out.kind == "application" and state.sessions()[0].calls == i + 1
    t, _ = sctclient.VERSIONS[version]
    out = send(state, sctclient.cancel(s), T0 + timedelta(seconds=5))
    assert out.kind == "cancel" and out.action == f"{t}/RSTR/SCT/Cancel"
    rstr = etree.fromstring(out.reply or "")
    if version == "1.3":
        assert rstr.tag == f"{{{t}}}RequestSecurityTokenResponseCollection"
        rstr = rstr[0]
    assert [c.tag for c in rstr] == [f"{{{t}}}RequestedTokenCancelled"]
    with pytest.raises(Rejection) as exc:
        send(state, sctclient.call(s), T0 + timedelta(seconds=6))
    assert exc.value.code == "CannotFindSecuritySession"
    code, sub, reason = fault_of(exc.value)
    sc_ns = sctclient.VERSIONS[version][1]  # demux faults use the binding's SC namespace
    assert (code, sub) == ("s:Sender", f"{{{sc_ns}}}BadContextToken")
    assert reason.startswith(
        f"The message could not be processed. This is most likely because the action '{wss.ACTION}'"
    )


@pytest.mark.parametrize("version", ["feb2005", "1.3"])
def test_rstr_shape_follows_wcf_element_order(version):
    state = node(version=version)
    request, entropy = sctclient.rst(version)
    out = issue(state, envelope.parse(request.encode()), ALICE, T0)
    t, c = sctclient.VERSIONS[version]
    root = etree.fromstring(out.reply or "")
    rstr = root[0] if version == "1.3" else root
    assert rstr.get("Context") == "uuid-ctx-1"
    names = [etree.QName(e).localname for e in rstr]
    assert names == [
        "TokenType",
        "RequestedSecurityToken",
        "RequestedAttachedReference",
        "RequestedUnattachedReference",
        "RequestedProofToken",
        "Entropy",
        "Lifetime",
        "KeySize",
    ]
    sct = rstr.find(f"{{{t}}}RequestedSecurityToken/{{{c}}}SecurityContextToken")
    token_id = sct.get(f"{{{ns.WSU}}}Id")
    attached = rstr.find(
        f"{{{t}}}RequestedAttachedReference/{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference"
    )
    unattached = rstr.find(
        f"{{{t}}}RequestedUnattachedReference/{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference"
    )
    assert (attached.get("URI"), attached.get("ValueType")) == (f"#{token_id}", f"{c}/sct")
    assert unattached.get("URI") == sct.findtext(f"{{{c}}}Identifier")
    secret = rstr.find(f"{{{t}}}Entropy/{{{t}}}BinarySecret")
    assert secret.get("Type") == f"{t}/Nonce" and len(base64.b64decode(secret.text)) == 32
    created = rstr.findtext(f"{{{t}}}Lifetime/{{{ns.WSU}}}Created")
    expires = rstr.findtext(f"{{{t}}}Lifetime/{{{ns.WSU}}}Expires")
    assert created == trust.wcf_time(T0) and expires == trust.wcf_time(T0 + timedelta(hours=15))
    assert sctclient.read_rstr(out.reply or "", version, entropy or b"").key == state.store.sessions()[0].key


def test_session_tokens_live_on_one_node_and_die_with_a_restart():
    one, two = node(1), node(2)
    s = start(one)
    assert send(one, sctclient.call(s)).kind == "application"
    with pytest.raises(Rejection) as exc:
        send(two, sctclient.call(s))
    assert exc.value.code == "CannotFindSecuritySession" and "node 2" in exc.value.message
    one.restart(T0 + timedelta(seconds=1))
    with pytest.raises(Rejection) as exc:
        send(one, sctclient.call(s), T0 + timedelta(seconds=2))
    assert exc.value.code == "CannotFindSecuritySession"
    assert one.sessions() == []


def test_cookie_protected_per_node_fails_on_another_node_with_invalid_security():
    one, two = node(1, cookie=True), node(2, cookie=True)
    s = start(one)
    assert "Cookie" in s.sct_xml
    assert send(one, sctclient.call(s)).kind == "application"
    with pytest.raises(Rejection) as exc:
        send(two, sctclient.call(s))
    assert exc.value.code == "SecurityStateEncoderDecodingFailure"
    assert (
        "Error decoding the Cookie element" in exc.value.message
        and "DataProtectionSecurityStateEncoder" in exc.value.message
    )
    assert fault_of(exc.value)[:2] == ("s:Sender", f"{{{ns.WSSE}}}InvalidSecurity")
    one.restart(T0)  # a recycle makes a new node key: its own old cookies fail too
    with pytest.raises(Rejection) as exc:
        send(one, sctclient.call(s))
    assert exc.value.code == "SecurityStateEncoderDecodingFailure"


def test_shared_key_file_and_certificate_cookies_work_on_every_node(tmp_path, pki):
    keyfile = tmp_path / "cookie.key"
    keyfile.write_bytes(os.urandom(32))
    cert = x509.load_pem_x509_certificate((pki / "service.pem").read_bytes())
    key = serialization.load_pem_private_key((pki / "service.key").read_bytes(), None)
    for make in (lambda: cookies.shared_key_file(keyfile), lambda: cookies.CertificateEncoder(cert, key)):
        one, two = node(1, cookie=True, encoder=make()), node(2, cookie=True, encoder=make())
        s = start(one)
        for state in (one, two, one):
            assert send(state, sctclient.call(s)).sct.identity == ALICE
        two.restart(T0)
        assert send(two, sctclient.call(s)).kind == "application"


def test_tampered_and_truncated_cookies_are_refused():
    state = node(cookie=True)
    s = start(state)
    root = etree.fromstring(s.sct_xml)
    cookie = root.find(f"{{{ns.DNSE}}}Cookie")
    blob = base64.b64decode(cookie.text)
    for bad in (blob[:-1] + bytes([blob[-1] ^ 1]), blob[:20], b""):
        cookie.text = base64.b64encode(bad).decode()
        with pytest.raises(Rejection) as exc:
            send(
                node(cookie=True, encoder=state.encoder),
                sctclient.call(s, sct_xml=etree.tostring(root).decode()),
            )
        assert exc.value.code == "SecurityStateEncoderDecodingFailure"


@pytest.mark.parametrize("version", ["feb2005", "1.3"])
def test_cookie_expires_after_issued_cookie_lifetime(version):
    state = node(cookie=True, issued_cookie_lifetime=timedelta(minutes=30), version=version)
    s = start(state, version)
    late = T0 + timedelta(minutes=31)
    with pytest.raises(Rejection) as exc:
        send(state, sctclient.call(s, created=late), late)
    assert exc.value.code == "SecurityContextExpired"
    _, sub, reason = fault_of(exc.value)
    assert sub == f"{{{ns.WSC}}}BadContextToken"  # CreateSecurityMessageFault: always the Feb 2005 namespace
    assert reason == "The security context token is expired or is not valid. The message was not processed."


def test_max_pending_sessions_then_the_inactivity_sweep():
    state = node(max_pending_sessions=3, inactivity_timeout=timedelta(minutes=2))
    sessions = [start(state) for _ in range(3)]
    request, _ = sctclient.rst()
    with pytest.raises(Rejection) as exc:
        issue(state, envelope.parse(request.encode()), ALICE, T0)
    assert exc.value.code == "SecuritySessionLimitReached"
    code, sub, reason = fault_of(exc.value)
    assert (code, sub) == ("s:Receiver", f"{{{ns.DNSE}}}ServerTooBusy")
    assert reason == "There are too many pending secure conversations on the server. Please retry later."
    assert (
        send(state, sctclient.call(sessions[0]), T0 + timedelta(seconds=1)).kind == "application"
    )  # now active
    later = T0 + timedelta(minutes=4, seconds=1)  # two timer ticks: unused sessions are gone
    with pytest.raises(Rejection) as exc:
        send(state, sctclient.call(sessions[1], created=later), later)
    assert exc.value.code == "CannotFindSecuritySession"
    assert send(state, sctclient.call(sessions[0], created=later), later).kind == "application"
    assert [x.calls for x in state.sessions()] == [2]
    assert start(state, now=later).context_id


def test_ten_thousand_rsts_without_cancel_stay_bounded():
    state = node()
    request, _ = sctclient.rst()
    env = envelope.parse(request.encode())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    refused = 0
    for _ in range(10_000):
        try:
            issue(state, env, ALICE, T0)
        except Rejection as rej:
            assert rej.code == "SecuritySessionLimitReached"
            refused += 1
    assert refused == 10_000 - 128 and state.store.pending_count == 128
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_renew_needed_after_the_key_renewal_interval():
    state = node(session_key_renewal_interval=timedelta(minutes=1), receive_timeout=timedelta(hours=1))
    s = start(state)
    late = T0 + timedelta(minutes=2)
    with pytest.raises(Rejection) as exc:
        send(state, sctclient.call(s, created=late), late)
    assert exc.value.code == "SecurityRenewFaultReason"
    assert fault_of(exc.value)[1] == f"{{{ns.WSC}}}RenewNeeded"
    assert send(state, sctclient.cancel(s), late).kind == "cancel"  # Close is allowed with an old key


@pytest.mark.parametrize(
    ("kwargs", "code", "wire_sub"),
    [
        ({"entropy": b""}, "EntropyModeRequiresRequestorEntropy", (ns.WST, "InvalidRequest")),
        ({"key_size": "128"}, "InvalidKeyLengthRequested", (ns.WST, "InvalidRequest")),
        ({"key_size": "2x"}, "InvalidRequestTrustFaultCode", (ns.WST, "InvalidRequest")),
        ({"key_size": "99999999999"}, "InvalidRequestTrustFaultCode", (ns.WST, "InvalidRequest")),
        (
            {"token_type": "urn:oasis:names:tc:SAML:1.0:assertion"},
            "CannotIssueRstTokenType",
            (ns.WST, "InvalidRequest"),
        ),
        ({"request_type": f"{ns.WST}/Renew"}, "InvalidRstRequestType", (ns.WST, "InvalidRequest")),
    ],
)
def test_rsts_wcf_cannot_accept(kwargs, code, wire_sub):
    request, _ = sctclient.rst(**kwargs)
    with pytest.raises(Rejection) as exc:
        issue(node(), envelope.parse(request.encode()), ALICE, T0)
    assert exc.value.code == code
    c, sub, reason = fault_of(exc.value, f"{ns.WST}/RST/SCT")
    assert (c, sub) == ("s:Sender", f"{{{wire_sub[0]}}}{wire_sub[1]}")
    assert reason == "The request for security token has invalid or malformed elements."


def test_1_3_rst_sent_to_a_feb2005_endpoint_is_malformed():
    request, _ = sctclient.rst("1.3")
    with pytest.raises(Rejection) as exc:
        issue(node(version="feb2005"), envelope.parse(request.encode()), ALICE, T0)
    assert exc.value.code == "InvalidRequestTrustFaultCode" and ns.WST in exc.value.message


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda s: sctclient.call(s, key=os.urandom(32)), "SignatureVerificationFailed"),
        (lambda s: sctclient.call(s, sign_to=False), "UnsignedToHeaderInTransportSecuredMessage"),
        (lambda s: sctclient.cancel(s, target=None), "NoCloseTargetSpecified"),
        (lambda s: sctclient.cancel(s, target="#" + s.token_id), "BadCloseTarget"),
        (
            lambda s: sctclient.cancel(s, target="urn:uuid:00000000-0000-0000-0000-000000000000"),
            "BadCloseTarget",
        ),
    ],
)
def test_bad_conversation_messages(make, code):
    state = node()
    s = start(state)
    with pytest.raises(Rejection) as exc:
        send(state, make(s))
    assert exc.value.code == code
    assert fault_of(exc.value)[1] == f"{{{ns.WSSE}}}InvalidSecurity"


def test_a_message_without_an_sct_fails_demux_like_wcf():
    """What a plain UsernameToken client sees at a wsHttpBinding endpoint with establishSecurityContext."""
    doc = wss.envelope(
        wss.addressing() + wss.security(wss.timestamp(), wss.username_token(), soap12=True), soap12=True
    )
    with pytest.raises(Rejection) as exc:
        send(node(), doc)
    assert exc.value.code == "CannotFindSecuritySession"


def test_psha1_matches_apache_wss4j():
    import json

    vectors = json.loads((Path(__file__).parent / "data" / "psha1_wss4j.json").read_text())
    assert len(vectors) == 6
    for v in vectors:
        secret, seed = bytes.fromhex(v["secret"]), bytes.fromhex(v["seed"])
        got = trust.p_sha1(secret, seed, v["offset"] + v["length"])[v["offset"] :]
        assert got.hex() == v["key"], v["name"]
        assert sctclient.p_sha1(secret, seed, v["offset"] + v["length"])[v["offset"] :].hex() == v["key"]


def test_renew_then_rollover_of_the_old_key():
    state = node(session_key_rollover_interval=timedelta(minutes=5))
    s = start(state)
    assert send(state, sctclient.call(s)).kind == "application"
    message, entropy = sctclient.renew(s)
    env = envelope.parse(message.encode())
    out = renew(state, env, ALICE, T0 + timedelta(seconds=1))
    assert out.kind == "renew" and out.action == f"{ns.WST}/RSTR/SCT/Renew"
    s2 = sctclient.read_rstr(out.reply or "", "feb2005", entropy)
    assert s2.context_id == s.context_id and s2.key != s.key
    assert etree.fromstring(s2.sct_xml).findtext(f"{{{ns.WSC}}}Instance") == out.sct.generation
    assert (
        send(state, sctclient.call(s), T0 + timedelta(seconds=2)).sct.generation is None
    )  # old key, not yet rolled
    assert send(state, sctclient.call(s2), T0 + timedelta(seconds=3)).sct.generation == out.sct.generation
    assert send(state, sctclient.call(s), T0 + timedelta(minutes=4)).kind == "application"  # rollover window
    late = T0 + timedelta(minutes=6)
    with pytest.raises(Rejection) as exc:
        send(state, sctclient.call(s, created=late), late)
    assert exc.value.code == "SecurityContextNotRegistered"
    assert fault_of(exc.value)[1] == f"{{{ns.WSC}}}BadContextToken"
    assert send(state, sctclient.cancel(s2), late).kind == "cancel"


@pytest.mark.parametrize(
    ("what", "code"),
    [
        ("pending", "InvalidRequestTrustFaultCode"),
        ("no-target", "NoRenewTargetSpecified"),
        ("other-target", "BadRenewTarget"),
        ("other-user", "WrongIdentityRenewingToken"),
        ("six", "TooManyPendingSessionKeys"),
    ],
)
def test_renew_refusals_are_invalid_request(what, code):
    state = node()
    s = start(state)
    if what != "pending":
        send(state, sctclient.call(s))
    target = {"no-target": None, "other-target": "urn:uuid:00000000-0000-0000-0000-000000000001"}.get(
        what, "context"
    )
    identity = "UserName 'mallory'" if what == "other-user" else ALICE
    for _ in range(5 if what == "six" else 0):
        renew(state, envelope.parse(sctclient.renew(s)[0].encode()), ALICE, T0)
    with pytest.raises(Rejection) as exc:
        renew(state, envelope.parse(sctclient.renew(s, target=target)[0].encode()), identity, T0)
    assert exc.value.code == code
    assert fault_of(exc.value)[1] == f"{{{ns.WST}}}InvalidRequest"


def test_idle_established_sessions_are_aborted_after_the_receive_timeout():
    state = node(receive_timeout=timedelta(minutes=10), session_key_renewal_interval=timedelta(hours=1))
    s = start(state)
    assert send(state, sctclient.call(s)).kind == "application"
    nine = T0 + timedelta(minutes=9)
    assert send(state, sctclient.call(s, created=nine), nine).kind == "application"  # idle time restarts
    late = nine + timedelta(minutes=10, seconds=1)
    with pytest.raises(Rejection) as exc:
        send(state, sctclient.call(s, created=late), late)
    assert exc.value.code == "CannotFindSecuritySession"


def test_decoded_cookies_are_cached_up_to_max_cached_cookies():
    state = node(cookie=True, max_cached_cookies=2)
    sessions = [start(state) for _ in range(3)]
    for s in sessions:
        send(state, sctclient.call(s))
    assert len(state.cookie_cache) == 2
    assert [c.context_id for c in state.cookie_cache.sessions()] == [s.context_id for s in sessions[1:]]
