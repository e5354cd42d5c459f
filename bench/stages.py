"""Where a signed request's time goes, stage by stage, in-process (no HTTP): `python bench/stages.py`.

Each stage function is wrapped with a nanosecond timer and `Runtime.handle_soap` is driven with the same
pre-built messages the load test sends (`messages.py`), for `--rounds` rounds of `--count` requests after
a warm-up; the table shows the median per request. Wrapping adds well under a microsecond per call, and
in-process figures run below the loaded server's (cache effects of interleaving Twisted), so read them as
shares, not as the served cost. Run it pinned (`taskset -c 0`) for steadier numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import messages  # noqa: E402

from mockwcf import envelope, runtime, service  # noqa: E402
from mockwcf.scenario import load  # noqa: E402
from mockwcf.security import (  # noqa: E402
    parts,
    pipeline,
    respond,
    signature,
    signature_read,
    timestamp,
    tokens,
)

ACTION = '"http://tempuri.org/IEchoService/Echo"'
# (label, owner, attribute), in request order; nested stages are indented in the table
STAGES = [
    ("handle_soap (all)", runtime.Runtime, "handle_soap"),
    ("  parse", envelope, "parse"),
    ("  receive pipeline", pipeline, "receive"),
    ("    timestamp", timestamp, "read"),
    ("    BST token", tokens, "read"),
    ("    signature read", signature_read, "read"),
    ("    signature verify", signature, "process_primary"),
    ("    protection pass", parts, "protection_pass"),
    ("  dispatch (contract)", service.Contract, "dispatch"),
    ("  response", respond.ResponseSecurity, "envelope"),
    ("    RSA sign + SignedInfo", respond.ResponseSecurity, "_signature"),
]


def _timed(fn: Callable[..., Any], label: str, acc: dict[str, int]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[label] = acc.get(label, 0) + time.perf_counter_ns() - start

    return wrapper


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "mutual-certificate-strict.yaml"))
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    acc: dict[str, int] = {}
    for label, owner, name in STAGES:
        setattr(owner, name, _timed(getattr(owner, name), label, acc))
    rt = runtime.Runtime(load(args.scenario))
    signer = messages.Signer(REPO / "certs")
    batch = [signer.message() for _ in range(args.count * (args.rounds + 1))]
    headers = {"content-type": "text/xml; charset=utf-8", "soapaction": ACTION}

    def drive(msgs: list[bytes]) -> None:
        for body in msgs:
            reply = rt.handle_soap(runtime.Request("POST", "/", "", headers, body, "http://127.0.0.1"))
            if reply.status != 200:
                raise SystemExit(f"request rejected: {rt.journal.entries()[-1].reason}")

    drive(batch[: args.count])  # warm-up: caches, certificate validation window
    rounds = []
    for r in range(1, args.rounds + 1):
        acc.clear()
        drive(batch[r * args.count : (r + 1) * args.count])
        rounds.append(dict(acc))
    print(f"{'stage':28s} {'µs/request':>10s}")
    for label, _, _ in STAGES:
        print(f"{label:28s} {statistics.median(x.get(label, 0) for x in rounds) / args.count / 1000:10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
