"""A scenario with several endpoints (`endpoints:`), as a WCF `<service>` has several `<endpoint>` elements.

Each endpoint is the scenario itself with the endpoint's `path` as service.path, its `binding` in place of
the top-level one and, when given, its `name`: so one file describes one service host whose endpoints
share the contract, credentials, rules and clock and differ in address and binding, which is what WCF's
endpoints differ in (address, binding; our service has one contract). The split happens on YAML nodes,
so every error still names the line of the file where the key is written.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from mockwcf.config.builder import build, compose, read
from mockwcf.config.model import Scenario
from mockwcf.config.walker import ScenarioError, Walker
from mockwcf.schema import SCHEMA

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"


def load_all(path: str | Path) -> list[Scenario]:
    """Every endpoint of the scenario file at `path` (one for a file without `endpoints:`)."""
    return load_text_all(read(path), str(path), Path(path).resolve().parent)


def load_text_all(text: str, source: str, base_dir: Path) -> list[Scenario]:
    root = compose(text, source)
    walker = Walker()
    data = walker.walk(root, SCHEMA, "", 1)  # the whole file first: every mistake, endpoints' included
    if walker.problems:
        raise ScenarioError(source, walker.problems)
    if not data.get("endpoints"):
        return [build(root, text, source, base_dir)]
    return [build(tree, text, source, base_dir) for tree in split(root)]


def _pairs(node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _get(node: yaml.Node, key: str) -> yaml.Node | None:
    return next((v for k, v in _pairs(node) if k.value == key), None)


def _with(node: yaml.Node | None, key: str, value: yaml.Node, at: yaml.Node) -> yaml.MappingNode:
    """`node` (a mapping, or nothing) with `key` set to `value`; marks from `node`, else from `at`."""
    marks = node if isinstance(node, yaml.MappingNode) else at
    pairs = [(k, v) for k, v in _pairs(node) if k.value != key] if node is not None else []
    pairs.append((yaml.ScalarNode(_STR, key, value.start_mark, value.end_mark), value))
    return yaml.MappingNode(_MAP, pairs, marks.start_mark, marks.end_mark)


def split(root: yaml.Node) -> list[yaml.MappingNode]:
    """One document per endpoint: the root without `endpoints`, with the endpoint's path, binding, name.
    Called after the whole file walked cleanly, so every endpoint item is a mapping with a path."""
    base = [(k, v) for k, v in _pairs(root) if k.value != "endpoints"]
    items = _get(root, "endpoints")
    assert isinstance(items, yaml.SequenceNode)
    trees = []
    for item in items.value:
        doc = yaml.MappingNode(_MAP, list(base), root.start_mark, root.end_mark)
        path = _get(item, "path")
        assert path is not None
        doc = _with(doc, "service", _with(_get(doc, "service"), "path", path, item), doc)
        for key in ("binding", "name"):
            value = _get(item, key)
            if value is not None:
                doc = _with(doc, key, value, doc)
        trees.append(doc)
    return trees
