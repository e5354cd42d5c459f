"""Seed 003 with a real balancer: `mockwcf serve --node-id K` processes behind HAProxy on loopback.

haproxy is installed by mockwcf.farm.ensure_haproxy (apt) when missing; if that fails the test fails and
says so. Each call is checked on the node that served it (each process keeps its own journal)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
import yaml
from lxml import etree

from mockwcf import farm, ns
from mockwcf.schema import SCHEMA
from tests import sctclient, wss

BASE = {
    "scenario": 1,
    "credentials": {"userNameAuthentication": {"users": {"alice": "p@ssw0rd"}}},
}
SESSION = {
    "binding": {
        "type": "wsHttpBinding",
        "security": {
            "mode": "TransportWithMessageCredential",
            "clientCredentialType": "UserName",
            "allowInsecureTransport": True,
        },
    }
}


# farm.cookieProtection values: perNode (DPAPI-like), shared (a key file every node reads), certificate
PER_NODE, SHARED_KEY, _CERTIFICATE = SCHEMA.fields["farm"].fields["cookieProtection"].choices


def cookie(protection: str, key_file: Path | None = None) -> dict:
    f = {"cookieProtection": protection} | ({"cookieKeyFile": str(key_file)} if key_file else {})
    return {
        "binding": {
            "type": "customBinding",
            "messageVersion": "Soap12WSAddressing10",
            "security": {
                "authenticationMode": "SecureConversation",
                "secureConversationBootstrap": "UserNameOverTransport",
                "requireCancellation": False,
                "allowInsecureTransport": True,
            },
        },
        "farm": f,
    }


def journals(f: farm.Farm) -> dict[int, list[dict]]:
    out = {}
    for k in range(1, f.nodes + 1):
        with urllib.request.urlopen(f"{f.node_url(k)}/_mockwcf/exchanges", timeout=10) as resp:  # noqa: S310
            out[k] = json.loads(resp.read())
    return out


def exchange(f: farm.Farm, message: str, action: str = wss.ACTION):
    """Send through the balancer; (response, (node, verdict, code)) of the one node whose journal grew."""
    before = {k: len(v) for k, v in journals(f).items()}
    resp = wss.post(f.url + "/EchoService.svc", message, soap12=True, action=action)
    grown = [(k, v[-1]) for k, v in journals(f).items() if len(v) > before[k]]
    assert len(grown) == 1, grown
    node, e = grown[0]
    assert e["node"] == node  # each process journals under its --node-id
    return resp, (node, e["verdict"], e["resourceCode"])


def conversation(f: farm.Farm) -> list[tuple[int, str, str | None]]:
    """RST/SCT then three calls through the balancer; the outcome of each exchange."""
    request, entropy = sctclient.rst()
    resp, first = exchange(f, request, f"{ns.WST}/RST/SCT")
    assert resp.status_code == 200, resp.text
    body = etree.fromstring(resp.content).find(f"{{{ns.SOAP12}}}Body")[0]
    s = sctclient.read_rstr(etree.tostring(body), "feb2005", entropy or b"")
    return [first] + [exchange(f, sctclient.call(s))[1] for _ in range(3)]


@pytest.fixture
def run(tmp_path):
    started: list[farm.Farm] = []

    def start(scenario: dict, balance: str = "roundrobin") -> farm.Farm:
        path = tmp_path / f"farm{len(started)}.yaml"
        path.write_text(yaml.safe_dump(BASE | scenario))
        try:
            f = farm.Farm(path, nodes=2, balance=balance).start(tmp_path)
        except farm.FarmError as exc:
            pytest.fail(f"the HAProxy farm could not start: {exc}")
        started.append(f)
        return f

    yield start
    for f in started:
        f.stop()


def test_session_scts_round_robin_fail_on_the_other_node_and_sticky_works(run):
    f = run(SESSION)
    (n0, v0, _), *calls = conversation(f)
    assert v0 == "accepted"
    for node, verdict, code in calls:
        assert (verdict, code) == (
            ("accepted", None) if node == n0 else ("rejected", "CannotFindSecuritySession")
        )
    assert {node for node, _, _ in calls} == {1, 2}
    f.stop()
    sticky = run(SESSION, balance="source")
    results = conversation(sticky)
    assert len({node for node, _, _ in results}) == 1
    assert all(v == "accepted" for _, v, _ in results)


def test_cookie_scts_need_a_key_every_process_shares(run, tmp_path):
    per_node = conversation(run(cookie(PER_NODE)))
    issuer = per_node[0][0]
    assert [(v, c) for n, v, c in per_node[1:] if n != issuer] == [
        ("rejected", "SecurityStateEncoderDecodingFailure")
    ] * sum(1 for n, _, _ in per_node[1:] if n != issuer)
    key = tmp_path / "cookie.key"
    key.write_bytes(b"a key every node of this farm reads")
    shared = conversation(run(cookie(SHARED_KEY, key)))
    assert {n for n, _, _ in shared} == {1, 2} and all(v == "accepted" for _, v, _ in shared)


def test_haproxy_config_balances_each_request():
    cfg = farm.haproxy_config(8080, [9001, 9002], "roundrobin")
    assert "balance roundrobin" in cfg and "server node2 127.0.0.1:9002" in cfg
    with pytest.raises(farm.FarmError):
        farm.haproxy_config(8080, [9001], "leastconn?")
