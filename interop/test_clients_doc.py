"""docs/clients.md states the settings the tier runs: every quoted block equals its region in the tier's files,
every region is quoted, and the node `soap` version the doc names is the pinned one."""

from __future__ import annotations

import json
import re
import textwrap

from interop.conftest import HERE, REPO

DOC = REPO / "docs" / "clients.md"
QUOTE = re.compile(r"<!-- from (\S+): (\S+) -->\n```\w+\n(.*?)^```", re.S | re.M)  # (path, name, block)
FILES = [
    "interop/test_zeep.py",
    "interop/node/client.js",
    "interop/wss4j/EchoClient.java",
    "interop/mono/EchoClient.cs",
]


def regions(path: str) -> dict[str, str]:
    text = (REPO / path).read_text(encoding="utf-8")
    pattern = r"^[ \t]*(?://|#) clients\.md: (\S+) begin\n(.*?)^[ \t]*(?://|#) clients\.md: \1 end\n"
    return {m[1]: textwrap.dedent(m[2]).rstrip("\n") for m in re.finditer(pattern, text, re.S | re.M)}


def sync() -> None:
    """Rewrite docs/clients.md's quoted blocks from the tier's files (`python -m interop.test_clients_doc`)."""

    def fresh(m: re.Match[str]) -> str:
        head = m[0][: m.start(3) - m.start(0)]
        return f"{head}{regions(m[1])[m[2]]}\n```"

    DOC.write_text(QUOTE.sub(fresh, DOC.read_text(encoding="utf-8")), encoding="utf-8")


def test_every_quoted_block_is_the_tiers_code():
    quoted = QUOTE.findall(DOC.read_text(encoding="utf-8"))
    assert len(quoted) >= 10
    for path, name, block in quoted:
        assert path in FILES, path
        assert regions(path).get(name) == block.rstrip("\n"), (
            f"docs/clients.md quotes {path}: {name}, which changed"
        )


def test_every_region_of_the_tier_is_quoted():
    quoted = {(path, name) for path, name, _ in QUOTE.findall(DOC.read_text(encoding="utf-8"))}
    for path in FILES:
        for name in regions(path):
            assert (path, name) in quoted, f"{path}: {name} is not in docs/clients.md"


def test_node_soap_version_is_the_pinned_one():
    lock = json.loads((HERE / "node" / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/soap"]["version"]
    wanted = json.loads((HERE / "node" / "package.json").read_text(encoding="utf-8"))["dependencies"]["soap"]
    assert wanted == pinned
    assert f"`soap` {pinned}" in DOC.read_text(encoding="utf-8")


if __name__ == "__main__":
    sync()
