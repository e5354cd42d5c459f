"""Docs stay true: generated pages are current, and every Python example runs against a real server."""

from __future__ import annotations

import re

import pytest

from mockwcf import docsgen
from tests.conftest import REPO

DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("name", sorted(docsgen.GENERATED))
def test_generated_docs_are_current(name):
    on_disk = (REPO / "docs" / name).read_text(encoding="utf-8")
    assert on_disk == docsgen.GENERATED[name](), f"docs/{name} is stale: run `python -m mockwcf.docsgen docs`"


def test_scenario_reference_covers_every_key():
    text = (REPO / "docs" / "scenario-reference.md").read_text()
    for key in (
        "binding.security.mode",
        "localServiceSettings.maxClockSkew",
        "rules[].match.xpath",
        "deviations.resolveSigningCertificateOutOfBand",
        "credentials.clientCertificate.trustedPeople",
    ):
        assert f"`{key}`" in text


def _snippets():
    for path in DOC_FILES:
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)):
            yield pytest.param(block, id=f"{path.name}-{i}")


pytest_plugins = ["pytester"]


@pytest.mark.parametrize("code", list(_snippets()))
def test_python_examples_run(code, mockwcf_server, pytester):
    """Examples talk to http://127.0.0.1:8080 (what `make serve` uses); here they reach a test server.
    pytest examples run as a throw-away project with the plugin."""
    if "def test_" in code:
        pytester.makepyfile(test_example=code)  # unchanged: scenarios are named as a pip user names them
        result = pytester.runpytest_subprocess("-p", "mockwcf", "-p", "no:cacheprovider")
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= code.count("def test_"), result.stdout.str()
        assert not {"failed", "error", "errors", "skipped"} & set(outcomes), result.stdout.str()
        return
    code = code.replace("http://127.0.0.1:8080", mockwcf_server.base_url)
    exec(compile(code, "<example>", "exec"), {})
