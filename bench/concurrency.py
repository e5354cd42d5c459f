"""Concurrency check (run by `make bench`, not a timed test): 32 clients send 20,000 mixed messages to one
mockwcf server, and every answer must match what a single client would get.

The mix (MutualCertificate, Strict, replay detection on): unique signed requests (accepted once), replays of
them (the same bytes again: exactly one copy of each is accepted, whichever arrives first, the others are
refused as replays), tampered signatures, malformed XML, a wrong Content-Type and pipelined GETs of the
WSDL. Checked afterwards:
- each answer's status (and, for SOAP faults, the journaled resource code) is the single-client one;
- the journal holds exactly one entry per request, ids 1..N with none lost or doubled;
- the replay cache agrees: accepted = unique messages, replay refusals = copies sent beyond the first;
- the server's RSS stays under the stated bound.

    python bench/concurrency.py [--messages 20000] [--clients 32]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import messages  # noqa: E402
import run  # noqa: E402

RSS_BOUND_MB = 400  # 20,000 journaled 4 KB requests plus the process; the journal keeps every entry here


def build(n: int, signer: messages.Signer) -> list[tuple[str, bytes, str]]:
    """(kind, body, expectation key) in a shuffled order; a replay follows nothing in particular."""
    unique = int(n * 0.45)
    replays = int(n * 0.2)
    tampered = int(n * 0.15)
    malformed = int(n * 0.1)
    wrong_type = int(n * 0.05)
    wsdl = n - unique - replays - tampered - malformed - wrong_type
    signed = [signer.message() for _ in range(unique)]
    out: list[tuple[str, bytes, str]] = [("valid", m, f"m{i}") for i, m in enumerate(signed)]
    out += [("replay", signed[i % unique], f"m{i % unique}") for i in range(replays)]
    for _ in range(tampered):
        m = signer.message()
        out.append(("tampered", m.replace(b"<text>", b"<text>forged ", 1), ""))
    out += [("malformed", b"<s:Envelope><oops", "")] * malformed
    out += [("wrong_type", messages.unsigned(), "")] * wrong_type
    out += [("wsdl", b"", "")] * wsdl
    random.Random(15).shuffle(out)
    return out


def client(port: int, work: list[tuple[str, bytes, str]], results: list, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    mine = []
    for kind, body, key in work:
        if kind == "wsdl":
            conn.request("GET", "/EchoService.svc?wsdl")
        else:
            ctype = (
                "application/soap+xml; charset=utf-8" if kind == "wrong_type" else "text/xml; charset=utf-8"
            )
            headers = {"Content-Type": ctype, "SOAPAction": f'"{run.ACTION}"'}
            conn.request("POST", "/EchoService.svc", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        code = resp.getheader("X-MockWcf-Resource-Code")
        mine.append((kind, key, resp.status, code, len(data)))
    conn.close()
    with lock:
        results.extend(mine)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--output", default=None, help="merge the figures into this results.json")
    args = ap.parse_args()
    signer = messages.Signer(run.REPO / "certs")
    t0 = time.perf_counter()
    work = build(args.messages, signer)
    print(f"built {len(work)} messages in {time.perf_counter() - t0:.1f} s", flush=True)
    server = run.mockwcf_server(str(HERE / "concurrency.yaml"))
    try:
        rss_start = run.rss_mb(server.proc.pid)
        results: list = []
        lock = threading.Lock()
        shares = [work[i :: args.clients] for i in range(args.clients)]
        threads = [threading.Thread(target=client, args=(server.port, s, results, lock)) for s in shares]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        elapsed = time.perf_counter() - t0
        rss_end = run.rss_mb(server.proc.pid)
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/_mockwcf/exchanges", timeout=60) as r:
            journal = json.loads(r.read())
    finally:
        server.stop()
    problems = check(work, results, journal)
    figures = {
        "messages": len(work),
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "answers": len(results),
        "journal_entries": len(journal),
        "rss_mb": {"start": round(rss_start, 1), "end": round(rss_end, 1), "bound": RSS_BOUND_MB},
        "by_kind": {f"{k} {s} {c or ''}".strip(): n for (k, s, c), n in sorted(_tally(results).items())},
        "problems": problems[:20],
    }
    if rss_end > RSS_BOUND_MB:
        problems.append(f"RSS {rss_end:.0f} MB over the bound {RSS_BOUND_MB} MB")
    print(json.dumps(figures, indent=1))
    if args.output:
        path = Path(args.output)
        data = json.loads(path.read_text()) if path.exists() else {}
        data["concurrency"] = figures
        path.write_text(json.dumps(data, indent=1) + "\n")
    print("concurrency: " + ("OK" if not problems else f"{len(problems)} problem(s)"), flush=True)
    return 1 if problems else 0


def _tally(results: list) -> Counter:
    return Counter((kind, status, code) for kind, _, status, code, _ in results)


def check(work: list, results: list, journal: list) -> list[str]:
    """Everything a single client would see, and the journal and replay cache agreeing with it."""
    problems: list[str] = []
    if len(results) != len(work):
        problems.append(f"{len(work)} sent, {len(results)} answered")
    expected = {
        "tampered": (500, "DigestVerificationFailedForReference"),
        "malformed": (400, "MalformedMessage"),
        "wrong_type": (415, "ContentTypeMismatch"),
        "wsdl": (200, None),
    }
    by_key: dict[str, list[tuple[int, str | None]]] = {}
    for kind, key, status, code, _ in results:
        if kind in expected:
            if (status, code) != expected[kind]:
                problems.append(f"{kind}: got {status} {code}, expected {expected[kind]}")
        else:
            by_key.setdefault(key, []).append((status, code))
    replay_codes = Counter()
    for key, answers in by_key.items():
        accepted = [a for a in answers if a[0] == 200]
        if len(accepted) != 1:
            problems.append(
                f"message {key}: {len(accepted)} copies accepted of {len(answers)} (expected exactly 1)"
            )
        replay_codes.update(code for status, code in answers if status != 200)
    if set(replay_codes) - {"InvalidOrReplayedNonce"}:
        problems.append(f"copies refused with other codes than a replay: {dict(replay_codes)}")
    soap = len(results)  # every request is journaled, WSDL GETs too (verdict "served")
    ids = sorted(e["id"] for e in journal)
    if ids != list(range(1, soap + 1)):
        missing = set(range(1, soap + 1)) - set(ids)
        doubled = [i for i, n in Counter(ids).items() if n > 1]
        problems.append(
            f"journal ids: {len(ids)} for {soap} requests, missing {len(missing)}, doubled {len(doubled)}"
        )
    accepted = sum(1 for e in journal if e["verdict"] == "accepted")
    if accepted != len(by_key):
        problems.append(f"journal: {accepted} accepted for {len(by_key)} unique messages")
    replayed = sum(1 for e in journal if e["resourceCode"] == "InvalidOrReplayedNonce")
    copies = sum(len(a) - 1 for a in by_key.values())
    if replayed != copies:
        problems.append(f"replay cache: {replayed} replays refused for {copies} copies sent again")
    return problems


if __name__ == "__main__":
    sys.exit(main())
