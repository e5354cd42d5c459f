"""Concurrency (issue 15): 32 clients at once get what one client would, bounded in count (not timed).

The same mix and checks as `bench/concurrency.py` (which `make bench` runs with 20,000 messages): unique
signed requests accepted exactly once, every other copy refused as a replay, tampered / malformed / wrong
Content-Type requests refused with their codes, WSDL GETs served; the journal holds one entry per request
with ids 1..N and the replay cache agrees with it.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import concurrency  # noqa: E402
import messages  # noqa: E402
import run  # noqa: E402

CLIENTS = 32
MESSAGES = 1200


def test_32_clients_get_single_client_answers_and_the_journal_loses_nothing():
    work = concurrency.build(MESSAGES, messages.Signer(run.REPO / "certs"))
    server = run.mockwcf_server(str(BENCH / "concurrency.yaml"))
    try:
        results: list = []
        lock = threading.Lock()
        shares = [work[i::CLIENTS] for i in range(CLIENTS)]
        threads = [
            threading.Thread(target=concurrency.client, args=(server.port, share, results, lock))
            for share in shares
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/_mockwcf/exchanges", timeout=60) as r:
            journal = json.loads(r.read())
    finally:
        server.stop()
    assert len(results) == len(work)
    assert concurrency.check(work, results, journal) == []
    kinds = {kind for kind, *_ in results}
    assert {"tampered", "malformed", "wrong_type", "wsdl"} <= kinds  # the mix really was mixed
