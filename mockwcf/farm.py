"""A real farm: `mockwcf serve --node-id K` processes behind HAProxy on loopback (seed 003 with a real balancer).

Every node is its own process, so it has its own memory (sessions, replay cache) and, with
`farm.cookieProtection: perNode`, its own cookie key; nodes share cookies only through `farm.cookieKeyFile`
(`shared`) or the service certificate (`certificate`). HAProxy balances each request `roundrobin`, or sticks a
client to a node by its address (`source`). Used by `make farm` and by tests/test_haproxy.py.

    python -m mockwcf.farm SCENARIO [--nodes 2] [--balance roundrobin|source] [--port 8080]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

INSTALL = ["apt-get", "-o", "DPkg::Lock::Timeout=900", "install", "-y", "--no-install-recommends", "haproxy"]
BALANCES = ("roundrobin", "source")


class FarmError(Exception):
    """Something the farm could not start; the message says what to do."""


def _haproxy_path() -> str | None:
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).is_file()), None)


def ensure_haproxy() -> str:
    """The haproxy binary, installed with apt when missing (Debian package `haproxy`)."""
    found = _haproxy_path()
    if found:
        return found
    done = subprocess.run(INSTALL, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:  # the package lists may be missing on a fresh image
        subprocess.run([*INSTALL[:3], "update"], capture_output=True, timeout=900, check=False)
        done = subprocess.run(INSTALL, capture_output=True, text=True, timeout=900, check=False)
    found = _haproxy_path()
    if not found:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise FarmError(
            f"haproxy is not installed and `{' '.join(INSTALL)}` failed ({last}); install the Debian package "
            "haproxy (root needed)"
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def haproxy_config(port: int, nodes: list[int], balance: str) -> str:
    """A minimal HTTP balancer on 127.0.0.1:port; each request is balanced (no prefer-last-server)."""
    if balance not in BALANCES:
        raise FarmError(f"balance must be one of {', '.join(BALANCES)}, not {balance!r}")
    servers = "\n".join(f"    server node{i} 127.0.0.1:{p}" for i, p in enumerate(nodes, 1))
    return (
        "global\n    maxconn 256\n\n"
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n"
        f"frontend farm\n    bind 127.0.0.1:{port}\n    default_backend nodes\n\n"
        f"backend nodes\n    balance {balance}\n{servers}\n"
    )


@dataclass
class Farm:
    scenario: Path
    nodes: int = 2
    balance: str = "roundrobin"
    port: int = 0
    node_ports: list[int] = field(default_factory=list)
    _procs: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def node_url(self, k: int) -> str:
        return f"http://127.0.0.1:{self.node_ports[k - 1]}"

    def start(self, workdir: Path, timeout: float = 20.0) -> Farm:
        haproxy = ensure_haproxy()
        try:
            starting = [self._start_node(k) for k in range(1, self.nodes + 1)]
            for port, proc in starting:
                self._wait_port(port, timeout, proc)
                self.node_ports.append(port)
            self.port = self.port or free_port()
            cfg = workdir / "haproxy.cfg"
            cfg.write_text(haproxy_config(self.port, self.node_ports, self.balance))
            check = subprocess.run(
                [haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
            )
            if check.returncode != 0:
                raise FarmError(f"haproxy refused {cfg}: {check.stdout}{check.stderr}")
            self._procs.append(subprocess.Popen([haproxy, "-db", "-f", str(cfg)], text=True))
            self._wait_port(self.port, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_node(self, k: int) -> tuple[int, subprocess.Popen[str]]:
        port = free_port()
        cmd = [sys.executable, "-m", "mockwcf", "serve", str(self.scenario), "--port", str(port)]
        proc = subprocess.Popen([*cmd, "--node-id", str(k), "--quiet"], stdout=subprocess.DEVNULL, text=True)
        self._procs.append(proc)
        return port, proc

    @staticmethod
    def _wait_port(port: int, timeout: float, proc: subprocess.Popen[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise FarmError(f"a node exited with status {proc.returncode} before listening on {port}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise FarmError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._procs.clear()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mockwcf.farm", description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", type=Path)
    p.add_argument("--nodes", type=int, default=2)
    p.add_argument("--balance", choices=BALANCES, default="roundrobin")
    p.add_argument("--port", type=int, default=8080)
    args = p.parse_args(argv)
    farm = Farm(args.scenario, args.nodes, args.balance, args.port)
    workdir = Path("build/farm")
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        farm.start(workdir)
    except FarmError as exc:
        print(f"mockwcf farm: {exc}", file=sys.stderr)
        return 2
    print(f"farm ({args.balance}) at {farm.url}/ ; nodes:", flush=True)
    for k in range(1, args.nodes + 1):
        print(f"  node {k}: {farm.node_url(k)}/  (journal {farm.node_url(k)}/_mockwcf/exchanges)", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        farm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
