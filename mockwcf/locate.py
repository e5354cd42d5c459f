"""Finding a scenario by path or by name, and where its relative paths point.

The rule users rely on (README.md, "Commands"):

- A scenario *file* resolves its relative paths (certificates) against the file's own directory, always.
- A packaged scenario (every `scenarios/*.yaml` shipped in the wheel) is named without directory or
  `.yaml` (`mockwcf serve clock-skew-client-ahead`). It is copied to the mockwcf home
  (`$MOCKWCF_HOME`, else `$XDG_CACHE_HOME/mockwcf`, else `~/.cache/mockwcf`) as
  `scenarios/NAME.yaml` and loaded from there, so its `../certs/...` paths mean `<home>/certs/`, where a
  throw-away test PKI is made on first need (and said so on stderr).
- Scenario text without a file (admin `PUT scenario`, `MockServer.load(dict)`, a dict in pytest) resolves
  against a base directory: the server's `--base-dir`, by default the directory of the scenario it
  started with. Errors about missing files name the base that was used.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mockwcf import __version__, pki

Say = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def home() -> Path:
    """Where packaged scenarios and their test PKI live for this user."""
    explicit = os.environ.get("MOCKWCF_HOME")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "mockwcf"


def _package_dir() -> Any:
    return resources.files("mockwcf").joinpath("scenarios")


def packaged() -> dict[str, str]:
    """Every packaged scenario name with its one-line description, sorted by name."""
    out: dict[str, str] = {}
    for ref in sorted(_package_dir().iterdir(), key=lambda r: r.name):
        if ref.name.endswith(".yaml"):
            try:
                data = yaml.safe_load(ref.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                data = {}
            out[ref.name[: -len(".yaml")]] = str(data.get("description") or "")
    return out


class NotFound(LookupError):
    """No usable scenario by that name or path; the message says what was tried and how to fix it."""


def materialize(name: str, say: Say = _stderr) -> Path:
    """Copy packaged scenario `name` to `<home>/scenarios/NAME.yaml` (atomically, only when it changed)
    and make the test PKI next to it if the scenario needs certificates that are not there yet."""
    ref = _package_dir().joinpath(f"{name}.yaml")
    text = ref.read_text(encoding="utf-8")
    target = home() / "scenarios" / f"{name}.yaml"
    try:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
    except OSError as exc:
        raise NotFound(
            f"packaged scenario {name!r} is copied to {target.parent} before use, and that failed: "
            f"{exc.strerror or exc}; set MOCKWCF_HOME to a directory you can write to"
        ) from None
    pki.ensure_for(target, say, why=f"packaged scenario {name!r}")
    return target


def resolve(spec: str | os.PathLike[str], base: Path | None = None, say: Say = _stderr) -> Path:
    """The scenario file `spec` names: a path (relative to `base`, default the cwd) or a packaged name."""
    raw = os.fspath(spec)
    base = base or Path.cwd()
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else base / path
    if path.is_file():
        return path
    names = packaged()
    name = raw[: -len(".yaml")] if raw.endswith(".yaml") and "/" not in raw else raw
    if name in names:
        return materialize(name, say)
    close = difflib.get_close_matches(Path(raw).stem, list(names), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    where = f"{path}" if Path(raw).is_absolute() else f"{path} (relative to {base})"
    raise NotFound(
        f"no scenario file {where} and no packaged scenario named {raw!r}{hint}; "
        f"packaged: {', '.join(names)} (`mockwcf scenarios` lists them)"
    )


def base_note(source: str, base_dir: Path) -> str:
    """How a relative path was resolved, for 'file not found' errors."""
    if source.startswith("<"):
        return f"relative paths resolve against the base directory {base_dir} (set it with --base-dir or base_dir=)"
    return f"relative paths resolve against the scenario's directory {base_dir}"


def lines() -> Iterator[str]:
    """`mockwcf scenarios`: one line per packaged scenario."""
    names = packaged()
    width = max(map(len, names), default=0)
    for name, description in names.items():
        yield f"{name:<{width}}  {description}"
    yield f"\n{len(names)} packaged scenarios (mockwcf {__version__}); serve one with `mockwcf serve NAME`"
    yield f"their files and test PKI are copied to {home()} on first use"
