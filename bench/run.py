"""`make bench`: mockwcf against its floors, measured in the same run (issue 6).

Servers run pinned to CPU 0, wrk (Debian's package, with post.lua) pinned to CPU 1, so every server figure
is one core's worth. Every figure is the median of several rounds; loops are bounded in time and count and
traffic goes only to 127.0.0.1. Writes bench/results.json and prints one table.

    python bench/run.py [--rounds 3] [--duration 3] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import messages  # noqa: E402

from mockwcf import certs  # noqa: E402

PY = sys.executable
MOCKWCF = [PY, "-m", "mockwcf"]
ACTION = "http://tempuri.org/IEchoService/Echo"
TICKS = os.sysconf("SC_CLK_TCK")


def pinned(cpu: int):
    def fn() -> None:
        if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
            os.sched_setaffinity(0, {cpu})

    return fn


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, argv: list[str], ready: str) -> None:
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=pinned(0), cwd=REPO
        )
        start = time.monotonic()
        line = self.proc.stdout.readline()
        self.startup = time.monotonic() - start
        if ready not in line:
            self.stop()
            raise RuntimeError(f"server did not start: {argv} -> {line!r}")
        self.port = int(re.findall(r"(\d+)/?\s*$", line.strip())[0])
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def mockwcf_server(scenario: str) -> Server:
    path = HERE / scenario if (HERE / scenario).exists() else REPO / "scenarios" / scenario
    return Server([*MOCKWCF, "serve", str(path), "--port", "0", "--quiet"], "mockwcf listening on")


def floor_server(mode: str, tuned: bool = False) -> Server:
    return Server([PY, str(HERE / "floors.py"), mode, "0", *(["--tuned"] if tuned else [])], "listening")


def write_messages(path: Path, msgs: list[bytes]) -> None:
    with path.open("wb") as f:
        for m in msgs:
            f.write(m + b"\n@@@@\n")


def wrk(port: int, path: str, conc: int, duration: float, msg_file: Path, soap12: bool = False) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conc}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "5s",
            "-s",
            str(HERE / "post.lua"),
            f"http://127.0.0.1:{port}{path}",
            "--",
            str(msg_file),
            ACTION,
            *(["soap12"] if soap12 else []),
        ],
        capture_output=True,
        text=True,
        preexec_fn=pinned(1),
        timeout=duration + 60,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout} {out.stderr}")
    return json.loads(line[5:])


def alternate(
    servers: dict[str, Server],
    files: dict[str, Path],
    rounds: int,
    duration: float,
    before: Callable[[str, Server], None] | None = None,
    pool: int | None = None,
) -> dict[str, dict[str, float]]:
    """wrk c=8 (SOAP 1.2) against each server in turn, `rounds` times, so a slow spell of the machine lands
    on every side alike. Returns per server the median req/s and p99 ms, and for each floor (every server
    but "mockwcf") the median of the rounds' mockwcf/floor ratios. `before(name, server)` runs before each
    wrk (an admin reset); with `pool`, a round that sent more requests than the pool holds (and so repeated
    messages) fails, as does any non-2xx answer."""
    rps: dict[str, list[float]] = {name: [] for name in servers}
    p99: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, server in servers.items():
            if before is not None:
                before(name, server)
            r = wrk(server.port, "/EchoService.svc", 8, duration, files[name], soap12=True)
            if r["non2xx"] or r["errors"] or (pool is not None and r["requests"] > pool):
                raise RuntimeError(f"{name}: {r} (pool {pool})")
            rps[name].append(r["requests"] / (r["duration_us"] / 1e6))
            p99[name].append(r["p99_us"] / 1000)
    out = {
        name: {
            "rps": round(statistics.median(rps[name]), 1),
            "p99_ms": round(statistics.median(p99[name]), 2),
        }
        for name in servers
    }
    for name in servers:
        if name != "mockwcf":
            ratios = (m / f for m, f in zip(rps["mockwcf"], rps[name], strict=True))
            out[name]["ratio"] = round(statistics.median(ratios), 3)
    return out


def against_floor(
    scenario: str,
    floor_mode: str,
    messages: Callable[[Server], dict[str, Path]],
    rounds: int,
    duration: float,
    floor_key: str = "floor",
    before: Callable[[str, Server], None] | None = None,
    pool: int | None = None,
) -> dict:
    """mockwcf serving `scenario` against the floor `floor_mode` on Twisted's default Site (`ratio`, as
    performance-floors.md measured every HTTP floor) and on one tuned as mockwcf's HTTP path is (`ratio_tuned`),
    in alternating rounds (`alternate`). `messages(mockwcf_server)` writes the message files, keyed "mockwcf",
    "floor" and "floor_tuned", once the servers are up (a session may have to be issued first)."""
    servers = {
        "floor": floor_server(floor_mode),
        "floor_tuned": floor_server(floor_mode, tuned=True),
        "mockwcf": mockwcf_server(scenario),
    }
    try:
        out = alternate(servers, messages(servers["mockwcf"]), rounds, duration, before=before, pool=pool)
    finally:
        for server in servers.values():
            server.stop()
    return {
        "mockwcf_c8_rps": out["mockwcf"]["rps"],
        "mockwcf_c8_p99_ms": out["mockwcf"]["p99_ms"],
        f"{floor_key}_c8_rps": out["floor"]["rps"],
        f"{floor_key}_c8_p99_ms": out["floor"]["p99_ms"],
        f"{floor_key}_tuned_c8_rps": out["floor_tuned"]["rps"],
        f"{floor_key}_tuned_c8_p99_ms": out["floor_tuned"]["p99_ms"],
        "ratio": out["floor"]["ratio"],
        "ratio_tuned": out["floor_tuned"]["ratio"],
        "target": 0.7,
    }


def reset(port: int) -> None:
    urllib.request.urlopen(
        urllib.request.Request(f"http://127.0.0.1:{port}/_mockwcf/reset", method="POST"), timeout=10
    ).read()


def one_round(
    server: Server, path: str, conc: int, duration: float, msg_file: Path, is_mockwcf: bool, pool: int
) -> dict:
    if is_mockwcf:
        reset(server.port)
    cpu0 = cpu_seconds(server.proc.pid)
    r = wrk(server.port, path, conc, duration, msg_file)
    cpu = cpu_seconds(server.proc.pid) - cpu0
    if is_mockwcf and msg_file.name == "signed.msgs" and r["requests"] > pool:
        raise RuntimeError("the message pool is smaller than one round's requests; raise --pool")
    return {
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "cpu_us_per_req": cpu * 1e6 / max(r["requests"], 1),
        "errors": r["non2xx"] + r["errors"],
    }


def summarize(results: list[dict]) -> dict:
    med = {
        k: round(statistics.median(x[k] for x in results), 3)
        for k in ("rps", "p50_ms", "p99_ms", "cpu_us_per_req")
    }
    med["rps"] = round(med["rps"], 1)
    med["errors"] = sum(x["errors"] for x in results)
    med["rounds"] = len(results)
    return med


def measure(
    server: Server,
    path: str,
    conc: int,
    duration: float,
    rounds: int,
    msg_file: Path,
    is_mockwcf: bool,
    pool: int,
) -> dict:
    return summarize(
        [one_round(server, path, conc, duration, msg_file, is_mockwcf, pool) for _ in range(rounds)]
    )


def xmlsec_floor(msg: bytes, seconds: float) -> dict:
    """python-xmlsec verifying the same signed message in-process (key from the BST, loaded once)."""
    import xmlsec
    from cryptography import x509 as cx
    from cryptography.hazmat.primitives import serialization
    from lxml import etree

    root = etree.fromstring(msg)
    bst = root.find(f".//{{{messages.WSSE}}}BinarySecurityToken").text
    pub = (
        cx.load_der_x509_certificate(__import__("base64").b64decode(bst))
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    key = xmlsec.Key.from_memory(pub, xmlsec.KeyFormat.PEM)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        doc = etree.fromstring(msg)
        xmlsec.tree.add_ids(doc, ["Id"])
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        ctx.verify(doc.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature"))
        n += 1
    elapsed = time.perf_counter() - start
    return {"ops_per_s": round(n / elapsed, 1), "us_per_op": round(elapsed * 1e6 / n, 1)}


def startup_seconds(runs: int) -> float:
    times = []
    for _ in range(runs):
        s = mockwcf_server("unsecured.yaml")
        times.append(s.startup)
        s.stop()
    return round(statistics.median(times), 3)


def scenario_switch_ms(port: int, runs: int) -> float:
    yaml_docs = [(REPO / "scenarios" / n).read_bytes() for n in ("username-over-http.yaml", "unsecured.yaml")]
    times = []
    for i in range(runs):
        start = time.perf_counter()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/_mockwcf/scenario", data=yaml_docs[i % 2], method="PUT"
        )
        urllib.request.urlopen(req, timeout=10).read()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def drive(port: int, count: int, threads: int = 4) -> None:
    """Exactly `count` unsecured exchanges (count-bounded, for the memory figures)."""
    body = messages.unsigned()
    per = count // threads

    def work() -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(per):
            conn.request(
                "POST",
                "/EchoService.svc",
                body,
                {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTION}"'},
            )
            conn.getresponse().read()
        conn.close()

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def machine() -> dict:
    model = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--pool", type=int, default=12000, help="signed messages built before the run")
    ap.add_argument("--memory", type=int, default=100000, help="exchanges for the RSS figure")
    ap.add_argument("--smoke", action="store_true", help="tiny run that checks the script works")
    ap.add_argument("--output", default=str(HERE / "results.json"))
    args = ap.parse_args()
    if args.smoke:
        args.rounds, args.duration, args.pool, args.memory = 1, 1, 6000, 2000
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install -y wrk", file=sys.stderr)
        return 2
    certs.make(REPO / "certs")
    tmp = Path(tempfile.mkdtemp(prefix="mockwcf-bench-"))
    signer = messages.Signer(REPO / "certs")
    t0 = time.perf_counter()
    signed = [signer.message() for _ in range(args.pool)]
    print(
        f"built {len(signed)} signed messages ({len(signed[0])} bytes) in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    files = {"signed": tmp / "signed.msgs", "plain": tmp / "plain.msgs", "username": tmp / "username.msgs"}
    write_messages(files["signed"], signed)
    write_messages(files["plain"], [messages.unsigned()])
    write_messages(files["username"], [messages.username()])
    r, d = args.rounds, args.duration
    results: dict = {
        "machine": machine(),
        "method": {"rounds": r, "duration_s": d, "load": "wrk -t1, pinned CPU 1", "server": "pinned CPU 0"},
    }

    def run(name: str, server: Server, path: str, concs: list[int], msg_file: Path, is_mockwcf: bool) -> None:
        try:
            for c in concs:
                results[f"{name}_c{c}"] = measure(server, path, c, d, r, msg_file, is_mockwcf, len(signed))
                print(f"{name}_c{c}: {results[f'{name}_c{c}']}", flush=True)
        finally:
            server.stop()

    # The two headline ratios are measured in alternating rounds (floor, mockwcf, floor, mockwcf...) with
    # both servers up, and each ratio is the median of the per-round ratios: a noisy spell on this shared
    # machine then slows both sides of a pair instead of whichever case it happened to fall on.
    paired: dict[str, list[float]] = {}

    def run_paired(ratio: str, floor: tuple, mock: tuple, msg_file: Path) -> None:
        (fname, fserver), (mname, mserver, mpath) = floor, mock
        rounds: dict[str, list[dict]] = {fname: [], mname: []}
        try:
            for _ in range(r):
                rounds[fname].append(one_round(fserver, "/", 8, d, msg_file, False, len(signed)))
                rounds[mname].append(one_round(mserver, mpath, 8, d, msg_file, True, len(signed)))
        finally:
            fserver.stop()
            mserver.stop()
        paired[ratio] = [m["rps"] / f["rps"] for f, m in zip(rounds[fname], rounds[mname], strict=True)]
        for name in (fname, mname):
            results[name] = summarize(rounds[name])
            print(f"{name}: {results[name]}", flush=True)

    run_paired(
        "signed_vs_floor",
        ("floor_lxml_rsa_c8", floor_server("lxml_rsa")),
        ("signed_c8", mockwcf_server("mutual-certificate-strict.yaml"), "/EchoService.svc"),
        files["signed"],
    )
    run_paired(
        "unsecured_vs_twisted",
        ("twisted_bare_c8", floor_server("bare")),
        ("unsecured_c8", mockwcf_server("unsecured.yaml"), "/EchoService.svc"),
        files["plain"],
    )
    run("floor_lxml_rsa_sign", floor_server("lxml_rsa_sign"), "/", [8], files["signed"], False)
    run("twisted_tuned", floor_server("bare", tuned=True), "/", [8], files["plain"], False)
    run("floor_lxml_rsa_tuned", floor_server("lxml_rsa", tuned=True), "/", [8], files["signed"], False)
    run(
        "floor_lxml_rsa_sign_tuned",
        floor_server("lxml_rsa_sign", tuned=True),
        "/",
        [8],
        files["signed"],
        False,
    )
    run(
        "signed",
        mockwcf_server("mutual-certificate-strict.yaml"),
        "/EchoService.svc",
        [1, 32],
        files["signed"],
        True,
    )
    run(
        "signed_unsigned_response",
        mockwcf_server("mutual-certificate-unsigned-response.yaml"),
        "/EchoService.svc",
        [8],
        files["signed"],
        True,
    )
    run(
        "username",
        mockwcf_server("username-over-http.yaml"),
        "/EchoService.svc",
        [8],
        files["username"],
        True,
    )
    results["floor_xmlsec_inprocess"] = xmlsec_floor(signed[0], 1.0 if not args.smoke else 0.2)
    results["startup_s"] = startup_seconds(5 if not args.smoke else 1)
    srv = mockwcf_server("unsecured.yaml")
    try:
        results["scenario_switch_ms"] = scenario_switch_ms(srv.port, 10)
        reset(srv.port)
        first = args.memory // 10
        drive(srv.port, first)
        rss_10 = rss_mb(srv.proc.pid)
        drive(srv.port, args.memory - first)
        rss_100 = rss_mb(srv.proc.pid)
        results["rss_mb"] = {
            f"after_{first}": round(rss_10, 1),
            f"after_{args.memory}": round(rss_100, 1),
            "peak": round(rss_mb(srv.proc.pid, "VmHWM"), 1),
            "growth_ratio": round(rss_100 / rss_10, 3),
        }
    finally:
        srv.stop()
    results["ratios"] = {
        # medians of the per-round ratios of the alternating pairs (run_paired)
        "signed_vs_floor": round(statistics.median(paired["signed_vs_floor"]), 3),
        "unsecured_vs_twisted": round(statistics.median(paired["unsecured_vs_twisted"]), 3),
        # the same signed-response scenario against a floor that also signs once per request
        "signed_vs_signing_floor": round(
            results["signed_c8"]["rps"] / results["floor_lxml_rsa_sign_c8"]["rps"], 3
        ),
        # against floors whose Twisted Site is tuned like mockwcf's (no form parsing, no access log)
        "unsecured_vs_twisted_tuned": round(
            results["unsecured_c8"]["rps"] / results["twisted_tuned_c8"]["rps"], 3
        ),
        "signed_vs_signing_floor_tuned": round(
            results["signed_c8"]["rps"] / results["floor_lxml_rsa_sign_tuned_c8"]["rps"], 3
        ),
        "signed_unsigned_response_vs_floor_tuned": round(
            results["signed_unsigned_response_c8"]["rps"] / results["floor_lxml_rsa_tuned_c8"]["rps"], 3
        ),
        # the floor signs nothing: this is the verified request path alone, response left unsigned
        "signed_unsigned_response_vs_floor": round(
            results["signed_unsigned_response_c8"]["rps"] / results["floor_lxml_rsa_c8"]["rps"], 3
        ),
    }
    results["paired_round_ratios"] = {k: [round(x, 3) for x in v] for k, v in paired.items()}
    shutil.rmtree(tmp, ignore_errors=True)
    print_table(results)
    if not args.smoke:
        Path(args.output).write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.output}")
    return 0


def print_table(results: dict) -> None:
    m = results["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}")
    print(f"{'case':<22}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/req':>12}{'errors':>8}")
    for k, v in results.items():
        if isinstance(v, dict) and "rps" in v:
            print(
                f"{k:<22}{v['rps']:>10.0f}{v['p50_ms']:>9.2f}{v['p99_ms']:>9.2f}{v['cpu_us_per_req']:>12.0f}"
                f"{v['errors']:>8}"
            )
    print(f"xmlsec in-process verify: {results['floor_xmlsec_inprocess']}")
    print(
        f"ratios: {results['ratios']}  (targets: signed_vs_floor >= 0.6, unsecured_vs_twisted >= 0.5; see bench/README.md)"
    )
    print(
        f"start-up {results['startup_s']} s, scenario switch {results['scenario_switch_ms']} ms, "
        f"RSS {results['rss_mb']}"
    )


if __name__ == "__main__":
    sys.exit(main())
