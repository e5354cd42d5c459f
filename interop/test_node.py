"""The node `soap` package (version pinned in interop/node/package-lock.json) against the shipped scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interop.conftest import CERTS, HERE, Report, expect, json_report, load, run
from mockwcf.testing import MockServer


def node(client_js: Path, server: MockServer, security: str, **settings: str | bool) -> Report:
    cfg = {"wsdl": server.wsdl_url, "security": security, "user": "alice", "password": "p@ssw0rd"}
    cfg.update(settings)
    if security == "cert":
        cfg.setdefault("key", str(CERTS / "client.key"))
        cfg["cert"] = str(CERTS / f"{cfg.get('cert', 'client')}.pem")
    return json_report(run(["node", "--no-deprecation", str(client_js), json.dumps(cfg)], cwd=HERE / "node"))


CASES = [
    ("username-over-http.yaml", {"security": "username"}, "accepted"),
    (
        "username-over-http.yaml",
        {"security": "none"},
        ("InvalidSecurity", "UnableToFindSecurityHeaderInMessage"),
    ),
    (
        "username-over-http.yaml",
        {"security": "username", "password": "wrong"},
        ("FailedAuthentication", "UserNameAuthenticationFailed"),
    ),
    (
        "clock-skew-client-ahead.yaml",
        {"security": "username"},
        ("InvalidSecurity", "TimeStampHasCreationTimeInFuture"),
    ),
    ("wshttp-username-transport.yaml", {"security": "username", "soap12": True}, "accepted"),
    (
        "wshttp-username-transport.yaml",
        {"security": "none", "soap12": True},
        ("InvalidSecurity", "UnableToFindSecurityHeaderInMessage"),
    ),
    (
        "wshttp-username-transport.yaml",
        {"security": "username", "soap12": True, "password": "wrong"},
        ("FailedAuthentication", "UserNameAuthenticationFailed"),
    ),
    ("unsecured.yaml", {"security": "none"}, "accepted"),
    ("unsecured.yaml", {"security": "username"}, ("MustUnderstand", "SFxHeaderNotUnderstood")),
    ("mutual-certificate-strict.yaml", {"security": "cert"}, "accepted"),
    ("mutual-certificate-lax.yaml", {"security": "cert"}, "accepted"),
    (
        "mutual-certificate-strict.yaml",
        {"security": "cert", "cert": "client-untrusted"},
        ("FailedAuthentication", "X509ChainBuildFail"),
    ),
]


@pytest.mark.parametrize(("scenario", "settings", "outcome"), CASES, ids=lambda v: str(v))
def test_node_soap(node_client, mockwcf_server, scenario, settings, outcome):
    load(mockwcf_server, scenario)
    report = node(node_client, mockwcf_server, **settings)
    expect(mockwcf_server, report, outcome, reads_header=True)
