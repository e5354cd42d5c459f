"""A real `mockwcf serve` process for CLI tests: started, read up to its listening line, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def serve(
    args: list[str], env: dict | None = None, exe: str | None = None, cwd: Path | None = None
) -> tuple[subprocess.Popen, str, float]:
    """Returns the process, its base URL and the seconds to the listening line."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [exe or str(BIN / "mockwcf"), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    line = proc.stdout.readline()
    elapsed = time.monotonic() - start
    if not line.startswith("mockwcf listening on "):
        proc.kill()
        raise AssertionError(f"no listening line: {line!r} {proc.stderr.read()}")
    return proc, line.split()[-1], elapsed


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
