"""What a scenario file may not do to the loader: aliases, nesting deep enough to exhaust the composer's
recursion, and certificate or key files that are not PEM (caught with their line at load, not at first use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mockwcf.config.walker import Problem


class NoAliasDumper(yaml.SafeDumper):
    """A dict that holds one object twice dumps it twice: scenario files may not use aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


MAX_YAML_DEPTH = 64  # far deeper than any scenario; the composer recurses once per level


def shape_problem(text: str) -> Problem | None:
    """Refuse what the composer must never see: aliases (a billion-laughs document expands them) and
    nesting deep enough to exhaust Python's recursion. The parser's event stream is flat, so this pass
    cannot recurse itself."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            return Problem(
                event.start_mark.line + 1,
                "(yaml)",
                "aliases (*name) are not allowed in scenarios; repeat the value",
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return Problem(
                    event.start_mark.line + 1, "(yaml)", f"nested deeper than {MAX_YAML_DEPTH} levels"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None


def pem_problem(path: Path, kind: str) -> str | None:
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if kind == "CERTIFICATE":
        try:
            x509.load_pem_x509_certificate(data)
        except ValueError:
            return (
                "not a PEM certificate (expected -----BEGIN CERTIFICATE-----; convert DER with openssl x509)"
            )
        return None
    if b"-----BEGIN" not in data or b"PRIVATE KEY-----" not in data:
        return (
            "not a PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
        )
    return None
