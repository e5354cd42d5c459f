"""Fault codes are named constants that the catalog knows; no raise site spells a code as a string."""

from __future__ import annotations

import ast
from pathlib import Path

from mockwcf import catalog, codes

PACKAGE = Path(codes.__file__).parent


def test_every_constant_is_a_catalog_code() -> None:
    names = [k for k in vars(codes) if k[:1].isupper()]
    assert len(names) > 50
    for name in names:
        assert getattr(codes, name) == name
        assert catalog.exists(name), name


def test_no_rejection_names_its_code_as_a_string_literal() -> None:
    literal_sites = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "Rejection" and isinstance(node.args[0], ast.Constant):
                literal_sites.append(f"{path.name}:{node.lineno}")
    assert literal_sites == []
