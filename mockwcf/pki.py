"""A throw-away test PKI made on demand where a scenario expects its certificates.

Used for packaged scenarios (their `../certs/` is `<mockwcf home>/certs/`) and by `serve --make-certs`
(the Docker image's default): when every certificate file a scenario names is missing, lives in one
directory and is a file `mockwcf certs` writes, that PKI is made there and the console says so. When some
exist (the user's own PKI), or a name is one `mockwcf certs` does not make, nothing is written: the loader's
"file not found" error names the file, and certificates the user did not ask for would hide the mistake.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from mockwcf import certs
from mockwcf.schema import SCHEMA, F

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; parallel first runs may each make a PKI
    fcntl = None  # type: ignore[assignment]


def _paths(value: Any, spec: F) -> Iterator[str]:
    """Every value of a `path` field in parsed scenario data, found through the schema."""
    if spec.kind == "path":
        if isinstance(value, str) and value:
            yield value
    elif spec.kind == "section" and isinstance(value, dict):
        for name, sub in spec.fields.items():
            yield from _paths(value.get(name), sub)
    elif spec.kind in ("list", "rules") and isinstance(value, list) and spec.item is not None:
        for item in value:
            yield from _paths(item, spec.item)


def referenced(scenario_file: Path) -> list[Path]:
    """The files `scenario_file` names, resolved against its directory ([] when it does not parse)."""
    try:
        data = yaml.safe_load(scenario_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    base = scenario_file.resolve().parent
    return [Path(os.path.normpath(base / v)) for v in _paths(data, SCHEMA)]


def ensure_for(scenario_file: Path, say: Callable[[str], None], why: str = "") -> Path | None:
    """Make the test PKI where `scenario_file` expects it when every file it names is absent; returns its
    directory, or None when nothing was needed or allowed."""
    files = referenced(scenario_file)
    missing = [p for p in files if not p.is_file()]
    if not missing or len(missing) != len(files):
        return None  # some exist: the user has a PKI, and the loader names the missing file
    dirs = {p.parent for p in missing}
    if len(dirs) != 1 or not all(p.name in certs.FILES for p in missing):
        return None
    directory = dirs.pop()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / ".mockwcf-pki.lock", "w") as lock:  # parallel workers make one PKI, not two
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            if any(not p.is_file() for p in missing):
                certs.make(directory)
                say(
                    f"mockwcf: made a throw-away test PKI in {directory} for {why or scenario_file} "
                    f"(its certificates were absent); clients use client.pem/client.key from there"
                )
    except OSError as exc:
        say(f"mockwcf: cannot make a test PKI in {directory}: {exc.strerror or exc}")
        return None
    return directory
