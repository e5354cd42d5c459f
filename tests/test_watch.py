"""`mockwcf serve --watch`: an edit is served without a restart; a bad edit keeps the running scenario."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

from tests.cli_helpers import serve, stop

SCENARIO = "name: {name}\nbinding:\n  type: basicHttpBinding\n"


def _health(base: str) -> str:
    with urllib.request.urlopen(base + "_mockwcf/health", timeout=10) as resp:
        return json.loads(resp.read())["scenario"]


def _until(predicate, what: str, limit: float = 15.0) -> None:
    """Waits for the watcher (it polls twice a second); bounded, and says what it waited for."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def test_watch_reloads_edits_and_keeps_the_running_scenario_on_a_bad_one(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(name="one"))
    proc, base, _ = serve([str(path), "--port", "0", "--quiet", "--watch"])
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        assert _health(base) == "one"
        path.write_text(SCENARIO.format(name="two"))
        _until(lambda: _health(base) == "two", "the edit to be served")
        path.write_text("name: three\nbinding:\n  type: basicHttpBindin\n")
        _until(
            lambda: any("kept the running scenario 'two'" in line for line in said), "the bad edit's report"
        )
        assert _health(base) == "two"
        assert any(line.startswith(f"{path}:3: binding.type: ") for line in said), said
        replacement = tmp_path / "new.yaml"  # editors that save by renaming a new file into place
        replacement.write_text(SCENARIO.format(name="four"))
        replacement.replace(path)
        _until(lambda: _health(base) == "four", "the renamed-in file to be served")
    finally:
        stop(proc)
    assert any(f"reloaded {path} (scenario 'two'" in line for line in said), said
