"""Reading a scenario's YAML against `schema.SCHEMA`: values typed, WCF's defaults filled in, every problem kept.

Every error names file, line and key (`scenarios/x.yaml:14: binding.security.mode: ...`) and all errors of a file
are reported together, because a user fixing a config wants the whole list at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml
from lxml import etree

from mockwcf import catalog, rulecheck
from mockwcf.clock import parse_timespan
from mockwcf.schema import DERIVED, REQUIRED, F


@dataclass(frozen=True)
class Problem:
    line: int
    key: str
    message: str


class ScenarioError(Exception):
    """All problems of one scenario file."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line, p.key))
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.source}:{p.line}: {p.key}: {p.message}" for p in self.problems]


# ---------------------------------------------------------------------------------------------
# Walking YAML nodes against the schema


class Walker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}

    def err(self, line: int, key: str, message: str) -> None:
        self.problems.append(Problem(line, key or "(top)", message))

    def walk(self, node: yaml.Node | None, spec: F, key: str, line: int) -> Any:
        if node is not None:
            line = node.start_mark.line + 1
        self.lines[key] = line
        kind = spec.kind
        if kind in ("section",):
            return self._section(node, spec, key, line)
        if kind in ("list", "rules"):
            return self._list(node, spec, key, line)
        if kind == "map":
            return self._map(node, key, line)
        if not isinstance(node, yaml.ScalarNode):
            self.err(line, key, f"expected a {kind} value, got a {_node_kind(node)}")
            return None
        return self._scalar(node, spec, key, line)

    def _section(self, node: yaml.Node | None, spec: F, key: str, line: int) -> dict[str, Any] | None:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            pairs: list[tuple[yaml.Node, yaml.Node]] = []
        elif isinstance(node, yaml.MappingNode):
            pairs = node.value
        else:
            self.err(line, key, f"expected a mapping of keys, got a {_node_kind(node)}")
            return None
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for knode, vnode in pairs:
            name = str(knode.value)
            sub = f"{key}.{name}" if key else name
            if name not in spec.fields:
                close = suggest(name, spec.fields)
                self.err(
                    knode.start_mark.line + 1,
                    sub,
                    "unknown key"
                    + (f" (did you mean {close!r}?)" if close else "")
                    + f"; allowed: {', '.join(spec.fields)}",
                )
                continue
            if name in seen:
                self.err(knode.start_mark.line + 1, sub, "key given twice")
            seen[name] = vnode
        for name, fspec in spec.fields.items():
            sub = f"{key}.{name}" if key else name
            if name in seen:
                out[name] = self.walk(seen[name], fspec, sub, line)
            elif fspec.default is REQUIRED:
                self.err(line, sub, "required key is missing")
            elif fspec.kind == "section":
                # A section with required keys is an optional block: absent means "not used".
                has_required = any(f.default is REQUIRED for f in fspec.fields.values())
                out[name] = None if has_required else self.walk(None, fspec, sub, line)
            elif fspec.default is DERIVED:
                out[name] = None
            else:
                out[name] = _convert_default(fspec)
        return out

    def _list(self, node: yaml.Node | None, spec: F, key: str, line: int) -> list[Any] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.err(line, key, f"expected a list, got a {_node_kind(node)}")
            return None
        assert spec.item is not None
        return [self.walk(item, spec.item, f"{key}[{i}]", line) for i, item in enumerate(node.value)]

    def _map(self, node: yaml.Node | None, key: str, line: int) -> dict[str, Any] | None:
        if not isinstance(node, yaml.MappingNode):
            self.err(line, key, f"expected a mapping, got a {_node_kind(node)}")
            return None
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            plain_list = isinstance(vnode, yaml.SequenceNode) and all(
                isinstance(v, yaml.ScalarNode) for v in vnode.value
            )
            if not (isinstance(vnode, yaml.ScalarNode) or plain_list):
                self.err(
                    vnode.start_mark.line + 1, f"{key}.{knode.value}", "expected a value or a list of values"
                )
                continue
            self.lines[f"{key}.{knode.value}"] = vnode.start_mark.line + 1
            out[str(knode.value)] = (
                [_value(v) for v in vnode.value] if plain_list else _value(vnode) if vnode.value != "" else ""
            )
        return out

    def _scalar(self, node: yaml.ScalarNode, spec: F, key: str, line: int) -> Any:
        raw = node.value
        value = yaml.safe_load(yaml.serialize(node))
        kind = spec.kind
        try:
            if value is None and node.tag.endswith(":null"):
                return None
            if kind == "str":
                return str(raw)
            if kind == "xml":
                if raw:
                    etree.fromstring(f"<x>{raw}</x>".encode())
                return str(raw)
            if kind == "int":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"{raw!r} is not a whole number")
                if spec.minimum is not None and value < spec.minimum:
                    raise ValueError(f"{value} is below the minimum {spec.minimum}")
                if spec.maximum is not None and value > spec.maximum:
                    raise ValueError(f"{value} is above the maximum {spec.maximum}")
                return value
            if kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError(f"{raw!r} is not true or false")
                return value
            if kind == "timespan":
                span = parse_timespan(str(raw))
                if spec.minimum is not None and span < timedelta(0):
                    # LocalServiceSecuritySettings' setters: ArgumentOutOfRangeException below TimeSpan.Zero
                    raise ValueError(f"{raw!r} is negative; give a time span of 00:00:00 or more")
                return span
            if kind == "enum":
                if str(raw) not in spec.choices:
                    raise ValueError(f"{raw!r} is not one of {', '.join(spec.choices)}")
                return str(raw)
            if kind == "path":
                return str(raw)
            if kind == "code":
                if not catalog.exists(str(raw)):
                    raise ValueError(rulecheck.unknown_code(str(raw)))
                return str(raw)
        except (ValueError, etree.XMLSyntaxError) as exc:
            self.err(line, key, str(exc))
            return None
        raise AssertionError(kind)


def _value(node: yaml.ScalarNode) -> Any:
    """A map's value as YAML types it, except a timestamp, which keeps its text: PyYAML keeps 6 of its fraction
    digits and reads Z and +00:00 alike, where .NET reads them as different DateTime kinds (replyvalue.py)."""
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value
    return yaml.safe_load(yaml.serialize(node))


def _convert_default(spec: F) -> Any:
    if spec.kind == "timespan" and isinstance(spec.default, str):
        return parse_timespan(spec.default)
    if isinstance(spec.default, (list, dict)):
        return type(spec.default)(spec.default)
    return spec.default


def _node_kind(node: yaml.Node | None) -> str:
    if node is None:
        return "nothing"
    return {yaml.ScalarNode: "single value", yaml.SequenceNode: "list", yaml.MappingNode: "mapping"}[
        type(node)
    ]


def suggest(name: str, options: dict[str, Any]) -> str | None:
    import difflib

    hits = difflib.get_close_matches(name, list(options), n=1, cutoff=0.75)
    return hits[0] if hits else None
