"""`make bench`, secure conversation part: memory under 100,000 RSTs, and the SCT call path against its floor.

1. 100,000 RST/SCT issued on one node without a Cancel, the clock advancing 10 ms per request (so the
   inactivity sweep runs every 12,000 requests): the pending sessions stay under maxPendingSessions, the
   rest are refused with ServerTooBusy, and RSS stays flat.
2. In-process (no HTTP), an SCT-endorsed Echo through `Runtime.handle_soap` against a floor that does the
   least such a call needs: one lxml parse, P_SHA1 of a derived key, exclusive c14n + SHA-1 of the Timestamp
   and wsa:To, the HMAC-SHA1 check and a reply written directly. Medians of rounds, same process.

Merges {"secure_conversation": ...} into bench/results.json. `python bench/sessions.py [--count N] [--smoke]`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import resource
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from lxml import etree  # noqa: E402

from mockwcf import envelope, ns  # noqa: E402
from mockwcf.canonical import c14n  # noqa: E402
from mockwcf.config.builder import load_text  # noqa: E402
from mockwcf.faults import Rejection  # noqa: E402
from mockwcf.runtime import Request, Runtime  # noqa: E402
from mockwcf.security import trust  # noqa: E402
from mockwcf.security.conversation import ConversationSettings, NodeState, issue  # noqa: E402
from tests import sctclient  # noqa: E402

SCENARIO = (REPO / "scenarios" / "seed003-session-sticky.yaml").read_text().replace("nodes: 2", "nodes: 1")
LABEL = b"WS-SecureConversationWS-SecureConversation"
REPLY = b"<s:Envelope><s:Body><EchoResponse><EchoResult>hi</EchoResult></EchoResponse></s:Body></s:Envelope>"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(count: int) -> dict:
    now = datetime.now(UTC)
    state = NodeState(1, ConversationSettings(), now)
    request, _ = sctclient.rst()
    env = envelope.parse(request.encode())
    refused = peak_pending = 0
    before = rss_mb()
    at_tenth = 0.0
    for i in range(count):
        try:
            issue(state, env, "UserName 'alice'", now + timedelta(milliseconds=10 * i))
        except Rejection:
            refused += 1
        peak_pending = max(peak_pending, state.store.pending_count)
        if i == count // 10:
            at_tenth = rss_mb()
    return {
        "rsts": count,
        "refused_server_too_busy": refused,
        "peak_pending_sessions": peak_pending,
        "max_rss_mb_before": round(before, 1),
        f"max_rss_mb_after_{count // 10}": round(at_tenth, 1),
        f"max_rss_mb_after_{count}": round(rss_mb(), 1),
    }


def floor(message: bytes, key: bytes) -> bytes:
    """The least work of an SCT-endorsed call: parse, derive, digest, HMAC, reply."""
    root = etree.fromstring(message, envelope._PARSER)
    header = root[0]
    sec = header.find(f"{{{ns.WSSE}}}Security")
    sig = sec.find(f"{{{ns.DS}}}Signature")
    si = sig.find(f"{{{ns.DS}}}SignedInfo")
    derived = trust.p_sha1(key, LABEL + b"0123456789abcdef", 24)
    ids = {e.get(envelope.WSU_ID): e for e in (*sec, *header) if e.get(envelope.WSU_ID)}
    for ref in si.iter(f"{{{ns.DS}}}Reference"):
        target = ids[ref.get("URI")[1:]]
        hashlib.sha1(c14n(target)).digest()
    mac = hmac.new(derived, c14n(si), hashlib.sha1).digest()
    hmac.compare_digest(mac, mac)
    return REPLY


def throughput(rounds: int, count: int) -> dict:
    rt = Runtime(load_text(SCENARIO, "bench", REPO / "scenarios"))

    def post(body: bytes, action: str = sctclient.wss.ACTION) -> bytes:
        # the Content-Type action must equal wsa:Action (HttpSoapActionMismatchFault otherwise)
        headers = {"content-type": f'application/soap+xml; charset=utf-8; action="{action}"'}
        return rt.handle_soap(
            Request("POST", "/EchoService.svc", "", headers, body, "http://127.0.0.1/")
        ).body

    request, entropy = sctclient.rst()
    issued = post(request.encode(), f"{ns.WST}/RST/SCT")
    rstr = etree.fromstring(issued).find(f"{{{ns.SOAP12}}}Body")[0]
    session = sctclient.read_rstr(etree.tostring(rstr), "feb2005", entropy or b"")
    calls = [sctclient.call(session).encode() for _ in range(200)]
    assert b"EchoResult" in post(calls[0])
    results: dict[str, list[float]] = {"mockwcf": [], "floor": []}
    for _ in range(rounds):
        for name, fn in (("floor", lambda m: floor(m, session.key)), ("mockwcf", post)):
            t0 = time.perf_counter()
            for i in range(count):
                fn(calls[i % len(calls)])
            results[name].append(count / (time.perf_counter() - t0))
    mock, flo = statistics.median(results["mockwcf"]), statistics.median(results["floor"])
    return {
        "mockwcf_calls_per_s": round(mock),
        "floor_calls_per_s": round(flo),
        "ratio": round(mock / flo, 3),
    }


def served(rounds: int, duration: float, pool: int) -> dict:
    """The issue's served figure: wrk c=8 against mockwcf (seed003-session-sticky, one SCT) and the
    lxml_hmac floor, alternating rounds; each ratio is a round's, the median is reported.

    The floor is served twice, as bench/run.py serves its floors: on Twisted's default Site, as
    performance-floors.md measured every HTTP floor (`ratio`, the headline like run.py's unsuffixed ratios),
    and on a Site tuned as mockwcf's HTTP path is (`ratio_tuned`: no form parsing, no access log)."""
    import run  # bench/run.py: servers and wrk

    tmp = Path(tempfile.mkdtemp(prefix="mockwcf-sct-bench-"))

    def messages(mock: run.Server) -> dict[str, Path]:
        """One SCT issued by the running mockwcf, then calls endorsed by it (and by a fixed key for the floor)."""
        url = f"http://127.0.0.1:{mock.port}/EchoService.svc"
        request, entropy = sctclient.rst()
        req = urllib.request.Request(
            url, request.encode(), {"Content-Type": "application/soap+xml; charset=utf-8"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
            body = etree.fromstring(resp.read()).find(f"{{{ns.SOAP12}}}Body")[0]
        session = sctclient.read_rstr(etree.tostring(body), "feb2005", entropy or b"")
        floor_key = trust.p_sha1(bytes(range(32)), LABEL + b"0" * 16, 32)
        files = {"mockwcf": tmp / "sct.msgs", "floor": tmp / "sct-floor.msgs"}
        run.write_messages(files["mockwcf"], [sctclient.call(session).encode() for _ in range(pool)])
        run.write_messages(
            files["floor"], [sctclient.call(session, key=floor_key).encode() for _ in range(pool)]
        )
        files["floor_tuned"] = files["floor"]
        return files

    return run.against_floor(
        "seed003-session-sticky.yaml", "lxml_hmac", messages, rounds, duration, floor_key="floor_lxml_hmac"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--output", default=str(HERE / "results.json"))
    args = ap.parse_args()
    if args.smoke:
        args.count, args.rounds = 2000, 1
    out = {
        "memory_100k_rsts": memory(args.count),
        "sct_call_in_process": throughput(args.rounds, 1000),
        "sct_call_served": served(3 if not args.smoke else 1, 3.0 if not args.smoke else 1.0, 2000),
    }
    print(json.dumps(out, indent=2))
    path = Path(args.output)
    data = json.loads(path.read_text()) if path.is_file() else {}
    data["secure_conversation"] = out
    path.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
